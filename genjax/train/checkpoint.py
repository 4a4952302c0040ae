"""Checkpoints: orbax's CheckpointManager plus a checksum orbax does not keep.

Orbax restores a byte-flipped checkpoint as garbage without an error, so every save
stores the sha256 of the state's bytes beside it and every restore recomputes it. A
checkpoint that fails to load or to verify is moved aside (never deleted) to
`<workdir>/checkpoints.corrupt/<step>` with a warning, and the previous one is tried.
"""
import hashlib
import os
import shutil
from typing import Any, List, Optional, Tuple

import jax
import numpy as np
import orbax.checkpoint as ocp
from absl import logging

from genjax.errors import InputError
from genjax.train.parallel import any_process


def checkpoint_dir(workdir: str) -> str:
  """Where a run keeps its checkpoints inside its workdir."""
  return os.path.join(workdir, "checkpoints")


def saved_steps(workdir: str) -> List[int]:
  """The steps of the checkpoints a run's workdir holds, in order, read from their folder
  names: a reader's listing, which never creates the folder (a Checkpointer opens orbax's
  manager with create=True)."""
  directory = checkpoint_dir(workdir)
  if not os.path.isdir(directory):
    return []
  return sorted(int(name) for name in os.listdir(directory) if name.isdigit())


def digest(state, legacy: bool = False) -> str:
  """sha256 over every leaf's dtype, shape and rows, in tree order, the same for any layout:
  a leaf enters by a 64-bit sum of its rows' hashes (of row index and bytes), and each
  process sums only the rows it holds (a row once, its first replica), so a state split over
  devices and hosts (persistent chains, a replay buffer) is never gathered onto one host.
  `legacy`: every leaf by its bytes, as checkpoints saved before 2026-11-27 recorded it.
  Leaves may be split over devices along their first axis only (the data axis), as every
  family's `state_specs` does."""
  h = hashlib.sha256()
  leaves = [x if isinstance(x, jax.Array) else np.asarray(x) for x in jax.tree.leaves(state)]
  if legacy:
    for leaf in leaves:
      a = np.ascontiguousarray(jax.device_get(leaf))
      h.update(f"{a.dtype}{a.shape}".encode())
      h.update(a.tobytes())
    return h.hexdigest()
  for leaf, rows in zip(leaves, _rows_hashes(leaves)):
    h.update(f"{np.dtype(leaf.dtype)}{tuple(np.shape(leaf))}".encode())
    h.update(rows.to_bytes(8, "little"))
  return h.hexdigest()


def _rows_hashes(leaves) -> List[int]:
  """Per leaf, the sum mod 2^64 of its rows' 64-bit hashes (a scalar is one row), summed over
  the processes in one gather."""
  local = []
  for leaf in leaves:
    shards = ([(np.asarray(s.data), s.index) for s in leaf.addressable_shards if s.replica_id == 0]
              if isinstance(leaf, jax.Array) else [(np.asarray(leaf), ())])
    total = 0
    for data, index in shards:
      if not data.size:
        continue
      start = (index[0].start or 0) if index else 0
      rows = np.ascontiguousarray(data).reshape(max(data.shape[:1], default=1), -1)
      for i, row in enumerate(rows, start=start):
        total += int.from_bytes(hashlib.sha256(i.to_bytes(8, "little") + row.tobytes()).digest()[:8], "little")
    local.append(total % 2**64)
  if jax.process_count() == 1 or not local:
    return local
  from jax.experimental import multihost_utils
  halves = np.array([[t & 0xFFFFFFFF, t >> 32] for t in local], np.uint32)
  gathered = np.asarray(multihost_utils.process_allgather(halves)).reshape(-1, len(local), 2)
  return [sum(int(lo) + (int(hi) << 32) for lo, hi in gathered[:, k]) % 2**64 for k in range(len(local))]


def structure(state) -> str:
  """sha256 of the tree's paths, shapes and dtypes: what the code expects a checkpoint to hold."""
  leaves = jax.tree_util.tree_leaves_with_path(state)
  text = ";".join(f"{jax.tree_util.keystr(p)}:{tuple(x.shape)}:{np.dtype(x.dtype)}" for p, x in leaves)
  return hashlib.sha256(text.encode()).hexdigest()


def matches(recorded: Optional[str], state, legacy: bool) -> bool:
  """Whether `recorded` is `state`'s digest; with `legacy` (a record written before row
  digests) also its every-leaf-bytes digest, which one process alone can compute."""
  if recorded == digest(state):
    return True
  return legacy and jax.process_count() == 1 and recorded == digest(state, legacy=True)


