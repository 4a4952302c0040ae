"""The one training loop, for every family.

`train(config, workdir)` validates the config, loads the data, builds the family's
method, compiles its steps once, resumes from the newest good checkpoint in `workdir`,
and trains: the host feeds batches and only syncs every `log_every` steps (progress line,
`metrics.jsonl`, TensorBoard), saves every `checkpoint_every` steps, at the end and on
SIGTERM/SIGINT, evaluates on `data.eval_split`, and writes sample grids under `samples/`.
"""
import contextlib
import json
import os
import signal
from typing import Dict

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from genjax import data as gdata
from genjax.errors import ConfigError, InputError
from genjax.train import images, logger
from genjax.train.checkpoint import Checkpointer
from genjax.train.method import Method, builders
from genjax.train.parallel import Compiled, make_mesh

# Fields that may change between a run and its resumption; all others must match.
RUN_LENGTH_FIELDS = ("num_steps", "log_every", "checkpoint_every", "keep_checkpoints",
                     "eval_every", "sample_every", "num_samples", "block_every",
                     "data.manual_dir", "data.data_dir", "data.download", "model.eval_k",
                     "model.eval_chunk", "model.eval_samples", "model.classifier")


class Diverged(RuntimeError):
  """A non-finite loss or state: the run stops, keeping its last good checkpoint."""


def validate(config, num_devices=None) -> gdata.Info:
  """Checks every config field the run depends on; nothing is read or compiled yet."""
  for field in ("batch_size", "eval_batch_size", "num_steps", "log_every", "checkpoint_every",
                "keep_checkpoints", "num_samples", "block_every"):
    if not (isinstance(config[field], int) and config[field] > 0):
      raise ConfigError(field, config[field], "a positive integer")
  for field in ("eval_every", "sample_every"):
    if not (isinstance(config[field], int) and config[field] >= 0):
      raise ConfigError(field, config[field], "a non-negative integer (0: only at the end)")
  n = num_devices or jax.device_count()
  for field in ("batch_size", "eval_batch_size"):
    if config[field] % n:
      raise ConfigError(field, config[field], f"a multiple of the {n} devices")
  info = gdata.validate(config.data)
  build_method(config, info)
  return info


def build_method(config, info) -> Method:
  registry = builders()
  if config.model.name not in registry:
    raise ConfigError("model.name", config.model.name, "one of " + ", ".join(sorted(registry)))
  return registry[config.model.name](config, info)


def check_resumable(config, workdir):
  """A workdir holds one run: resuming it with a different model, data or optimiser is an error."""
  path = os.path.join(workdir, "config.json")
  checkpoints = os.path.join(workdir, "checkpoints")
  if not (os.path.exists(path) and os.path.isdir(checkpoints) and os.listdir(checkpoints)):
    return
  with open(path) as f:
    saved = _flatten(json.load(f))
  now = _flatten(json.loads(config.to_json_best_effort()))
  changed = [k for k in sorted(set(saved) | set(now))
             if k not in RUN_LENGTH_FIELDS and saved.get(k) != now.get(k)]
  if changed:
    k = changed[0]
    raise InputError(f"--workdir={workdir} holds a run with config.{k}={saved.get(k)!r}, not "
                     f"{now.get(k)!r} ({len(changed)} field(s) differ): use a new workdir "
                     f"or the run's own config to resume it")


def save_config(config, workdir):
  if jax.process_index() == 0:
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "config.json"), "w") as f:
      f.write(config.to_json_best_effort(indent=2))


def load_config(workdir) -> ml_collections.ConfigDict:
  """The config a workdir was trained with (for sampling and evaluation)."""
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path):
    raise InputError(f"--workdir={workdir} has no config.json: expected a directory written by experiments.train")
  with open(path) as f:
    return ml_collections.ConfigDict(_lists_to_tuples(json.load(f)))


def _lists_to_tuples(d):
  if isinstance(d, dict):
    return {k: _lists_to_tuples(v) for k, v in d.items()}
  return tuple(d) if isinstance(d, list) else d


