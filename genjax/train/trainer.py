"""The one training loop, for every family.

`train(config, workdir)` validates the config, takes the workdir's lock, checks that the
workdir's run is this one, loads the data, builds the family's method, compiles its steps
once, resumes from the newest good checkpoint, records the accepted config, and trains: the
train split resident on every device, the host sends only the step number (or, for a split
over `data.resident_max_mb` or with `data.feed='stream'`, each batch, prefetched in a
thread: the same rows and keys), and syncs every `log_every` steps (progress line,
`metrics.jsonl`, TensorBoard), saves every `checkpoint_every` steps, at the end and on
SIGTERM/SIGINT, evaluates on `data.eval_split`, and writes sample grids under `samples/`.
"""
import collections
import contextlib
import inspect
import os
import signal
from concurrent import futures
from typing import Dict, Optional

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from genjax import data as gdata
from genjax.errors import ConfigError, InputError
from genjax.train import defaults, images, keys, logger, precision, stages, workdir as wd
from genjax.train.checkpoint import Checkpointer, checkpoint_dir
from genjax.train.method import Method, builders
from genjax.train.parallel import Compiled, any_process, make_mesh


class Diverged(RuntimeError):
  """A non-finite loss or state: the run stops, keeping its last good checkpoint."""


class Stopped(RuntimeError):
  """A signal stopped a multi-run experiment after saving; the same command resumes it."""


def validate(config, num_devices=None, build=None) -> gdata.Info:
  """Checks every config field the run depends on; nothing is read or compiled yet. `build`
  (default: the registry's builder of config.model.name) builds the method."""
  if stages.stage_names(config):
    infos = [validate(c, num_devices, build) for _, c in stages.stage_configs(config)]
    return infos[-1]
  if not (isinstance(config.seed, int) and config.seed >= 0):
    raise ConfigError("seed", config.seed, "a non-negative integer")
  for field in ("batch_size", "eval_batch_size", "num_steps", "log_every", "checkpoint_every",
                "keep_checkpoints", "num_samples", "block_every", "sample_chunk", "steps_per_dispatch"):
    if not (isinstance(config[field], int) and config[field] > 0):
      raise ConfigError(field, config[field], "a positive integer")
  if not (isinstance(config.sample_every, int) and config.sample_every >= 0):
    raise ConfigError("sample_every", config.sample_every, "a non-negative integer (0: only at the end)")
  from genjax.evaluation import evaluators   # imported here: evaluation builds on the trainer
  evaluators.validate(config.evals)
  validate_dispatch(config)
  validate_feed(config)
  n = num_devices or jax.device_count()
  for field in ("batch_size", "eval_batch_size"):
    if config[field] % n:
      raise ConfigError(field, config[field], f"a multiple of the {n} devices")
  info = gdata.validate(config.data)
  method = (build or build_method)(config, info)
  precision.check(config, method.mixed_precision, jax.default_backend())
  if config.stage > 1 and "previous" not in inspect.signature(method.init).parameters:
    raise ConfigError("stages", tuple(f"stage{k}" for k in range(1, config.stage + 1)),
                      f"one stage: the {config.model.name} family's init does not take a "
                      f"previous stage's state")
  return info


def validate_dispatch(config):
  """With k steps per dispatch, every step the host acts at is a multiple of k."""
  k = config.steps_per_dispatch
  cadences = {"num_steps": config.num_steps, "log_every": config.log_every,
              "checkpoint_every": config.checkpoint_every, "sample_every": config.sample_every,
              **{f"evals.{name}.every": spec.every for name, spec in config.evals.items() if spec.every > 0}}
  for field, value in cadences.items():
    if value % k:
      raise ConfigError(field, value, f"a multiple of steps_per_dispatch={k}")


