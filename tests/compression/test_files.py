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
from tests.conftest import REPO, embedded_smoke, process_env


def train(path, seed, name="vae_mlp_binarized_mnist", **model):
  """A smoke run without its evaluations (compression needs only the checkpoint)."""
  c = embedded_smoke(name)
  c.seed, c.evals = seed, {}
  c.model.update(model)
  trainer.train(c, str(path))
  return str(path)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
  """A smoke MADE with one mask set: the autoregressive coder's model, and "another model"."""
  return train(tmp_path_factory.mktemp("made") / "made", 0, "made_binarized_mnist", num_masks=1)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
  root = tmp_path_factory.mktemp("compress")
  u8, _ = sources.mnist_like_uint8(n=30, seed=4)
  images = (u8[:30] >= 128).astype(np.uint8).reshape(30, 28, 28)   # (n, H, W): the channel is implied
  np.save(root / "images.npy", images)
  np.savez(root / "images.npz", images=images.reshape(30, 28, 28, 1))   # the explicit channel, in an .npz
  return root, train(root / "vae", 0), images


def test_round_trip_in_another_process_is_bit_exact(setup):
  root, wd, images = setup
  out = files.compress(wd, str(root / "images.npy"), str(root / "images.gjz"), lanes=4)
  assert out["images"] == 30 and out["bytes"] == os.path.getsize(root / "images.gjz")
  r = subprocess.run([sys.executable, "-m", "experiments.decompress", f"--workdir={wd}",
                      f"--input={root / 'images.gjz'}", f"--output={root / 'back.npy'}"],
                     cwd=REPO, env=process_env(), capture_output=True, text=True, timeout=300)
  assert r.returncode == 0, r.stderr[-2000:]
  assert json.loads(r.stdout.strip().splitlines()[-1])["images"] == 30
  back = np.load(root / "back.npy")
  assert back.dtype == np.uint8 and back.shape == images.shape
  np.testing.assert_array_equal(back, images)


def test_bbans_rate_of_a_trained_vae_is_its_negative_elbo_plus_the_clean_bits(setup, tmp_path):
  """The file's payload over 30 images (3 chains of 10) is the VAE's negative ELBO in bits
  (100 draws per image) plus the clean bits: each chain's first image pops its z from an
  empty message, so the words it borrows (its posterior's entropy, less the head's 32 bits)
  stay in the file. Within 1 %; without bits back it would be ~8 bits a latent more."""
  import jax
  from genjax.compression import bbans
  from genjax.train.restore import restore
  from genjax.vae import method as vae_method, objectives
  root, wd, images = setup
  gjz = str(tmp_path / "v.gjz")
  files.compress(wd, str(root / "images.npz"), gjz, lanes=3)
  payload_bits = 32 * len(files.read_file(gjz)[1]) - 64 * 3     # the final heads: 64 bits each
  run, _, state = restore(wd)
  encoder, decoder = vae_method.networks(run.config, run.info)
  log_prob, _ = vae_method.make_likelihood(run.config, run.info)
  p = state.params
  model = objectives.Model(encode=lambda x: encoder.apply({"params": p["encoder"]}, x),
                           log_likelihood=lambda z, x: log_prob(decoder.apply({"params": p["decoder"]}, z), x))
  x = images.reshape(30, 28, 28, 1).astype(np.float32)
  elbos = jax.jit(jax.vmap(lambda key: objectives.elbo(model, x, key)[0]))(jax.random.split(jax.random.PRNGKey(0), 100))
  neg_elbo_bits = -float(elbos.mean(0).sum()) / np.log(2)
  codec = files.vae_codec(run, state, 3, 8)
  q = bbans.posterior_freqs(*codec.posterior(images[:3].reshape(3, -1).astype(bool)), codec) / 2.0 ** 28
  clean_bits = float(-(q * np.log2(q)).sum()) - 32 * 3
  assert abs(payload_bits / (neg_elbo_bits + clean_bits) - 1) < 0.01, (payload_bits, neg_elbo_bits, clean_bits)


def test_real_binarized_mnist_round_trips_with_both_coders(setup, made, tmp_path):
  """20 images of the real static binarized MNIST test split (skipped where ../shared is
  absent): bit-exact back through BB-ANS and through exact coding."""
  from tests.conftest import shared
  with np.load(shared("binarized_mnist", "binarized_mnist.npz")) as f:
    images = f["test"][:20].reshape(20, 28, 28)
  np.save(tmp_path / "real.npy", images)
  for wd, lanes in ((setup[1], 4), (made, 20)):
    files.compress(wd, str(tmp_path / "real.npy"), str(tmp_path / "real.gjz"), lanes=lanes)
    files.decompress(wd, str(tmp_path / "real.gjz"), str(tmp_path / "back.npy"))
    np.testing.assert_array_equal(np.load(tmp_path / "back.npy"), images)