def _flatten(d, prefix=""):
  out = {}
  for k, v in d.items():
    if isinstance(v, dict):
      out.update(_flatten(v, f"{prefix}{k}."))
    else:
      out[f"{prefix}{k}"] = tuple(v) if isinstance(v, list) else v
  return out


def check_batch_fits(config, train_split):
  if len(train_split) < config.batch_size:
    raise ConfigError("batch_size", config.batch_size,
                      f"at most the {len(train_split)} examples of split '{config.data.train_split}'")


class Run:
  """A configured experiment: data, method, compiled steps and checkpoints, ready to train."""

  def __init__(self, config, workdir: str, info=None, mesh=None):
    mesh = mesh or make_mesh()
    info = info or validate(config, mesh.size)
    self.config, self.workdir, self.info = config, workdir, info
    self.splits = gdata.load(config.data)
    train_split = self.splits[config.data.train_split]
    check_batch_fits(config, train_split)
    self.method = build_method(config, info)
    self.preprocess = gdata.make_preprocess(config.data, info)
    self.batches = gdata.Batches(train_split, config.batch_size, config.seed,
                                 jax.process_index(), jax.process_count())
    self.compiled = Compiled(self.method, self.preprocess, mesh, self.batches(0),
                             self.batches.steps_per_epoch)
    self.checkpoints = Checkpointer(os.path.join(workdir, "checkpoints"), config.keep_checkpoints)
    self.rng = jax.random.PRNGKey(config.seed)

  def initial_state(self):
    """(step, state): restored from the newest good checkpoint, or freshly initialised."""
    restored = self.checkpoints.restore_latest(self.compiled.abstract_state)
    if restored is not None:
      return restored
    return 0, self.compiled.init(jax.random.fold_in(self.rng, -1 % 2**31), self.batches(0))

  def evaluate(self, state, split=None) -> Dict[str, float]:
    split = split or self.config.data.eval_split
    totals, count = {}, 0.0
    rng = jax.random.fold_in(self.rng, 2**31 - 2)
    for i, (batch, mask) in enumerate(gdata.eval_batches(
        self.splits[split], self.config.eval_batch_size, jax.process_index(), jax.process_count())):
      sums, n = self.compiled.eval_step(state, self.compiled.put_batch(batch),
                                        self.compiled.put_batch(mask), jax.random.fold_in(rng, i))
      sums, n = jax.device_get((sums, n))
      totals = {k: totals.get(k, 0.0) + float(v) for k, v in sums.items()}
      count += float(n)
    results = {k: v / count for k, v in totals.items()}
    if self.method.sample_metrics is not None:
      n = self.config.model.get("eval_samples", 2500)
      results.update(self.method.sample_metrics(self.samples(state, n, seed=2**31 - 3)))
    return results

  def samples(self, state, n: int, seed: int = 0) -> np.ndarray:
    """n samples in model space, on the host."""
    return np.asarray(jax.device_get(self.compiled.sample(state, jax.random.PRNGKey(seed), n)))

  def method_pictures(self, state, n: int = 32) -> Dict[str, np.ndarray]:
    """The method's own pictures (reconstructions, interpolations, ...) of n eval images,
    evenly spaced through the split (some test sets are sorted by label)."""
    if self.method.pictures is None or not self.info.is_image:
      return {}
    split = self.splits[self.config.data.eval_split]
    x = split.x[np.linspace(0, len(split) - 1, n).astype(int)]
    pics = jax.device_get(self.compiled.pictures(state, x, jax.random.PRNGKey(0)))
    return {name: images.grid(gdata.to_unit_interval(p.reshape((-1,) + p.shape[2:]), self.config.data),
                              cols=p.shape[1]) for name, p in pics.items()}

  def picture(self, samples: np.ndarray) -> np.ndarray:
    if self.info.is_image:
      samples = gdata.to_unit_interval(samples, self.config.data)
    return images.picture(samples)


@jax.jit
def _all_finite(tree):
  leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)
            if jnp.issubdtype(x.dtype, jnp.floating)]
  return jnp.all(jnp.stack(leaves)) if leaves else jnp.bool_(True)


