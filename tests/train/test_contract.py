"""The method contract on the path the trainer runs: every family on 8 devices equals 1,
per-device state (`state_specs`), the host sending only the step number, chunked sampling
with labels, and the integer levels a family sees."""
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import PartitionSpec as P

from genjax import data as gdata
from genjax.train import keys, parallel, trainer
from genjax.train.method import AXIS, Method
from tests.conftest import embedded_smoke, load_config
from tests.train.test_trainer import final_state


def tiny_family_config(name):
  c = embedded_smoke(name)
  c.num_steps, c.checkpoint_every, c.log_every, c.num_samples = 2, 2, 1, 8
  if "modes" in c.evals:
    c.evals.modes.num = 8
  # SGD: Adam's g / sqrt(v) turns float rounding in a near-zero gradient (summed over 8
  # devices or 1) into a full step of either sign; the contract is the same under both.
  for optimiser in [c.optim] + ([c.d_optim] if "d_optim" in c else []):
    optimiser.name, optimiser.weight_decay = "sgd", 0.0
  if c.model.name == "gan":
    c.model.g_hidden, c.model.d_hidden = (8, 4), (4, 8)
  if c.model.name == "bm":           # persistent chains split over the devices
    c.model.gradient, c.model.chains = "pcd", 16
  if c.model.name == "classifier":   # dropout masks are drawn per device: off here
    c.model.widths, c.model.feature_dim, c.model.dropout = (4, 8), 8, 0.0
  if c.model.name == "flow":         # q(u | x)'s noise, then actnorm initialised on q's batch
    c.model.dequantization, c.data.dequantize = "variational", False
    c.model.dequantizer_width, c.model.dequantizer_steps, c.model.levels = 8, 2, 1
  return c


@pytest.mark.parametrize("name", ["ae_conv_digits", "vae_digits", "dcgan_mnist", "gan_toy2d",
                                  "classifier_mnist", "made_binarized_mnist", "pixelcnn_binarized_mnist",
                                  "glow_mnist", "rbm_binarized_mnist", "bm_toy", "ebm_mnist", "grbm_toy2d"])
def test_every_family_trains_the_same_on_8_devices_as_on_1(name, tmp_path):
  """trainer.train end to end (the resident step, preprocessing noise, BatchNorm's
  synchronised statistics, per-device keys, Glow's variational dequantisation and its
  actnorm initialised from the global batch): the checkpoints agree."""
  c = tiny_family_config(name)
  r8 = trainer.train(c, str(tmp_path / "8"), mesh=parallel.make_mesh())
  r1 = trainer.train(c, str(tmp_path / "1"), mesh=parallel.make_mesh(jax.devices()[:1]))
  (s8, a), (s1, b) = final_state(tmp_path / "8", c), final_state(tmp_path / "1", c)
  assert s8 == s1 == 2 and sorted(r8) == sorted(r1)
  for k in r8:                                     # the evaluation's draws too (IWAE, ELBO)
    np.testing.assert_allclose(r8[k], r1[k], rtol=2e-4, atol=1e-5, err_msg=k)
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_allclose(x, y, rtol=2e-4, atol=2e-5)


def chain_method(dim=3, chains=16):
  """Persistent chains as an RBM keeps them: (chains, dim), split over the devices by
  `state_specs`; each chain's noise comes from its global index, the parameter's gradient is
  the mean over all chains."""
  def init(rng, batch):
    return {"w": jnp.zeros((dim,)), "chains": jax.random.normal(rng, (chains, dim))}

  def train_step(state, batch, rng):
    local = state["chains"].shape[0]
    index = jax.lax.axis_index(AXIS) * local + jnp.arange(local)
    noise = jax.vmap(lambda i: jax.random.normal(jax.random.fold_in(rng, i), (dim,)))(index)
    chains = 0.9 * state["chains"] + state["w"] + 0.1 * noise
    grad = jax.lax.pmean(chains.mean(0) - batch["x"].mean(), AXIS)
    return {"w": state["w"] - 0.1 * grad, "chains": chains}, {"loss": jnp.sum(grad ** 2)}

  return Method(init=init, train_step=train_step, eval_step=lambda s, b, r: {},
                state_specs=lambda state: {"w": P(), "chains": P(AXIS)})


def run_chains(mesh, steps=3):
  config = load_config("ae_mlp_digits")
  info = gdata.info("digits")
  pre = gdata.make_preprocess(config.data, info)
  batches = gdata.Batches(gdata.load(config.data)["train"], 16, 0)
  c = parallel.Compiled(chain_method(), pre, mesh, batches(0), batches.steps_per_epoch)
  state = c.init(jax.random.PRNGKey(0), batches(0))
  resident = c.put_replicated(gdata.take(batches.split, slice(None)))
  perm = c.put_replicated(batches.permutation(0).astype(np.int32))
  for step in range(steps):
    state, _ = c.train_step_resident(state, resident, perm, jax.random.PRNGKey(1), np.int32(step))
  return state


