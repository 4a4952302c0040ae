"""Data sets: shapes and levels, offline preparation, and one clear line for bad files."""
import shutil
import time

import numpy as np
import pytest

from experiments.configs import base
from genjax import data
from genjax.data import toy2d
from genjax.errors import ConfigError, DataError
from tests.conftest import shared


def data_config(dataset, **kw):
  c = base.get_config().data
  c.name = dataset
  c.update(kw)
  return c


def test_digits_is_embedded_and_split():
  splits = data.load(data_config("digits", validation_fraction=0.0))
  assert splits["train"].x.shape == (1500, 8, 8, 1) and splits["test"].x.shape == (297, 8, 8, 1)
  assert splits["train"].x.dtype == np.uint8 and splits["train"].x.max() == 16
  assert set(np.unique(splits["train"].label)) == set(range(10))
  assert "validation" not in splits


def rows(split):
  return sorted(x.tobytes() + bytes([int(y)]) for x, y in zip(split.x, split.label))


def test_validation_is_carved_from_train_deterministically_and_never_trained_on():
  whole = data.load(data_config("digits", validation_fraction=0.0))["train"]
  a, b = data.load(data_config("digits")), data.load(data_config("digits", seed=7))
  assert len(a["validation"]) == 150 and len(a["train"]) == 1350
  np.testing.assert_array_equal(a["validation"].x, b["validation"].x)      # the same for every run
  assert sorted(rows(a["train"]) + rows(a["validation"])) == rows(whole)   # a partition of 'train'
  with pytest.raises(ConfigError, match="expected a split the run does not train on"):
    data.validate(data_config("digits", train_split="train+validation", eval_split="validation"))


@pytest.mark.parametrize("kind", sorted(toy2d.SAMPLERS))
def test_toy2d_is_deterministic_and_bounded(kind):
  cfg = data_config(f"toy2d/{kind}", toy2d_train_size=5000, toy2d_test_size=100)
  a, b = data.load(cfg), data.load(cfg)
  np.testing.assert_array_equal(a["train"].x, b["train"].x)
  assert a["train"].x.shape == (4500, 2) and a["train"].x.dtype == np.float32
  assert a["validation"].x.shape == (500, 2)
  assert np.abs(a["train"].x).max() < 5.0
  assert not np.allclose(a["train"].x[:100], a["test"].x)


def test_eight_gaussians_sit_on_their_modes():
  x = toy2d.generate("8gaussians", 4000, seed=1)
  d = np.linalg.norm(x[:, None] - toy2d.eight_gaussians_modes()[None], axis=-1)
  assert d.min(1).max() < 0.3
  assert len(np.unique(d.argmin(1))) == 8


@pytest.mark.parametrize("field,value", [("name", "mnist2"), ("binarize", "static"),
                                         ("scale", "[0,255]"), ("eval_split", "valid")])
def test_bad_data_fields_name_the_field(field, value):
  cfg = data_config("mnist", **{field: value})
  with pytest.raises(ConfigError, match=f"config.data.{field}="):
    data.validate(cfg)


def test_unprepared_tfds_without_files_fails_fast(tmp_path):
  start = time.time()
  with pytest.raises(DataError, match="not prepared.*manual_dir.*download=True"):
    data.load(data_config("mnist", data_dir=str(tmp_path)))
  with pytest.raises(DataError, match="lacks train-images-idx3-ubyte.gz"):
    data.load(data_config("fashion_mnist", data_dir=str(tmp_path), manual_dir=str(tmp_path)))
  assert time.time() - start < 30  # Never falls through to TFDS's network retries.


def test_mnist_and_fashion_mnist_prepared_offline_into_one_data_dir(tfds_dir):
  # Both orders occur across a test session; each must be built from its own files
  # (TFDS alone extracts both to the same paths and mixes them up).
  fashion = data.load(data_config("fashion_mnist", data_dir=tfds_dir, manual_dir=str(shared("fashion_mnist"))))
  mnist = data.load(data_config("mnist", data_dir=tfds_dir, manual_dir=str(shared("mnist"))))
  assert mnist["train"].x.shape == (54000, 28, 28, 1) and mnist["test"].x.shape == (10000, 28, 28, 1)
  assert mnist["validation"].x.shape == (6000, 28, 28, 1)            # carved from the 60 000
  assert np.bincount(mnist["test"].label).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
  assert (np.bincount(mnist["train"].label) + np.bincount(mnist["validation"].label)).tolist() == [
      5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
  assert np.bincount(fashion["test"].label).tolist() == [1000] * 10
  # The pixels too (TFDS stores its own shuffled order, so compare statistics): MNIST's mean
  # grey level is ~33, Fashion-MNIST's ~73.
  assert 30 < mnist["train"].x.mean() < 37 and 65 < fashion["train"].x.mean() < 80
  # data.storage='disk': TFDS's train split streamed into a memory-mapped cache, the same rows
  disk = data.load(data_config("mnist", data_dir=tfds_dir, storage="disk"))
  assert isinstance(disk["train"].x, data.Rows)
  for name in ("train", "validation"):
    np.testing.assert_array_equal(np.asarray(disk[name].x), mnist[name].x)
    np.testing.assert_array_equal(disk[name].label, mnist[name].label)


def test_corrupt_raw_file_is_one_clear_line(tmp_path):
  src = shared("mnist")
  manual = tmp_path / "manual"
  shutil.copytree(src, manual)
  path = manual / "t10k-labels-idx1-ubyte.gz"
  path.chmod(0o644)
  raw = bytearray(path.read_bytes())
  raw[100] ^= 0xFF
  path.write_bytes(bytes(raw))
  with pytest.raises(DataError) as e:
    data.load(data_config("mnist", data_dir=str(tmp_path / "tfds"), manual_dir=str(manual)))
  assert "t10k-labels-idx1-ubyte.gz does not match the checksum" in str(e.value)
  assert "\n" not in str(e.value)


def test_binarized_mnist_npz_is_the_static_binarisation():
  splits = data.load(data_config("binarized_mnist", manual_dir=str(shared("binarized_mnist"))))
  assert {k: v.x.shape[0] for k, v in splits.items()} == {"train": 50000, "validation": 10000, "test": 10000}
  assert set(np.unique(splits["test"].x)) == {0, 1}
  assert data.protocol(data_config("binarized_mnist"), data.info("binarized_mnist"))["binarization"].startswith("static")


def test_wrong_binarized_npz_is_rejected(tmp_path):
  z = np.zeros((10, 784), np.uint8)
  np.savez(tmp_path / "binarized_mnist.npz", train=z, valid=z, test=z)
  with pytest.raises(DataError, match="split 'train'.*not Larochelle"):
    data.load(data_config("binarized_mnist", manual_dir=str(tmp_path)))
  (tmp_path / "binarized_mnist.npz").write_bytes(b"PK\x03\x04 truncated")
  with pytest.raises(DataError, match="not a readable binarized MNIST archive"):
    data.load(data_config("binarized_mnist", manual_dir=str(tmp_path)))


def test_splits_joined_with_plus_are_concatenated():
  cfg = data_config("digits", train_split="train+test")
  data.validate(cfg)
  splits = data.load(cfg)
  assert len(splits["train+test"]) == 1350 + 297
  np.testing.assert_array_equal(splits["train+test"].x[1350:], splits["test"].x)
  with pytest.raises(ConfigError, match=r"data.train_split='train\+valid' is invalid"):
    data.validate(data_config("digits", train_split="train+valid"))