def validate_feed(config):
  if config.data.feed not in FEEDS:
    raise ConfigError("data.feed", config.data.feed, f"one of {', '.join(FEEDS)}")
  if not (isinstance(config.data.resident_max_mb, (int, float)) and config.data.resident_max_mb >= 0):
    raise ConfigError("data.resident_max_mb", config.data.resident_max_mb, "a non-negative number")
  streamed = config.data.feed == "stream" or config.data.storage == "disk"
  if config.steps_per_dispatch > 1 and streamed:
    raise ConfigError("steps_per_dispatch", config.steps_per_dispatch, "1 with data.feed='stream' or "
                      "data.storage='disk' (several steps per dispatch read the resident split)")
  if config.data.storage == "disk" and config.data.feed == "resident":
    raise ConfigError("data.feed", "resident", "'stream' or 'auto' with data.storage='disk' (a resident "
                      "split is read whole onto every device)")


FEEDS = ("auto", "resident", "stream")
PREFETCH = 2   # streamed batches put on the devices ahead of the step that reads them


def feed(config, split) -> str:
  """'resident' or 'stream': how the training split reaches the devices (data.feed; 'auto'
  keeps it resident up to data.resident_max_mb, or with several steps per dispatch)."""
  if config.data.feed != "auto":
    return config.data.feed
  if config.data.storage == "disk":
    return "stream"
  small = split_mib(split) <= config.data.resident_max_mb
  return "resident" if small or config.steps_per_dispatch > 1 else "stream"


def split_mib(split) -> float:
  """The split's host size in MiB: its images and labels."""
  return (split.x.nbytes + (0 if split.label is None else split.label.nbytes)) / 2**20


def build_method(config, info) -> Method:
  registry = builders()
  if config.model.name not in registry:
    raise ConfigError("model.name", config.model.name, "one of " + ", ".join(sorted(registry)))
  return registry[config.model.name](config, info)


def _with_defaults(saved: dict) -> dict:
  """A saved config merged onto today's defaults for its model: fields it lacks get the value
  that meant the old behaviour (`wd.LEGACY`) or today's default, moved fields their new place."""
  name = saved["model"]["name"]
  base = defaults.for_model(name) if name in builders() else defaults.base()
  return wd.merge(base.to_dict(), wd.upgrade(saved, base.to_dict()))


def check_resumable(config, workdir: str, method: Method):
  """A workdir holds one run: resuming it with a different model, data or optimiser is an error."""
  saved = wd.read_saved(workdir)
  checkpoints = checkpoint_dir(workdir)
  if not (saved and os.path.isdir(checkpoints) and os.listdir(checkpoints)):
    return
  changed, saved, now = wd.changed_fields(_with_defaults(saved), config,
                                          wd.RESUMABLE_FIELDS + tuple(method.resumable_fields))
  if changed:
    k = changed[0]
    raise InputError(f"--workdir={workdir} holds a run with config.{k}={saved.get(k)!r}, not "
                     f"{now.get(k)!r} ({len(changed)} field(s) differ): use a new workdir "
                     f"or the run's own config to resume it")


def check_not_past(config, workdir: str, step: int):
  """A run is not resumed with num_steps below the step it has reached."""
  if step > config.num_steps:
    raise ConfigError("num_steps", config.num_steps, f"at least the step the run in {workdir} has "
                      f"reached ({step})")


def load_config(workdir: str) -> ml_collections.ConfigDict:
  """The config a workdir was trained with, merged onto today's defaults (for sampling and
  evaluation)."""
  wd.check_workdir(workdir, writable=False)
  saved = wd.read_saved(workdir)
  if not saved:
    raise InputError(f"--workdir={workdir} has no config.json: expected a directory written by experiments.train")
  return wd.to_config(_with_defaults(saved))


def check_batch_fits(config, train_split):
  m = config.data.real_per_batch
  if m and not 0 < m < config.batch_size:
    raise ConfigError("data.real_per_batch", m, f"fewer than batch_size={config.batch_size} "
                      "(the rest of each batch is appended examples), or 0")
  if m and train_split.appended_from is None:
    raise ConfigError("data.real_per_batch", m, "0: the training split has no appended examples")
  first = train_split.appended_from if m else len(train_split)
  if first < (m or config.batch_size):
    raise ConfigError("data.real_per_batch" if m else "batch_size", m or config.batch_size,
                      f"at most the {first} examples of split '{config.data.train_split}'")
  per_epoch = first // (m or config.batch_size)
  if config.steps_per_dispatch > per_epoch:   # a dispatch reads this epoch's and the next's order
    raise ConfigError("steps_per_dispatch", config.steps_per_dispatch, f"at most the {per_epoch} steps of an epoch")


