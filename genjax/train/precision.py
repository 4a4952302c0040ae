"""Mixed precision (`config.precision`): 'float32', or 'bfloat16' compute with float32
parameters and optimiser state (Micikevicius et al. 2018; bfloat16 keeps float32's exponent
range, so no loss scaling).

A family that supports it calls its networks in its training step through `policy.apply`:
the floating parameters and inputs are cast to the compute dtype, the network runs in it,
and its floating outputs come back as float32, so likelihoods, KL terms and their sums over
pixels are computed in float32. Gradients flow back through the casts to the float32
parameters, which the optimiser updates. Evaluation and sampling run in float32: the
reported numbers are the float32 model's. A family declares support with
`Method(mixed_precision=True)`; the trainer refuses 'bfloat16' for any other.
"""
import dataclasses

import jax
import jax.numpy as jnp

from genjax.errors import ConfigError

DTYPES = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


def cast(tree, dtype):
  """Every floating leaf of `tree` as `dtype`; integer, boolean and key leaves unchanged."""
  def one(a):
    return a.astype(dtype) if hasattr(a, "dtype") and jnp.issubdtype(a.dtype, jnp.floating) else a
  return jax.tree.map(one, tree)


@dataclasses.dataclass(frozen=True)
class Policy:
  compute: type = jnp.float32

  def apply(self, module, variables, *args, **kwargs):
    """module.apply(variables, *args, **kwargs) computed in the compute dtype, outputs float32."""
    if self.compute == jnp.float32:
      return module.apply(variables, *args, **kwargs)
    out = module.apply(cast(variables, self.compute), *cast(args, self.compute), **kwargs)
    return cast(out, jnp.float32)


def policy(config) -> Policy:
  if config.precision not in DTYPES:
    raise ConfigError("precision", config.precision, "one of " + ", ".join(DTYPES))
  return Policy(DTYPES[config.precision])


def check(config, supported: bool, backend: str):
  """A training run's precision: bfloat16 only for a family that declares it, and not on a
  CPU, where XLA sums bfloat16 in bfloat16: a bias's gradient, a sum over every position of
  a batch, stops growing at 256 (measured: 256 for a 16x28x28 sum of ones, 12 544 on an H100)."""
  if policy(config).compute == jnp.float32:
    return
  if not supported:
    raise ConfigError("precision", config.precision, f"'float32': the {config.model.name} family computes "
                      "in float32 only")
  if backend == "cpu":
    raise ConfigError("precision", config.precision, "'float32' on a CPU: XLA's CPU backend sums bfloat16 "
                      "in bfloat16, so gradients summed over a batch's positions lose their digits; "
                      "bfloat16 is for GPUs and TPUs")


FLOAT32 = Policy()
