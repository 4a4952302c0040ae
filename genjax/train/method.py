"""The contract between a model family and the one trainer.

A family is a *method*: four pure functions over a state pytree.

  init(rng, batch) -> state
      Builds parameters, optimiser states and any other carried values (EMA weights,
      persistent Gibbs chains, a replay buffer, a stage counter) from one example batch.
  train_step(state, batch, rng) -> (state, metrics)
      ONE device's update. `batch['x']` is this device's slice of the global batch, already
      preprocessed; cross-device reductions are explicit collectives over `AXIS`
      (average gradients with `jax.lax.pmean(grads, AXIS)`). `metrics` is a dict of scalars;
      the trainer averages them over devices. Several networks (a GAN's generator and
      discriminator) and several optimisers are updated here, in one compiled step.
  eval_step(state, batch, rng) -> metrics
      Per-example metrics, each of shape (local_batch,); the trainer masks padding and
      averages over the whole evaluation split.
  sample(state, rng, n) -> (n, *data_shape) array in model space (e.g. [0,1] or [-1,1])
      (None for a family that does not generate, e.g. the feature classifiers).
  pictures(state, x, rng) -> {name: (rows, cols, *data_shape)} (optional): pictures made
      from a few preprocessed eval images x, e.g. reconstructions or latent interpolations.
`protocol` (optional) is a dict stated in every evaluation report: the estimator, its k, units.
`sample_metrics(samples) -> {name: float}` (optional) scores `model.eval_samples` samples
(default 2 500) at every evaluation, e.g. a GAN's mode coverage.

`state_specs(state)`, if given, returns a PartitionSpec pytree: leaves with `P(AXIS)` are
per-device (e.g. an RBM's persistent chains, their leading axis split across devices),
everything else is replicated. Randomness arrives as keys derived from (seed, step); use
`device_rng` where noise must differ between devices.
"""
import dataclasses
from typing import Any, Callable, Dict, Optional

import jax
import optax
from flax import struct

AXIS = "data"

State = Any


@dataclasses.dataclass(frozen=True)
class Method:
  init: Callable[..., State]
  train_step: Callable[..., Any]
  eval_step: Callable[..., Dict[str, jax.Array]]
  sample: Optional[Callable[..., jax.Array]] = None
  pictures: Optional[Callable[..., Dict[str, jax.Array]]] = None
  protocol: Optional[Dict[str, object]] = None
  sample_metrics: Optional[Callable[..., Dict[str, float]]] = None
  state_specs: Optional[Callable[[State], Any]] = None


@struct.dataclass
class NetworkState:
  """The state of a family with one network and one optimiser (the VAE, the classifiers)."""
  step: jax.Array
  params: dict
  opt_state: optax.OptState


def device_rng(rng):
  """A key that differs on each device of the data axis (call inside a per-device step)."""
  return jax.random.fold_in(rng, jax.lax.axis_index(AXIS))


_BUILDERS: Dict[str, Callable] = {}
# Modules imported on first lookup so that each family registers itself.
FAMILIES = ("genjax.autoencoder", "genjax.vae", "genjax.gan", "genjax.classifier")


def register(name: str):
  """Decorator: `@register('autoencoder') def build(config, info) -> Method`."""
  def wrap(builder):
    _BUILDERS[name] = builder
    return builder
  return wrap


def builders() -> Dict[str, Callable]:
  import importlib
  for module in FAMILIES:
    importlib.import_module(module)
  return _BUILDERS