class Run:
  """A configured experiment: data, method, compiled steps and checkpoints, ready to train."""

  def __init__(self, config, workdir: str, info=None, mesh=None, splits=None, method=None,
               previous=None):
    """`method` (default: the one `config.model.name` registers) lets research code and tests
    run a Method of their own through the trainer's compiled steps and evaluation; `previous`
    is the previous stage's final state in a staged run (see `genjax.train.stages`)."""
    mesh = mesh or make_mesh()
    info = info or validate(config, mesh.size, None if method is None else lambda c, i: method)
    self.config, self.workdir, self.info = config, workdir, info
    self.splits = splits or gdata.load(config.data)
    train_split = self.splits[config.data.train_split]
    check_batch_fits(config, train_split)
    self.method = method or build_method(config, info)
    self.preprocess = gdata.make_preprocess(config.data, info)
    self.batches = gdata.Batches(train_split, config.batch_size, config.seed,
                                 jax.process_index(), jax.process_count(),
                                 real_per_batch=config.data.real_per_batch)
    self.compiled = Compiled(self.method, self.preprocess, mesh, self.batches(0),
                             self.batches.steps_per_epoch, previous)
    self.checkpoints = Checkpointer(checkpoint_dir(workdir), config.keep_checkpoints)
    self.rng = jax.random.PRNGKey(config.seed)

  def initial_state(self):
    """(step, state): restored from the newest good checkpoint, or freshly initialised."""
    restored = self.checkpoints.restore_latest(self.compiled.abstract_state)
    if restored is not None:
      return restored
    return 0, self.compiled.init(keys.stream(self.rng, "init"), self.batches(0))

  def evaluate(self, state, split=None, seed: Optional[int] = None, replicate: int = 0) -> Dict[str, float]:
    """The method's once-per-evaluation estimates, then its per-example metrics averaged over
    `split`. `seed` (default: the run's) and `replicate` pick the random draws."""
    split = split or self.config.data.eval_split
    rng = jax.random.fold_in(jax.random.PRNGKey(self.config.seed if seed is None else seed), replicate)
    estimates = {}
    if self.method.estimates is not None:
      estimates = self.compiled.estimates(state, keys.stream(rng, "estimates"))
    rng = keys.stream(rng, "eval")
    totals, count = {}, 0.0
    for i, (batch, mask) in enumerate(gdata.eval_batches(
        self.splits[split], self.config.eval_batch_size, jax.process_index(), jax.process_count())):
      sums, n = self.compiled.eval_step(state, self.compiled.put_batch(batch),
                                        self.compiled.put_batch(mask), jax.random.fold_in(rng, i),
                                        estimates)
      sums, n = jax.device_get((sums, n))
      totals = {k: totals.get(k, 0.0) + float(v) for k, v in sums.items()}
      count += float(n)
    return {**{k: float(v) for k, v in jax.device_get(estimates).items()},
            **{k: v / count for k, v in totals.items()}}

  def default_labels(self, n: int) -> Optional[np.ndarray]:
    """The classes a conditional model draws when none are given: 0, 1, ..., K-1, 0, ..."""
    return np.arange(n) % self.info.num_classes if self.method.conditional else None

  def samples(self, state, n: int, seed: int = 0, labels=None, key=None) -> np.ndarray:
    """n samples in model space, on the host, drawn `config.sample_chunk` at a time (chunk i
    with fold_in(key, i)), each chunk one call of the method's compiled `sample`."""
    key = keys.stream(jax.random.PRNGKey(seed), "sample") if key is None else key
    if labels is None:
      labels = self.default_labels(n)
    chunk = min(self.config.sample_chunk, n)
    out = []
    for i, start in enumerate(range(0, n, chunk)):
      size = min(chunk, n - start)
      part = None
      if labels is not None:   # a short last chunk is padded, so `sample` compiles once
        part = jnp.asarray(np.resize(np.asarray(labels[start:start + size]), chunk), jnp.int32)
      out.append(np.asarray(jax.device_get(
          self.compiled.sample(state, jax.random.fold_in(key, i), chunk, part)))[:size])
    return np.concatenate(out)

  def method_pictures(self, state, n: int = 32) -> Dict[str, np.ndarray]:
    """The method's own pictures (reconstructions, interpolations, ...) of n eval images,
    evenly spaced through the split (some test sets are sorted by label)."""
    if self.method.pictures is None or not self.info.is_image:
      return {}
    split = self.splits[self.config.data.eval_split]
    x = split.x[np.linspace(0, len(split) - 1, n).astype(int)]
    pics = jax.device_get(self.compiled.pictures(state, x, keys.stream(self.rng, "pictures")))
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


