"""The contract between a model family and the one trainer.

A family is a *method*: four pure functions over a state pytree.

  init(rng, batch) -> state
      Builds parameters, optimiser states and any other carried values (EMA weights,
      persistent Gibbs chains, a replay buffer, a stage counter) from one example batch.
  train_step(state, batch, rng) -> (state, metrics)
      ONE device's update. `batch['x']` is this device's slice of the global batch, already
      preprocessed (`batch['levels']`: its integer levels, the targets of a discrete
      likelihood; `batch['label']` where the data set has labels); cross-device reductions
      are explicit collectives over `AXIS` (average gradients with this module's
      `pmean(grads)`, which one device skips). `metrics` is a dict of scalars; the trainer
      averages them over devices. Several networks (a GAN's generator and
      discriminator) and several optimisers are updated here, in one compiled step.
  eval_step(state, batch, rng) -> metrics
      Per-example metrics, each of shape (local_batch,); the trainer masks padding and
      averages over the whole evaluation split.
  sample(state, rng, n, labels=None) -> (n, *data_shape) array in model space (e.g. [0,1]
      or [-1,1]); `labels` (n,) int32 are the classes a `conditional` method draws (None: the
      method's default). The trainer calls it `config.sample_chunk` samples at a time.
      (None for a family that does not generate, e.g. the feature classifiers.)
  pictures(state, x, rng) -> {name: (rows, cols, *data_shape)} (optional): pictures made
      from a few preprocessed eval images x, e.g. reconstructions or latent interpolations.
`protocol` (optional) is a dict stated in every evaluation report: the estimator, its k, units.
`estimates(state, rng) -> {name: scalar}` (optional) runs once per evaluation, before the
eval steps, which see it as `batch['estimates']`: e.g. an RBM's AIS log Z and its standard
error, used for every test example; the values are reported with the metrics.
`log_density(state, x) -> (B,)` (optional): the exact log-density of preprocessed examples x
in nats, for a family that has one (flows), e.g. to draw a 2-D model's density map.
`sample_metrics(samples) -> {name: float}` (optional) scores samples for the
`sample_metrics` evaluator, e.g. a GAN's mode coverage.

`resumable_fields` names the family's config fields that may change when a run resumes
(evaluation-only settings such as an IWAE's k); `register(name, defaults=fn)` gives the
family's config fields and their defaults (`fn(config)` adds them), onto which a saved run's
config is merged.

`mixed_precision=True` says the training step honours `config.precision='bfloat16'` (its
networks called through `genjax.train.precision.Policy.apply`); the trainer refuses it otherwise.

`state_specs(state)`, if given, returns a PartitionSpec pytree: leaves with `P(AXIS)` are
per-device (e.g. an RBM's persistent chains, their leading axis split across devices),
everything else is replicated. Randomness arrives as keys derived from (seed, step); use
`device_rng` where noise must differ between devices.
"""
import dataclasses
from typing import Any, Callable, Dict, Optional, Tuple

import jax
import jax.numpy as jnp
import numpy as np
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
  resumable_fields: Tuple[str, ...] = ()
  conditional: bool = False
  estimates: Optional[Callable[..., Dict[str, jax.Array]]] = None
  log_density: Optional[Callable[..., jax.Array]] = None
  mixed_precision: bool = False


@struct.dataclass
class NetworkState:
  """The state of a family with one network and one optimiser (the VAE, the classifiers)."""
  step: jax.Array
  params: dict
  opt_state: optax.OptState

  def apply_gradients(self, tx: optax.GradientTransformation, grads, **changes):
    """One optimiser update with `grads` averaged over the data axis; step + 1."""
    params, opt_state = apply_gradients(tx, self.params, self.opt_state, grads)
    return self.replace(step=self.step + 1, params=params, opt_state=opt_state, **changes)


def apply_gradients(tx: optax.GradientTransformation, params, opt_state, grads):
  """(params, opt_state) after one update with `grads` averaged over the data axis (call
  inside a per-device step): the one optimiser update every family shares."""
  updates, opt_state = tx.update(pmean(grads), opt_state, params)
  return optax.apply_updates(params, updates), opt_state


