"""compress / decompress with a trained Bernoulli VAE: bit-exact in another process, and
every bad input (another model, truncated or corrupted file, non-binary images) one line."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from genjax.compression import files
from genjax.data import sources
from genjax.errors import InputError
from genjax.train import trainer
from tests.conftest import REPO, embedded_smoke


def train(path, seed):
  c = embedded_smoke("vae_mlp_binarized_mnist")
  c.seed = seed
  trainer.train(c, str(path))
  return str(path)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
  root = tmp_path_factory.mktemp("compress")
  u8, _ = sources.mnist_like_uint8(n=30, seed=4)
  images = (u8[:30] >= 128).astype(np.uint8).reshape(30, 28, 28)   # (n, H, W): the channel is implied
  np.save(root / "images.npy", images)
  return root, train(root / "vae", 0), images


def test_round_trip_in_another_process_is_bit_exact(setup):
  root, wd, images = setup
  out = files.compress(wd, str(root / "images.npy"), str(root / "images.gjz"), lanes=4)
  assert out["images"] == 30 and out["bytes"] == os.path.getsize(root / "images.gjz")
  env = {**os.environ, "XLA_FLAGS": "", "JAX_PLATFORMS": "cpu"}
  r = subprocess.run([sys.executable, "-m", "experiments.decompress", f"--workdir={wd}",
                      f"--input={root / 'images.gjz'}", f"--output={root / 'back.npy'}"],
                     cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
  assert r.returncode == 0, r.stderr[-2000:]
  assert json.loads(r.stdout.strip().splitlines()[-1])["images"] == 30
  back = np.load(root / "back.npy")
  assert back.dtype == np.uint8 and back.shape == images.shape
  np.testing.assert_array_equal(back, images)


def one_line(fn, *args, match):
  with pytest.raises(InputError) as e:
    fn(*args)
  assert "\n" not in str(e.value) and match in str(e.value), str(e.value)


def test_another_model_truncation_and_corruption_are_refused_in_one_line(setup, tmp_path):
  root, wd, _ = setup
  gjz = str(tmp_path / "a.gjz")
  files.compress(wd, str(root / "images.npy"), gjz, lanes=3)
  other = train(tmp_path / "other", 1)
  one_line(files.decompress, other, gjz, str(tmp_path / "x.npy"), match="decode with the model that coded it")
  blob = open(gjz, "rb").read()
  for name, data in (("cut", blob[:-9]), ("flip", blob[:-40] + bytes([blob[-40] ^ 1]) + blob[-39:]),
                     ("head", blob[:6])):
    path = str(tmp_path / f"{name}.gjz")
    open(path, "wb").write(data)
    one_line(files.decompress, wd, path, str(tmp_path / "x.npy"),
             match="not a genjax compressed file" if name == "head" else "truncated or corrupted")
  assert not os.path.exists(tmp_path / "x.npy")


def test_images_that_are_not_binary_or_not_the_models_shape_are_refused(setup, tmp_path):
  root, wd, images = setup
  np.save(tmp_path / "grey.npy", images * 200)
  one_line(files.compress, wd, str(tmp_path / "grey.npy"), str(tmp_path / "o.gjz"), match="expected binary images")
  np.save(tmp_path / "small.npy", images[:, :14])
  one_line(files.compress, wd, str(tmp_path / "small.npy"), str(tmp_path / "o.gjz"), match="expected uint8 images (n, 28, 28, 1)")
  one_line(files.compress, str(root), str(root / "images.npy"), str(tmp_path / "o.gjz"), match="config.json")