class Session:
  """One training session of a run, from its initial state to num_steps or a signal."""

  def __init__(self, run: Run, step: int, state, mesh):
    self.run, self.config, self.step, self.state = run, run.config, step, state
    self.chief = jax.process_index() == 0
    self.writer = logger.MetricWriter(run.workdir, enabled=self.chief, resume_step=step,
                                      redo_evals=0 < step == self.config.num_steps)
    self.progress = logger.Progress(step, self.config.num_steps)
    self.block = jax.default_backend() == "cpu" and mesh.size > 1
    self.pending = []  # (first step, device metrics, steps) per dispatch since the last log line

  def _last_good(self) -> str:
    steps = self.run.checkpoints.steps()
    return f"the last good checkpoint (step {max(steps)})" if steps else "no checkpoint (none was saved yet)"

  def flush(self):
    """Syncs with the device: checks the pending losses, then logs their mean."""
    host = []
    for (first, _, k), m in zip(self.pending, jax.device_get([m for _, m, _ in self.pending])):
      # a dispatch of k steps returns its metrics stacked: one row per step
      host += [(first + i, {name: v[i] for name, v in m.items()} if k > 1 else m) for i in range(k)]
    for s, m in host:
      bad = [k for k, v in m.items() if not np.isfinite(v)]
      if bad:
        raise Diverged(f"{bad[0]} is {m[bad[0]]} at step {s + 1}; stopped, keeping {self._last_good()}")
    if host:
      means = {k: float(np.mean([m[k] for _, m in host])) for k in host[0][1]}
      means.update(self.progress.update(self.step))
      logger.log(self.progress.line(self.step, means))
      self.writer.scalars(self.step, {f"train/{k}": v for k, v in means.items()})
    self.pending.clear()

  def check_finite(self):
    """Syncs and checks the pending losses and the state: a diverged run stops here."""
    self.flush()
    if not bool(_all_finite(self.state)):
      raise Diverged(f"the state holds non-finite values at step {self.step}; stopped, keeping "
                     f"{self._last_good()}")

  def save(self):
    self.check_finite()
    self.run.checkpoints.save(self.step, self.state)

  def evaluate(self) -> Dict[str, Dict]:
    """The evaluators due at this step, on data.eval_split; their numbers are logged."""
    from genjax.evaluation import evaluators
    specs = {name: spec for name, spec in self.config.evals.items()
             if evaluators.due(spec, self.step, self.config.num_steps)}
    reports = evaluators.run_all(self.run, self.state, self.config.data.eval_split,
                                 self.config.seed, specs)
    self.writer.scalars(self.step, evaluators.scalars(reports))
    return reports

  def write_samples(self):
    pics = self.run.method_pictures(self.state)
    if self.run.method.sample is not None:
      pics["samples"] = self.run.picture(self.run.samples(self.state, self.config.num_samples,
                                                          seed=self.step))
    for tag, pic in pics.items():
      if self.chief:
        name = "" if tag == "samples" else f"{tag}_"
        images.save_png(os.path.join(self.run.workdir, "samples", f"{name}step_{self.step:08d}.png"), pic)
        self.writer.image(self.step, tag, pic)

  def stopping(self, stop) -> bool:
    """Stop before the next step? With several processes they agree, at log steps, whether any
    received a signal, so all save the same step and none waits on another's collective."""
    if jax.process_count() == 1:
      return bool(stop)
    return self.step % self.config.log_every == 0 and any_process(bool(stop))

  def train(self, stop) -> None:
    split, how = self.run.batches.split, feed(self.config, self.run.batches.split)
    disk = isinstance(split.x, gdata.Rows)
    logger.log(f"data: the train split ({len(split)} examples, {split_mib(split):.0f} MiB) " +
               ("resident on every device" if how == "resident" else
                (f"memory-mapped from {split.x.array.filename}, " if disk else "") +
                f"streamed from the host, {PREFETCH} batches prefetched"))
    (self._train_resident if how == "resident" else self._train_streamed)(stop)

  def _train_streamed(self, stop) -> None:
    """The host gathers each step's rows of the global batch (its process's part) and puts
    them on the devices in a thread, PREFETCH steps ahead; the same rows and keys as resident."""
    c, run = self.config, self.run
    key = keys.stream(run.rng, "train")
    fetch = lambda s: run.compiled.put_batch(run.batches(s))
    pool = futures.ThreadPoolExecutor(1)
    try:
      ahead = collections.deque(pool.submit(fetch, s) for s in range(self.step, min(self.step + PREFETCH, c.num_steps)))
      while self.step < c.num_steps and not self.stopping(stop):
        batch = ahead.popleft().result()
        if self.step + PREFETCH < c.num_steps:
          ahead.append(pool.submit(fetch, self.step + PREFETCH))
        step = jax.device_put(np.int32(self.step))
        self.state, metrics = run.compiled.train_step(self.state, batch, key, step)
        self.pending.append((self.step, metrics, 1))
        self.step += 1
        if self.block and self.step % c.block_every == 0:
          jax.block_until_ready(metrics)   # XLA's CPU collectives abort when many steps are queued
        self.at_step_end()
    finally:   # a stop, an error: batches not yet gathered are dropped, not fetched first
      pool.shutdown(cancel_futures=True)

  def _train_resident(self, stop) -> None:
    """The hot loop: the split stays on device, per epoch the host sends its permutation and
    per dispatch (one step, or steps_per_dispatch in one compiled scan) only the step number."""
    c, run = self.config, self.run
    resident = run.compiled.put_replicated(gdata.take(run.batches.split, slice(None)))
    epoch, perm, perms = None, None, None
    k, per_epoch = c.steps_per_dispatch, run.batches.steps_per_epoch
    key = keys.stream(run.rng, "train")     # step s: fold_in(key, s), inside the compiled step
    while self.step < c.num_steps and not self.stopping(stop):
      if self.step // per_epoch != epoch:
        epoch = self.step // per_epoch
        orders = [run.batches.permutation(e).astype(np.int32) for e in range(epoch, epoch + min(k, 2))]
        perm = run.compiled.put_replicated(orders[0])
        if k > 1:   # k steps span this epoch and perhaps the next: the scan reads both orders
          perms = run.compiled.put_replicated(np.stack(orders))
      step = jax.device_put(np.int32(self.step))
      n = k if self.step % k == 0 else 1   # a run resumed off the k-step grid steps back onto it
      if n == 1:
        self.state, metrics = run.compiled.train_step_resident(self.state, resident, perm, key, step)
      else:
        self.state, metrics = run.compiled.train_steps_resident(self.state, resident, perms, key, step, k)
      self.pending.append((self.step, metrics, n))
      self.step += n
      if self.block and (self.step - n) // c.block_every != self.step // c.block_every:
        jax.block_until_ready(metrics)   # XLA's CPU collectives abort when many steps are queued
      self.at_step_end()

  def at_step_end(self):
    """Logs, evaluates, draws and saves as scheduled; the save last, so a crash in between
    is resumed from the previous checkpoint and logs this step's evaluation again, once."""
    from genjax.evaluation import evaluators
    c, s = self.config, self.step
    if s % c.log_every == 0:
      self.flush()
    if s < c.num_steps and any(evaluators.due(spec, s, c.num_steps) for spec in c.evals.values()):
      self.check_finite()          # never evaluate a diverged state
      self.evaluate()
    if c.sample_every and s % c.sample_every == 0 and s < c.num_steps:
      self.write_samples()
    if s % c.checkpoint_every == 0:
      self.save()

  def close(self):
    self.writer.close()