def test_per_device_chains_split_over_8_devices_equal_1_on_the_resident_step():
  s8, s1 = run_chains(parallel.make_mesh()), run_chains(parallel.make_mesh(jax.devices()[:1]))
  assert s8["chains"].sharding.spec == P(AXIS) and len(s8["chains"].addressable_shards) == 8
  assert s8["chains"].addressable_shards[0].data.shape == (2, 3)      # 16 chains, 2 per device
  np.testing.assert_allclose(jax.device_get(s8["chains"]), jax.device_get(s1["chains"]), rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(jax.device_get(s8["w"]), jax.device_get(s1["w"]), rtol=1e-5, atol=1e-6)


def hot_loop_transfers(tmp_path, capfd, num_steps):
  c = load_config("ae_mlp_digits")
  c.num_steps, c.log_every, c.checkpoint_every = num_steps, 10_000, 10_000
  run = trainer.Run(c, str(tmp_path / str(num_steps)))
  step, state = run.initial_state()
  session = trainer.Session(run, step, state, parallel.make_mesh())
  capfd.readouterr()
  with jax.transfer_guard_host_to_device("log_explicit"):
    session.train(stop=[])
    jax.block_until_ready(session.state)
  lines = [l for l in capfd.readouterr().err.splitlines() if "host-to-device transfer" in l]
  session.close()
  run.checkpoints.close()
  return lines


def test_the_hot_loop_sends_the_data_once_and_then_only_the_step_number(tmp_path, capfd):
  three, nine = (hot_loop_transfers(tmp_path, capfd, n) for n in (3, 9))   # both within epoch 0
  scalar = re.compile(r"aval=ShapedArray\(int32\[\]\)")
  assert sum(bool(scalar.search(l)) for l in three) == 3
  assert sum(bool(scalar.search(l)) for l in nine) == 9
  assert len(nine) - len(three) == 6        # per step: one scalar, nothing else


def test_samples_are_drawn_in_chunks_with_the_given_labels(tmp_path):
  c = tiny_family_config("cgan_mnist")
  c.sample_chunk = 3
  trainer.train(c, str(tmp_path))
  from genjax import evaluation
  run, _, state = evaluation.restore(str(tmp_path))
  labels = np.array([7, 1, 1, 4, 0, 9, 2])
  got = run.samples(state, 7, seed=5, labels=labels)
  key = keys.stream(jax.random.PRNGKey(5), "sample")
  padded = np.resize(labels[6:], 3)
  sample = jax.jit(run.method.sample, static_argnums=2)     # one compile, not op by op
  expected = np.concatenate([sample(state, jax.random.fold_in(key, 0), 3, jnp.asarray(labels[:3])),
                             sample(state, jax.random.fold_in(key, 1), 3, jnp.asarray(labels[3:6])),
                             sample(state, jax.random.fold_in(key, 2), 3, jnp.asarray(padded))[:1]])
  assert got.shape == (7, 28, 28, 1)
  np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
  assert run.compiled.sample._cache_size() == 1       # the short last chunk was padded
  np.testing.assert_array_equal(run.default_labels(12), np.arange(12) % 10)


@pytest.mark.parametrize("name,binarize,scale", [
    ("mnist_like", "none", "[0,1]"), ("mnist_like", "threshold", "[0,1]"),
    ("mnist_like", "dynamic", "[-1,1]"), ("digits", "none", "[-1,1]")])
def test_the_batch_carries_integer_levels_that_agree_with_x(name, binarize, scale):
  c = load_config("ae_mlp_digits").data
  c.name, c.binarize, c.scale = name, binarize, scale
  info = gdata.info(name)
  pre = gdata.make_preprocess(c, info)
  raw = gdata.load(c)["train"].x[:16]
  x = pre(jnp.asarray(raw), jax.random.PRNGKey(0))
  levels = np.asarray(pre.levels(jnp.asarray(raw), x))
  assert levels.dtype == np.int32 and levels.shape == raw.shape
  if binarize == "none":
    np.testing.assert_array_equal(levels, raw)
  else:   # the binarised x itself, whatever its scale
    unit = (np.asarray(x) + 1) / 2 if scale == "[-1,1]" else np.asarray(x)
    np.testing.assert_array_equal(levels, unit.astype(np.int32))
  assert gdata.protocol(c, info)["integer_targets"] == (
      f"levels 0..{info.num_levels - 1}" if binarize == "none" else "0/1 (binarised)")
