"""Data parallelism, pmap-style: one per-device step, explicit collectives over AXIS.

The per-device function is mapped over a 1-D mesh of all devices with `jax.shard_map`
(which also spans hosts) and compiled whole with `jax.jit`, the state donated. The same
per-device function runs unchanged under `jax.pmap(..., axis_name=AXIS)`.

`check_vma=False`: with shard_map's default value-tracking, the gradient of a replicated
parameter comes back already summed over devices (the transpose of the implicit
broadcast is a psum), so a method's `pmean(grads)` would be n_devices times too large.
Without it, shard_map has pmap's semantics: gradients are per-device and the method
averages them explicitly, identically under both.
"""
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P

from genjax.train.method import AXIS, Method, global_uniform, pmean, psum


def any_process(flag: bool) -> bool:
  """Whether `flag` holds on any process (itself with one process): a collective."""
  if jax.process_count() == 1:
    return flag
  from jax.experimental import multihost_utils
  return bool(np.any(multihost_utils.process_allgather(np.int32(flag))))


def make_mesh(devices=None) -> jax.sharding.Mesh:
  devices = np.asarray(devices if devices is not None else jax.devices())
  return jax.sharding.Mesh(devices, (AXIS,), axis_types=(jax.sharding.AxisType.Auto,))


def state_specs(method: Method, state):
  if method.state_specs is None:
    return jax.tree.map(lambda _: P(), state)
  return method.state_specs(state)


def model_batch(preprocess, batch, rng, uniform=global_uniform):
  """The batch a method sees: `x` preprocessed (inside a per-device step its noise is this
  device's rows of a draw for the global batch, so 8 devices see what 1 does), `levels` the
  integer levels as categorical targets (see `genjax.data.integer_levels`), `label` if any."""
  x = preprocess(batch["x"], rng, uniform)
  out = dict(batch, x=x)
  levels = preprocess.levels(batch["x"], x)
  if levels is not None:
    out["levels"] = levels
  return out


def per_device_train_step(method: Method, preprocess):
  """(state, raw batch, rng) -> (state, device-averaged metrics), for ONE device. The method
  gets the same key on every device (`device_rng` makes per-device noise from it)."""
  def step(state, batch, rng):
    rng_data, rng_model = jax.random.split(rng)
    state, metrics = method.train_step(state, model_batch(preprocess, batch, rng_data), rng_model)
    return state, pmean(metrics)
  return step


def per_device_eval_step(method: Method, preprocess):
  """(state, raw batch, mask, rng, estimates) -> ({metric: masked sum over all devices},
  count). The key convention is the train step's; `estimates` (the method's
  once-per-evaluation values, replicated) arrive as batch['estimates']."""
  def step(state, batch, mask, rng, estimates):
    rng_data, rng_model = jax.random.split(rng)
    batch = dict(model_batch(preprocess, batch, rng_data), estimates=estimates)
    per_example = method.eval_step(state, batch, rng_model)
    sums = {k: jnp.sum(v * mask) for k, v in per_example.items()}
    return psum(sums), psum(jnp.sum(mask))
  return step