@contextlib.contextmanager
def _stop_on_signals():
  """Turns SIGTERM/SIGINT into a request to save and stop after the current step."""
  requested = []
  handler = lambda signum, frame: requested.append(signum)
  old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
  try:
    yield requested
  finally:
    for s, h in old.items():
      signal.signal(s, h)


def train(config, workdir: str, mesh=None) -> Dict[str, float]:
  """Trains (or resumes) the run in `workdir`; returns the final eval metrics."""
  logger.quiet_libraries()
  mesh = mesh or make_mesh()
  info = validate(config, mesh.size)
  check_resumable(config, workdir)
  run = Run(config, workdir, info, mesh)
  save_config(config, workdir)
  chief = jax.process_index() == 0
  writer = logger.MetricWriter(workdir, enabled=chief)
  step, state = run.initial_state()
  if step:
    logger.log(f"resumed from the checkpoint at step {step} in {run.checkpoints.directory}")
  block = jax.default_backend() == "cpu" and mesh.size > 1
  progress = logger.Progress(step, config.num_steps)
  pending = []  # (step, device metrics) since the last log line.

  def flush(step):
    """Syncs with the device: checks the pending losses, then logs their mean."""
    host = jax.device_get([m for _, m in pending])
    for (s, _), m in zip(pending, host):
      bad = [k for k, v in m.items() if not np.isfinite(v)]
      if bad:
        raise Diverged(f"{bad[0]} is {m[bad[0]]} at step {s + 1}; stopped, keeping the last good "
                       f"checkpoint (step {max(run.checkpoints.steps(), default=0)})")
    if host:
      means = {k: float(np.mean([m[k] for m in host])) for k in host[0]}
      means.update(progress.update(step))
      logger.log(progress.line(step, means))
      writer.scalars(step, {f"train/{k}": v for k, v in means.items()})
    pending.clear()

  def save(step):
    flush(step)
    if not bool(_all_finite(state)):
      raise Diverged(f"the state holds non-finite values at step {step}; stopped, keeping the "
                     f"last good checkpoint (step {max(run.checkpoints.steps(), default=0)})")
    run.checkpoints.save(step, state)

  def write_samples(step):
    pics = run.method_pictures(state)
    if run.method.sample is not None:
      pics["samples"] = run.picture(run.samples(state, config.num_samples, seed=step))
    for tag, pic in pics.items():
      if chief:
        name = "" if tag == "samples" else f"{tag}_"
        images.save_png(os.path.join(workdir, "samples", f"{name}step_{step:08d}.png"), pic)
        writer.image(step, tag, pic)

  # The training split stays on device; per epoch the host sends its permutation.
  resident = run.compiled.put_replicated(gdata.take(run.batches.split, slice(None)))
  epoch, perm = None, None
  try:
    with _stop_on_signals() as stop:
      while step < config.num_steps and not stop:
        if step // run.batches.steps_per_epoch != epoch:
          epoch = step // run.batches.steps_per_epoch
          perm = run.compiled.put_replicated(run.batches.permutation(epoch).astype(np.int32))
        state, metrics = run.compiled.train_step_resident(state, resident, perm, run.rng,
                                                          np.int32(step))
        pending.append((step, metrics))
        step += 1
        if block and step % config.block_every == 0:
          # XLA's CPU collectives abort when many multi-device steps are queued.
          jax.block_until_ready(metrics)
        if step % config.log_every == 0:
          flush(step)
        if step % config.checkpoint_every == 0:
          save(step)
        if config.eval_every and step % config.eval_every == 0 and step < config.num_steps:
          writer.scalars(step, {f"eval/{k}": v for k, v in run.evaluate(state).items()})
        if config.sample_every and step % config.sample_every == 0 and step < config.num_steps:
          write_samples(step)
      save(step)
      if stop:
        logger.log(f"signal {stop[0]} received: saved step {step} and stopped")
        return {}
    results = run.evaluate(state)
    writer.scalars(step, {f"eval/{k}": v for k, v in results.items()})
    logger.log(f"eval on '{config.data.eval_split}' at step {step}: " +
               "  ".join(f"{k} {v:.4f}" for k, v in results.items()))
    write_samples(step)
    return results
  finally:
    writer.close()
    run.checkpoints.close()