def one_line(fn, *args, match):
  with pytest.raises(InputError) as e:
    fn(*args)
  assert "\n" not in str(e.value) and match in str(e.value), str(e.value)


def rewrite(path, blob_header, payload):
  """A .gjz with this header and payload and consistent checksums (as a forger would write)."""
  import hashlib, struct
  blob_header = dict(blob_header, payload_sha256=hashlib.sha256(payload).hexdigest())
  head = json.dumps(blob_header).encode()
  open(path, "wb").write(files.MAGIC + struct.pack("<I", len(head)) + head + hashlib.sha256(head).digest() + payload)


def test_another_model_truncation_and_corruption_are_refused_in_one_line(setup, made, tmp_path):
  root, wd, _ = setup
  gjz = str(tmp_path / "a.gjz")
  files.compress(wd, str(root / "images.npy"), gjz, lanes=3)
  x = str(tmp_path / "x.npy")
  one_line(files.decompress, made, gjz, x, match="decode with the model that coded it")
  blob = open(gjz, "rb").read()
  header, words = files.read_file(gjz)
  for name, data in (("cut", blob[:-9]), ("flip", blob[:-40] + bytes([blob[-40] ^ 1]) + blob[-39:]),
                     ("header", blob[:12] + bytes([blob[12] ^ 1]) + blob[13:]), ("head", blob[:6])):
    path = str(tmp_path / f"{name}.gjz")
    open(path, "wb").write(data)
    one_line(files.decompress, wd, path, x, match="not a genjax compressed file" if name == "head"
             else "header does not match" if name == "header" else "truncated or corrupted")
  payload = words.astype("<u4").tobytes()
  # consistent checksums, but the stack cut short / other images claimed / a header out of range
  for name, h, p, match in (("short", header, payload[:8] + payload[-24:], "ended early"),
                            ("images", dict(header, images_sha256="0" * 64), payload, "differ from those coded"),
                            ("lanes", dict(header, lanes=0), payload, "invalid header")):
    path = str(tmp_path / f"{name}.gjz")
    rewrite(path, h, p)
    one_line(files.decompress, wd, path, x, match=match)
  assert not os.path.exists(x)


def test_images_that_are_not_binary_or_not_the_models_shape_are_refused(setup, tmp_path):
  root, wd, images = setup
  np.save(tmp_path / "grey.npy", images * 200)
  one_line(files.compress, wd, str(tmp_path / "grey.npy"), str(tmp_path / "o.gjz"), match="expected binary images")
  np.save(tmp_path / "small.npy", images[:, :14])
  one_line(files.compress, wd, str(tmp_path / "small.npy"), str(tmp_path / "o.gjz"), match="expected uint8 images (n, 28, 28, 1)")
  one_line(files.compress, str(root), str(root / "images.npy"), str(tmp_path / "o.gjz"), match="config.json")
  np.save(tmp_path / "none.npy", images[:0])
  one_line(files.compress, wd, str(tmp_path / "none.npy"), str(tmp_path / "o.gjz"), match="holds no images")
  open(tmp_path / "empty.npy", "wb").close()
  one_line(files.compress, wd, str(tmp_path / "empty.npy"), str(tmp_path / "o.gjz"), match="not a readable")
  assert not os.path.exists(tmp_path / "o.gjz")


def test_autoregressive_model_codes_exactly_at_its_nll(setup, made, tmp_path):
  """MADE (its first mask set's order): bit-exact back, and the file's rate is the model's
  exact NLL of those images, up to the heads."""
  from genjax.autoregressive import Model
  from genjax.train.restore import restore
  root, _, images = setup
  wd = made
  gjz, back, five = str(tmp_path / "m.gjz"), str(tmp_path / "m.npy"), str(tmp_path / "five.npy")
  np.save(five, images[:5])   # one batch of 5 lanes: decoding runs the network once per pixel
  out = files.compress(wd, five, gjz, lanes=5)
  assert out["codec"] == "exact-autoregressive"
  files.decompress(wd, gjz, back)
  np.testing.assert_array_equal(np.load(back), images[:5])
  run, _, state = restore(wd)
  levels = images[:5].reshape(5, 28, 28, 1).astype(np.int32)
  nll_bits = -float(Model(run.config, run.info).log_prob(state.params, levels).sum()) / np.log(2)
  header_bits = 8 * (os.path.getsize(gjz) - 4 * len(files.read_file(gjz)[1]))
  payload_bits = 8 * os.path.getsize(gjz) - header_bits
  # the heads start at 2^32 and end below 2^64: the payload is the NLL plus 32 to 64 bits a
  # lane (and the frequencies' rounding to 2^-16, a few bits here)
  assert nll_bits - 1 < payload_bits - 32 * 5 < nll_bits + 32 * 5 + 16