class Compiled:
  """The method's steps compiled for a mesh. Each is traced and compiled once."""

  def __init__(self, method: Method, preprocess, mesh, example_batch, steps_per_epoch: int,
               previous=None):
    """`previous`: a staged run's previous final state, passed to `method.init`."""
    self.mesh, self.method = mesh, method
    self.batch_sharding = NamedSharding(mesh, P(AXIS))
    self.replicated = NamedSharding(mesh, P())

    def init(rng, batch, previous):   # outside the per-device step: plain noise
      rng_data, rng_model = jax.random.split(rng)
      batch = model_batch(preprocess, batch, rng_data, jax.random.uniform)
      return method.init(rng_model, batch) if previous is None else method.init(rng_model, batch, previous)

    self._previous = previous
    shapes = jax.eval_shape(init, jax.random.key_data(jax.random.key(0)), example_batch, previous)
    self.specs = state_specs(method, shapes)
    self.state_sharding = jax.tree.map(lambda s: NamedSharding(mesh, s), self.specs)
    # What a checkpoint restores into: shapes, dtypes and placement of every leaf.
    self.abstract_state = jax.tree.map(
        lambda a, s: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=s), shapes, self.state_sharding)
    self._init = jax.jit(init, out_shardings=self.state_sharding)
    step_fn = per_device_train_step(method, preprocess)
    sharded_step = jax.shard_map(step_fn, mesh=mesh,
                                 in_specs=(self.specs, P(AXIS), P()), out_specs=(self.specs, P()),
                                 check_vma=False)
    # train_step(state, batch, key, step): the step's key is fold_in(key, step), derived
    # inside the compiled step so the host dispatches one computation per step.
    self.train_step = jax.jit(lambda state, batch, key, step: sharded_step(
        state, batch, jax.random.fold_in(key, step)), donate_argnums=0)
    # The trainer's hot path: the split lives on every device, each device gathers its own
    # rows of the global batch from the epoch's permutation, so per step the host sends
    # only the step number.
    global_batch = jax.tree.leaves(example_batch)[0].shape[0] * jax.process_count()
    local_batch = global_batch // mesh.size

    def gathered_step(state, data, perm, rng, step):
      start = (step % steps_per_epoch) * global_batch + jax.lax.axis_index(AXIS) * local_batch
      idx = jax.lax.dynamic_slice_in_dim(perm, start, local_batch)
      return step_fn(state, jax.tree.map(lambda a: jnp.take(a, idx, axis=0), data), rng)

    sharded_gathered = jax.shard_map(gathered_step, mesh=mesh,
                                     in_specs=(self.specs, P(), P(), P(), P()),
                                     out_specs=(self.specs, P()), check_vma=False)
    self.train_step_resident = jax.jit(lambda state, data, perm, key, step: sharded_gathered(
        state, data, perm, jax.random.fold_in(key, step), step), donate_argnums=0)

    def scanned(state, data, perms, key, first, k):
      """k resident steps from `first` in one compiled call: step s reads its epoch's row of
      perms (the orders of first's epoch and the next); metrics come back stacked, one row
      per step."""
      def body(state, step):
        perm = perms[step // steps_per_epoch - first // steps_per_epoch]
        return sharded_gathered(state, data, perm, jax.random.fold_in(key, step), step)
      return jax.lax.scan(body, state, first + jnp.arange(k, dtype=jnp.int32))

    self.train_steps_resident = jax.jit(scanned, static_argnums=5, donate_argnums=0)
    self.eval_step = jax.jit(jax.shard_map(
        per_device_eval_step(method, preprocess), mesh=mesh,
        in_specs=(self.specs, P(AXIS), P(AXIS), P(), P()), out_specs=(P(), P()), check_vma=False))
    if method.estimates is not None:
      self.estimates = jax.jit(method.estimates)
    if method.pictures is not None:
      self.pictures = jax.jit(lambda state, x, rng: method.pictures(
          state, preprocess(x, rng), rng))
    if method.sample is not None:
      # sample(state, rng, n, labels): n is static; labels None or (n,) int32
      self.sample = jax.jit(method.sample, static_argnums=2)

  def put_batch(self, local_batch):
    """This process's rows -> one global array sharded over the data axis."""
    return jax.tree.map(
        lambda a: jax.make_array_from_process_local_data(self.batch_sharding, a), local_batch)

  def put_replicated(self, tree):
    """Host arrays (identical on every process) -> arrays replicated on every device."""
    return jax.tree.map(lambda a: jax.make_array_from_callback(
        a.shape, self.replicated, lambda index: a[index]), tree)

  def init(self, rng, local_batch):
    """The initial state, placed with the state sharding (so the first step doesn't recompile)."""
    return self._init(rng, self.put_batch(local_batch), self._previous)