class Checkpointer:

  def __init__(self, directory: str, keep: int):
    self.directory = os.path.abspath(directory)
    self.keep = keep
    self._manager = self._open()

  def _open(self):
    options = ocp.CheckpointManagerOptions(max_to_keep=self.keep, create=True,
                                           enable_async_checkpointing=False)
    return ocp.CheckpointManager(self.directory, options=options)

  def steps(self):
    return sorted(self._manager.all_steps())

  def save(self, step: int, state):
    if step in self._manager.all_steps():
      return
    args = ocp.args.Composite(state=ocp.args.StandardSave(state),
                              meta=ocp.args.JsonSave({"step": int(step), "sha256": digest(state),
                                                      "digest": "rows", "structure": structure(state)}))
    self._manager.save(step, args=args, force=True)
    self._manager.wait_until_finished()

  def restore_latest(self, abstract_state, move_aside: bool = True) -> Optional[Tuple[int, Any]]:
    """(step, state) of the newest checkpoint that loads and verifies, or None if there are none.

    A checksum mismatch is corruption, and so is a read error of a checkpoint whose recorded
    structure matches the code's. Any other read error is taken for corruption only when an
    older checkpoint of the same run then loads (otherwise the code or config no longer
    matches the run, and InputError says so, moving nothing). When no checkpoint verifies,
    InputError says so too, moving nothing: a run never silently restarts from step 0. With move_aside (training),
    corrupt checkpoints are moved to checkpoints.corrupt/ so they are not retried; readers
    such as evaluate and sample pass False and only skip them.
    """
    skipped = []   # (step, problem, is_checksum_mismatch), newest first
    expected = structure(abstract_state)
    for step in reversed(self.steps()):
      meta, state, problem = self._load(step, abstract_state, expected)
      # Every process takes the same branch: the checksum below is a collective.
      if any_process(problem is not None):
        skipped.append(problem or (step, "another process could not read it", True))
        continue
      if not matches(meta.get("sha256"), state, legacy="digest" not in meta):
        skipped.append((step, "its checksum does not match the state it holds", True))
        continue
      for bad_step, problem, _ in skipped:
        self._set_aside(bad_step, problem, move_aside)
      if skipped and move_aside:
        self._reopen()
      return step, state
    if any(not checksum for _, _, checksum in skipped):
      step, problem, _ = next(x for x in skipped if not x[2])
      raise InputError(f"no checkpoint in {self.directory} could be restored (step {step}: "
                       f"{problem}): the code or config may not match this run")
    if skipped:   # every checkpoint corrupt: stop, move nothing, never retrain silently
      step, problem, _ = skipped[0]
      raise InputError(f"none of the {len(skipped)} checkpoint(s) in {self.directory} verifies "
                       f"(newest, step {step}: {problem}): restore them from a backup, or move "
                       f"them away to retrain from step 0")
    return None

  def _load(self, step: int, abstract_state, expected: str):
    """(meta, state, None), or (meta, None, (step, problem, is_corruption)) where this process
    cannot read the checkpoint or it records another structure."""
    try:
      meta = self._manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore())).meta
    except Exception as e:  # orbax raises many types for unreadable files
      return None, None, (step, f"its checksum record could not be read ({type(e).__name__})", True)
    if meta.get("structure", expected) != expected:
      return meta, None, (step, "it holds differently shaped parameters than this code builds", False)
    try:
      state = self._manager.restore(step, args=ocp.args.Composite(
          state=ocp.args.StandardRestore(abstract_state))).state
    except Exception as e:  # Unreadable files, or a tree that no longer matches the code.
      # With a matching structure record the tree is the code's: the files are corrupt.
      return meta, None, (step, f"it could not be read ({type(e).__name__}: "
                                f"{str(e).splitlines()[0][:160]})", "structure" in meta)
    return meta, state, None

  def _set_aside(self, step: int, problem: str, move: bool):
    if not move or jax.process_index() != 0:   # one process moves; the others only skip
      logging.warning("checkpoint at step %d is unusable: %s; skipped", step, problem)
      return
    corrupt = os.path.join(os.path.dirname(self.directory), "checkpoints.corrupt")
    target = os.path.join(corrupt, str(step))
    n = 1
    while os.path.exists(target):   # Never overwrite one set aside earlier.
      target, n = os.path.join(corrupt, f"{step}.{n}"), n + 1
    logging.warning("checkpoint at step %d is unusable: %s; moved to %s", step, problem, target)
    os.makedirs(corrupt, exist_ok=True)
    shutil.move(os.path.join(self.directory, str(step)), target)

  def _reopen(self):
    """After process 0 moved checkpoints aside, every process forgets them (orbax caches the
    steps; a stale one would skip the save of a step process 0 saves)."""
    if jax.process_count() > 1:
      from jax.experimental import multihost_utils
      multihost_utils.sync_global_devices("genjax: corrupt checkpoints moved aside")
    self._manager.close()
    self._manager = self._open()

  def close(self):
    self._manager.close()
