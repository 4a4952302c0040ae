"""Checkpoints: orbax's CheckpointManager plus a checksum orbax does not keep.

Orbax restores a byte-flipped checkpoint as garbage without an error, so every save
stores the sha256 of the state's bytes beside it and every restore recomputes it. A
checkpoint that fails to load or to verify is moved aside (never deleted) to
`<workdir>/checkpoints.corrupt/<step>` with a warning, and the previous one is tried.
"""
import hashlib
import os
import shutil
from typing import Any, Optional, Tuple

import jax
import numpy as np
import orbax.checkpoint as ocp
from absl import logging


def digest(state) -> str:
  """sha256 over every leaf's dtype, shape and bytes, in tree order."""
  h = hashlib.sha256()
  for leaf in jax.tree.leaves(jax.device_get(state)):
    a = np.ascontiguousarray(leaf)
    h.update(f"{a.dtype}{a.shape}".encode())
    h.update(a.tobytes())
  return h.hexdigest()


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
                              meta=ocp.args.JsonSave({"step": int(step), "sha256": digest(state)}))
    self._manager.save(step, args=args, force=True)
    self._manager.wait_until_finished()

  def restore_latest(self, abstract_state) -> Optional[Tuple[int, Any]]:
    """(step, state) of the newest checkpoint that loads and verifies, or None."""
    for step in reversed(self.steps()):
      problem = None
      try:
        restored = self._manager.restore(step, args=ocp.args.Composite(
            state=ocp.args.StandardRestore(abstract_state), meta=ocp.args.JsonRestore()))
        if restored.meta.get("sha256") != digest(restored.state):
          problem = "its checksum does not match the state it holds"
      except Exception as e:  # Unreadable files, missing leaves, shape mismatches.
        problem = f"it could not be read ({type(e).__name__}: {str(e).splitlines()[0][:200]})"
      if problem is None:
        return step, restored.state
      self._quarantine(step, problem)
    return None

  def _quarantine(self, step: int, problem: str):
    target = os.path.join(os.path.dirname(self.directory), "checkpoints.corrupt", str(step))
    logging.warning("checkpoint at step %d is unusable: %s; moved to %s, trying the previous one",
                    step, problem, target)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.exists(target):
      shutil.rmtree(target)
    shutil.move(os.path.join(self.directory, str(step)), target)
    self._manager.close()
    self._manager = self._open()

  def close(self):
    self._manager.close()
