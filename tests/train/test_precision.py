"""Mixed precision (config.precision='bfloat16'): the training step's networks compute in
bfloat16, the state stays float32, and one step tracks float32's to bfloat16's precision."""
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import data as gdata
from genjax.errors import ConfigError
from genjax.train import parallel, precision, trainer
from tests.train.test_contract import tiny_family_config

PRODUCT = re.compile(r"stablehlo\.(dot_general|convolution)[^\n]*")


def one_step(c):
  """(state before, state after one step, metrics, the step's StableHLO) on one device."""
  info = gdata.validate(c.data)
  method = trainer.build_method(c, info)
  batches = gdata.Batches(gdata.load(c.data)["train"], c.batch_size, 0)
  compiled = parallel.Compiled(method, gdata.make_preprocess(c.data, info),
                               parallel.make_mesh(jax.devices()[:1]), batches(0), batches.steps_per_epoch)
  state = compiled.init(jax.random.PRNGKey(0), batches(0))
  before = jax.device_get(state)
  args = (batches(0), jax.random.PRNGKey(1), np.int32(0))
  hlo = compiled.train_step.lower(state, *args).as_text()
  after, metrics = compiled.train_step(state, *args)
  return before, jax.device_get(after), jax.device_get(metrics), hlo


def floating(tree):
  return [np.asarray(a) for a in jax.tree.leaves(tree) if jnp.issubdtype(np.asarray(a).dtype, jnp.floating)]


@pytest.mark.parametrize("name", ["vae_digits", "gan_toy2d", "classifier_mnist", "nade_binarized_mnist"])
def test_bfloat16_steps_compute_in_bfloat16_keep_float32_state_and_track_float32(name):
  """From the same state and batch (SGD, so an update is the gradient itself): in bfloat16
  the step's matrix products and convolutions take bfloat16 operands and in float32 none
  do; every floating leaf of the state stays float32; the loss and the update (every
  parameter's change, optimiser state included) agree with float32's to a few bfloat16
  roundings (2^-8 relative each). The families here sum each bias gradient over the batch
  only: XLA's CPU backend accumulates bfloat16 sums in bfloat16, so a convolution's bias
  gradient (a sum over every position) is not float32's on this CPU (the README says where
  bfloat16 runs)."""
  c32 = tiny_family_config(name)
  c16 = tiny_family_config(name)
  c16.precision = "bfloat16"
  before, after32, metrics32, hlo32 = one_step(c32)
  _, after16, metrics16, hlo16 = one_step(c16)
  assert not any("bf16" in m.group(0) for m in PRODUCT.finditer(hlo32))
  assert all("bf16" in m.group(0) for m in PRODUCT.finditer(hlo16)) and PRODUCT.search(hlo16)
  assert all(a.dtype == np.float32 for a in floating(after16))
  for key in metrics32:
    np.testing.assert_allclose(metrics16[key], metrics32[key], rtol=3e-2, atol=1e-3, err_msg=key)
  delta32 = np.concatenate([(a - b).ravel() for a, b in zip(floating(after32), floating(before))])
  delta16 = np.concatenate([(a - b).ravel() for a, b in zip(floating(after16), floating(before))])
  assert np.linalg.norm(delta32) > 0
  assert np.linalg.norm(delta16 - delta32) < 0.1 * np.linalg.norm(delta32)


def test_bfloat16_is_refused_for_float32_families_and_on_a_cpu_and_unknown_precisions_named():
  """Flows (log-determinants summed over every dimension) do not declare mixed precision; a
  family that does is refused bfloat16 on a CPU backend (XLA sums bfloat16 in bfloat16
  there), not on a GPU."""
  flow = tiny_family_config("glow_mnist")
  flow.precision = "bfloat16"
  unknown = tiny_family_config("vae_digits")
  unknown.precision = "float16"
  for c in (flow, unknown):
    with pytest.raises(ConfigError, match="precision"):
      trainer.validate(c, 1)
  vae = tiny_family_config("vae_digits")
  vae.precision = "bfloat16"
  with pytest.raises(ConfigError, match="on a CPU"):
    precision.check(vae, True, "cpu")
  precision.check(vae, True, "gpu")
  with pytest.raises(ConfigError, match="float32 only"):
    precision.check(vae, False, "gpu")