def train(config, workdir: str, mesh=None, build=None) -> Optional[Dict[str, float]]:
  """Trains (or resumes) the run in `workdir`; returns the final eval metrics, or None when
  a signal stopped it. A config with `stages` trains them in order (`genjax.train.stages`)
  and returns {stage: its final metrics} (None when a signal stopped it). `build(config, info) -> Method` (default: the
  registry's) lets research code train a method of its own."""
  logger.quiet_libraries()
  wd.check_workdir(workdir)
  mesh = mesh or make_mesh()
  if stages.stage_names(config):
    validate(config, mesh.size, build)      # every stage, before the lock creates anything

    def check_finished(c, d):
      check_resumable(c, d, (build or build_method)(c, validate(c, mesh.size, build)))
    with (wd.locked(workdir) if jax.process_index() == 0 else contextlib.nullcontext()):
      return stages.train_stages(
          config, workdir, lambda c, d, previous: _train_run(c, d, mesh, build, previous),
          lambda c, d, previous: _final_state(c, d, mesh, build, previous), check_finished)
  return _train_run(config, workdir, mesh, build)


def _final_state(config, workdir, mesh, build, previous):
  """A finished stage's final state (its newest checkpoint), for the next stage's init."""
  info = validate(config, mesh.size, build)
  run = Run(config, workdir, info, mesh, method=(build or build_method)(config, info), previous=previous)
  try:
    restored = run.checkpoints.restore_latest(run.compiled.abstract_state, move_aside=False)
  finally:
    run.checkpoints.close()
  if restored is None or restored[0] != config.num_steps:
    raise InputError(f"{workdir} is marked finished but its checkpoint at step {config.num_steps} "
                     f"does not verify: move its done.json away to train that stage again")
  return restored[1]