def pmean(tree):
  """`tree` averaged over the data axis (call inside a per-device step). On one device it is
  `tree` itself: XLA keeps a one-device all-reduce, a copy of every gradient (~5 % of W5)."""
  return tree if jax.lax.axis_size(AXIS) == 1 else one_buffer_per_dtype(jax.lax.pmean, tree)


def psum(tree):
  """`tree` summed over the data axis (call inside a per-device step); itself on one device."""
  return tree if jax.lax.axis_size(AXIS) == 1 else one_buffer_per_dtype(jax.lax.psum, tree)


def one_buffer_per_dtype(collective, tree):
  """collective(leaves, AXIS) run on one flat buffer per dtype, the leaves concatenated, then
  split back: the same values, since the collectives are elementwise. XLA's CPU runtime pays
  for each operand of an all-reduce: on two CPU devices the glow step's gradient all-reduce,
  one operand per parameter, took ~7 ms per device, ~1 ms as one buffer (waiting for the
  other device aside), and the step went from 47.7 to 44.7-46.3 ms."""
  leaves, treedef = jax.tree.flatten(tree)
  groups = {}
  for i, leaf in enumerate(leaves):
    groups.setdefault(jnp.result_type(leaf), []).append(i)
  out = list(leaves)
  for members in groups.values():
    flat = collective(jnp.concatenate([jnp.ravel(leaves[i]) for i in members]), AXIS)
    ends = np.cumsum([jnp.size(leaves[i]) for i in members])
    for i, start, end in zip(members, np.concatenate([[0], ends[:-1]]), ends):
      out[i] = flat[start:end].reshape(jnp.shape(leaves[i]))
  return jax.tree.unflatten(treedef, out)


def device_rng(rng):
  """A key that differs on each device of the data axis (call inside a per-device step).
  Noise drawn from it depends on the number of devices; `global_draw` does not."""
  return jax.random.fold_in(rng, jax.lax.axis_index(AXIS))


def global_draw(sample, rng, n):
  """This device's n rows of `sample(rng, n * devices)`, a draw for the whole global batch:
  each device's noise is its slice of the same draw whatever the number of devices, so
  training on 8 devices equals training on 1 (call inside a per-device step)."""
  devices = jax.lax.axis_size(AXIS)
  return jax.lax.dynamic_slice_in_dim(sample(rng, n * devices), jax.lax.axis_index(AXIS) * n, n)


def global_normal(rng, shape):
  """Standard normal draws of `shape` (leading axis: this device's examples), this device's
  rows of the draw for the global batch."""
  return global_draw(lambda key, n: jax.random.normal(key, (n,) + tuple(shape[1:])), rng, shape[0])


def global_uniform(rng, shape):
  """U[0, 1) draws of `shape`, this device's rows of the draw for the global batch."""
  return global_draw(lambda key, n: jax.random.uniform(key, (n,) + tuple(shape[1:])), rng, shape[0])


_BUILDERS: Dict[str, Callable] = {}
_DEFAULTS: Dict[str, Callable] = {}
# Modules imported on first lookup so that each family registers itself.
FAMILIES = ("genjax.autoencoder", "genjax.vae", "genjax.gan", "genjax.classifier",
            "genjax.autoregressive", "genjax.flows", "genjax.energy")


def register(name: str, defaults: Optional[Callable] = None):
  """Decorator: `@register('autoencoder', defaults=fn) def build(config, info) -> Method`;
  `defaults(config)` adds the family's config fields with their default values."""
  def wrap(builder):
    _BUILDERS[name] = builder
    if defaults is not None:
      _DEFAULTS[name] = defaults
    return builder
  return wrap


def _import_families():
  import importlib
  for module in FAMILIES:
    importlib.import_module(module)


def builders() -> Dict[str, Callable]:
  _import_families()
  return _BUILDERS


def family_defaults() -> Dict[str, Callable]:
  _import_families()
  return _DEFAULTS
