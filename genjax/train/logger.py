"""Where numbers go: a progress line, `metrics.jsonl`, TensorBoard scalars and images."""
import datetime
import json
import os
import time
from typing import Dict

import numpy as np
from absl import logging


class MetricWriter:
  """Appends to `metrics.jsonl` and TensorBoard. A run resumed at step s first drops what was
  logged after s, and at s itself what will be logged again (`redo_evals`: the final
  evaluation of a run resumed at its last step), so each row appears once whatever the crashes
  in between: metrics.jsonl is rewritten atomically, TensorBoard purges the same events."""

  def __init__(self, workdir: str, enabled: bool = True, resume_step: int = 0,
               redo_evals: bool = False):
    self.enabled = enabled
    self._jsonl = os.path.join(workdir, "metrics.jsonl")
    self._tb = None
    if enabled:
      from tensorboardX import SummaryWriter  # Imported lazily: only the chief writes.
      tb_dir = os.path.join(workdir, "tensorboard")
      resumed = os.path.isdir(tb_dir) and bool(os.listdir(tb_dir))
      kept_at_step = self._drop_rows(resume_step, redo_evals)
      # tensorboardX names event files by the second: a session resumed within the same
      # second would overwrite the previous session's file without a unique suffix.
      # TensorBoard reads the files in name order: the zero-padded time first keeps it.
      self._tb = SummaryWriter(tb_dir, flush_secs=30, filename_suffix=f".{time.time_ns():020d}.{os.getpid()}",
                               purge_step=(resume_step + (0 if redo_evals else 1)) if resumed else None)
      for row in kept_at_step if redo_evals and resumed else ():   # purged with the evals: re-add
        for k, v in row.items():
          if k != "step":
            self._tb.add_scalar(k, float(v), int(row["step"]))

  def _drop_rows(self, step: int, redo_evals: bool):
    """Keeps the rows before `step`, and at it the train rows (all of them unless
    `redo_evals`); returns the rows kept at `step`."""
    if not os.path.exists(self._jsonl):
      return []
    with open(self._jsonl) as f:
      lines = f.read().splitlines()
    kept, at_step = [], []
    for line in lines:
      try:
        row = json.loads(line)
        s = row["step"]
      except (ValueError, KeyError, TypeError):   # a row cut short by a crash
        continue
      if s < step or (s == step and not (redo_evals and not any(k.startswith("train/") for k in row))):
        kept.append(line)
        at_step += [row] if s == step else []
    if len(kept) != len(lines):
      from genjax.train.workdir import atomic_write
      atomic_write(self._jsonl, "".join(l + "\n" for l in kept).encode())
    return at_step

  def scalars(self, step: int, values: Dict[str, float]):
    if not self.enabled:
      return
    with open(self._jsonl, "a") as f:
      f.write(json.dumps({"step": int(step), **{k: float(v) for k, v in values.items()}}) + "\n")
    for k, v in values.items():
      self._tb.add_scalar(k, float(v), int(step))

  def image(self, step: int, tag: str, image: np.ndarray):
    if self.enabled:
      self._tb.add_image(tag, image, int(step), dataformats="HWC")

  def close(self):
    if self._tb is not None:
      self._tb.close()


class Progress:
  """Steps/s and ETA between log lines."""

  def __init__(self, start_step: int, num_steps: int):
    self.num_steps = num_steps
    self._t, self._step = time.perf_counter(), start_step

  def update(self, step: int) -> Dict[str, float]:
    now = time.perf_counter()
    rate = (step - self._step) / max(now - self._t, 1e-9)
    self._t, self._step = now, step
    return {"steps_per_sec": rate}

  def line(self, step: int, metrics: Dict[str, float]) -> str:
    rate = metrics.get("steps_per_sec", 0.0)
    eta = datetime.timedelta(seconds=round((self.num_steps - step) / rate)) if rate > 0 else "?"
    shown = "  ".join(f"{k} {v:.4g}" for k, v in metrics.items() if k != "steps_per_sec")
    return f"step {step}/{self.num_steps}  {shown}  {rate:.1f} steps/s  ETA {eta}"


def log(message: str):
  logging.info(message)


class _DropChatter:
  """Hides libraries' INFO records (orbax logs every file it writes); warnings still show."""
  PATHS = ("/orbax/", "/tensorflow_datasets/", "/etils/")

  def filter(self, record):
    return record.levelno >= 30 or not any(p in record.pathname for p in self.PATHS)


def quiet_libraries():
  import logging as pylogging
  handler = logging.get_absl_handler()
  if not any(isinstance(f, _DropChatter) for f in handler.filters):
    handler.addFilter(_DropChatter())
  for name in ("orbax", "tensorflow_datasets"):
    pylogging.getLogger(name).setLevel(pylogging.WARNING)