def _train_run(config, workdir: str, mesh, build=None, previous=None) -> Optional[Dict[str, float]]:
  info = validate(config, mesh.size, build)
  method = (build or build_method)(config, info)
  chief = jax.process_index() == 0
  check_resumable(config, workdir, method)   # before the lock: nothing written
  splits = gdata.load(config.data)
  check_batch_fits(config, splits[config.data.train_split])
  with (wd.locked(workdir) if chief else contextlib.nullcontext()):
    check_resumable(config, workdir, method)   # again: another run may have written it meanwhile
    run = Run(config, workdir, info, mesh, splits, method=method, previous=previous)
    try:
      step, state = run.initial_state()
      check_not_past(config, workdir, step)
      if chief:
        wd.save_config(config, workdir)   # only once the run is accepted
      return _train_session(run, step, state, mesh)
    finally:
      run.checkpoints.close()


def _train_session(run: Run, step: int, state, mesh) -> Optional[Dict[str, float]]:
  if step:
    logger.log(f"resumed from the checkpoint at step {step} in {run.checkpoints.directory}")
  session = Session(run, step, state, mesh)
  try:
    with _stop_on_signals() as stop:
      session.train(stop)
      stopped = any_process(bool(stop))   # every process ends the same way
      session.save()
    if stopped:
      logger.log(f"signal {stop[0] if stop else 'to another process'} received: saved step "
                 f"{session.step} and stopped")
      return None
    results = _flat(session.evaluate())
    logger.log(f"eval on '{run.config.data.eval_split}' at step {session.step}: " +
               "  ".join(f"{k} {v:.4f}" for k, v in results.items()))
    session.write_samples()
    return results
  finally:
    session.close()


def _flat(reports) -> Dict[str, float]:
  """The final evaluation as train() returns it: the 'eval' evaluator's metrics by name, the
  others' as '<evaluator>/<metric>'."""
  from genjax.evaluation import evaluators
  return {k[len("eval/"):] if k.startswith("eval/") else k: v
          for k, v in evaluators.scalars(reports).items()}
