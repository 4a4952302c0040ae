"""Batch order is a pure function of (seed, epoch, step); preprocessing does what the config says."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments.configs import base
from genjax import data
from genjax.data import Batches, Split, eval_batches, make_preprocess
from genjax.errors import ConfigError, DataError


def split(n=103):
  return Split(np.arange(n, dtype=np.int64)[:, None], np.arange(n) % 10)


def test_batches_are_a_pure_function_of_seed_and_step():
  a, b = Batches(split(), 10, seed=3), Batches(split(), 10, seed=3)
  for step in [0, 5, 9, 10, 11, 57, 10]:
    np.testing.assert_array_equal(a(step)["x"], b(step)["x"])
  assert not np.array_equal(a(0)["x"], Batches(split(), 10, seed=4)(0)["x"])


def test_an_epoch_sees_each_example_at_most_once_and_epochs_reshuffle():
  b = Batches(split(), 10, seed=0)
  assert b.steps_per_epoch == 10
  epoch0 = np.concatenate([b(s)["x"][:, 0] for s in range(10)])
  assert len(set(epoch0)) == 100
  assert not np.array_equal(b(0)["x"], b(10)["x"])


def test_processes_read_disjoint_slices_of_the_global_batch():
  full = Batches(split(), 12, seed=1)
  parts = [Batches(split(), 12, seed=1, process_index=p, process_count=3)(7)["x"] for p in range(3)]
  np.testing.assert_array_equal(np.concatenate(parts), full(7)["x"])


def test_eval_batches_cover_the_split_once_with_padding_masked():
  seen = []
  for batch, mask in eval_batches(split(23), 8):
    assert batch["x"].shape[0] == 8
    seen.extend(batch["x"][mask > 0, 0].tolist())
  assert seen == list(range(23))


def cfg(**kw):
  c = base.get_config().data
  c.update(kw)
  return c


def test_scaling_and_dequantisation():
  info = data.info("mnist")
  x = jnp.array([[0, 128, 255]], jnp.uint8)
  rng = jax.random.PRNGKey(0)
  np.testing.assert_allclose(make_preprocess(cfg(), info)(x, rng), [[0, 128 / 255, 1]], rtol=1e-6)
  np.testing.assert_allclose(make_preprocess(cfg(scale="[-1,1]"), info)(x, rng), [[-1, 2 * 128 / 255 - 1, 1]], atol=1e-6)
  big = jnp.full((10000,), 7, jnp.uint8)
  deq = make_preprocess(cfg(dequantize=True), info)(big, rng)
  assert float(deq.min()) >= 7 / 256 and float(deq.max()) < 8 / 256
  assert abs(float(deq.mean()) - 7.5 / 256) < 1e-3


def test_dynamic_binarisation_is_bernoulli_of_the_intensity():
  info = data.info("mnist")
  x = jnp.full((20000,), 64, jnp.uint8)
  pre = make_preprocess(cfg(binarize="dynamic"), info)
  a, b = pre(x, jax.random.PRNGKey(0)), pre(x, jax.random.PRNGKey(1))
  assert set(np.unique(a)) == {0.0, 1.0}
  assert abs(float(a.mean()) - 64 / 255) < 0.01
  assert not np.array_equal(a, b)
  thr = make_preprocess(cfg(binarize="threshold"), info)(jnp.array([127, 128], jnp.uint8), jax.random.PRNGKey(0))
  np.testing.assert_array_equal(thr, [0.0, 1.0])


@pytest.mark.parametrize("binarize,dequantize,expected", [
    ("dynamic", False, "dynamic"), ("threshold", False, "threshold"), ("none", True, "none")])
def test_protocol_states_the_preprocessing(binarize, dequantize, expected):
  p = data.protocol(cfg(binarize=binarize, dequantize=dequantize), data.info("mnist"))
  assert p["binarization"].startswith(expected)
  assert p["dequantization"] == ("uniform" if dequantize else "none")


def test_train_subset_is_class_balanced_seeded_and_augment_with_appends(tmp_path):
  cfg = base.get_config().data
  cfg.name, cfg.train_subset, cfg.subset_seed = "mnist_like", 100, 3
  a = data.load(cfg)["train"]
  assert len(a) == 100 and np.all(np.bincount(a.label, minlength=10) == 10)
  np.testing.assert_array_equal(data.load(cfg)["train"].x, a.x)
  cfg.subset_seed = 4
  assert not np.array_equal(data.load(cfg)["train"].x, a.x)
  extra = tmp_path / "extra.npz"
  np.savez(extra, x=np.zeros((7, 28, 28, 1), np.uint8), label=np.full(7, 2))
  cfg.augment_with = str(extra)
  b = data.load(cfg)["train"]
  assert len(b) == 107 and np.sum(b.label == 2) == 17 and len(data.load(cfg)["test"]) == 500
  np.savez(extra, x=np.zeros((7, 28, 28), np.uint8), label=np.full(7, 2))
  with pytest.raises(DataError, match="shape"):
    data.load(cfg)
  cfg.augment_with = str(tmp_path / "missing.npz")
  with pytest.raises(ConfigError, match="augment_with"):
    data.validate(cfg)
  cfg.augment_with, cfg.train_subset = "", 105
  with pytest.raises(DataError, match="multiple of the 10 classes"):
    data.load(cfg)


def test_mixed_batches_keep_the_original_order_and_a_fixed_proportion():
  """With real_per_batch m, each batch's first m rows are exactly the batch of m a run on
  the original rows alone reads at that step, the rest are appended rows, and the appended
  rows are used evenly (a stream of permutations) across epochs."""
  real, appended = split(40), Split(np.arange(100, 130)[:, None], np.arange(30) % 10)
  both = Split(np.concatenate([real.x, appended.x]), np.concatenate([real.label, appended.label]),
               appended_from=40)
  alone, mixed = Batches(real, 8, seed=5), Batches(both, 20, seed=5, real_per_batch=8)
  assert mixed.steps_per_epoch == alone.steps_per_epoch == 5
  rows = []
  for step in range(15):                       # three epochs of the original rows
    x = mixed(step)["x"][:, 0]
    np.testing.assert_array_equal(x[:8], alone(step)["x"][:, 0])
    assert np.all(x[8:] >= 100)
    rows.append(x[8:])
  counts = np.bincount(np.concatenate(rows) - 100)   # 180 appended rows = 6 passes over 30
  assert np.all(counts == 6)
  np.testing.assert_array_equal(Batches(both, 20, seed=5, real_per_batch=8)(13)["x"], mixed(13)["x"])


def test_augment_only_trains_on_the_appended_images_and_mixing_is_validated(tmp_path):
  cfg = base.get_config().data
  cfg.name, cfg.train_subset = "mnist_like", 100
  extra = tmp_path / "extra.npz"
  np.savez(extra, x=np.full((7, 28, 28, 1), 9, np.uint8), label=np.full(7, 2))
  cfg.augment_with, cfg.augment_only = str(extra), True
  train = data.load(cfg)["train"]
  assert len(train) == 7 and np.all(train.x == 9) and train.appended_from is None
  cfg.augment_only, cfg.real_per_batch = False, 10
  assert data.load(cfg)["train"].appended_from == 100
  cfg.augment_only = True
  with pytest.raises(ConfigError, match="real_per_batch"):
    data.validate(cfg)
  cfg.augment_with, cfg.augment_only = "", False
  with pytest.raises(ConfigError, match="needs data.augment_with"):
    data.validate(cfg)


def test_mixed_batches_must_leave_room_for_appended_rows_and_fit_the_originals():
  from genjax.train import trainer
  c = base.get_config("classifier")
  both = Split(np.zeros((50, 1)), np.zeros(50, int), appended_from=20)
  c.batch_size, c.data.real_per_batch = 32, 32
  with pytest.raises(ConfigError, match="fewer than batch_size=32"):
    trainer.check_batch_fits(c, both)
  c.data.real_per_batch = 24
  with pytest.raises(ConfigError, match="at most the 20 examples"):
    trainer.check_batch_fits(c, both)
  c.data.real_per_batch = 16
  trainer.check_batch_fits(c, both)


def test_a_split_on_disk_is_memory_mapped_written_once_and_reads_what_memory_holds(tmp_path):
  """data.storage='disk': the training split is written once to a cache under data_dir and
  memory-mapped, not read into memory; carving validation from it and a class-balanced
  subset only narrow its index; batches read the rows the in-memory split holds; a second
  load reuses the file; a cache of the wrong shape, or a source short of rows, is one line."""
  cfg = base.get_config("autoencoder").data
  cfg.name, cfg.data_dir = "digits", str(tmp_path)
  memory = data.load(cfg)
  cfg.storage = "disk"
  disk = data.load(cfg)
  for name in ("train", "validation"):
    assert isinstance(disk[name].x, data.Rows) and isinstance(disk[name].x.array, np.memmap)
    np.testing.assert_array_equal(np.asarray(disk[name].x), memory[name].x)
    np.testing.assert_array_equal(disk[name].label, memory[name].label)
  for step in (0, 7):
    a, b = Batches(disk["train"], 16, seed=1)(step), Batches(memory["train"], 16, seed=1)(step)
    assert type(a["x"]) is np.ndarray
    np.testing.assert_array_equal(a["x"], b["x"])
  cache, = (tmp_path / "genjax_rows").glob("*.x.npy")
  written = cache.stat().st_mtime_ns
  cfg.train_subset = 100
  subset = data.load(cfg)["train"]
  in_memory = cfg.copy_and_resolve_references()
  in_memory.storage = "memory"
  memory_subset = data.load(in_memory)["train"]
  assert isinstance(subset.x, data.Rows) and cache.stat().st_mtime_ns == written
  np.testing.assert_array_equal(np.asarray(subset.x), memory_subset.x)
  np.save(cache, np.zeros((3, 8, 8, 1), np.uint8))
  with pytest.raises(DataError, match=f"{cache} holds uint8\\(3, 8, 8, 1\\): expected uint8\\(1500, 8, 8, 1\\)"):
    data.load(cfg)
  with pytest.raises(DataError, match="gave 4 rows: expected 5"):
    data.sources.rows_on_disk(str(tmp_path / "short"), 5, (2,), np.float32,
                              lambda: [(np.zeros((4, 2), np.float32), None)])


def test_disk_storage_takes_one_own_split_and_no_resident_feed():
  cfg = base.get_config("autoencoder")
  cfg.data.name, cfg.data.storage = "digits", "disk"
  cfg.data.eval_split = "test"
  for field, value, match in (("train_split", "train+validation", "data.storage"),
                              ("storage", "tape", "data.storage")):
    c = cfg.copy_and_resolve_references()
    c.data[field] = value
    with pytest.raises(ConfigError, match=match):
      data.validate(c.data)
  from genjax.train import trainer
  cfg.data.feed = "resident"
  with pytest.raises(ConfigError, match="data.feed='resident' is invalid: expected 'stream' or 'auto'"):
    trainer.validate_feed(cfg)
