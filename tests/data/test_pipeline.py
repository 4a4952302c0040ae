"""Batch order is a pure function of (seed, epoch, step); preprocessing does what the config says."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments.configs import base
from genjax import data
from genjax.data import Batches, Split, eval_batches, make_preprocess


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
