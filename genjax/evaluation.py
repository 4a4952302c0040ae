"""Restoring a trained run for evaluation and sampling (what experiments/evaluate and sample call)."""
import math
import os
from typing import Dict, Optional, Tuple

import numpy as np

from genjax import data as gdata
from genjax.errors import InputError
from genjax.train import images, logger
from genjax.train.trainer import Run, load_config


def restore(workdir: str, k: int = 0) -> Tuple[Run, int, object]:
  """(run, step, state) for the newest good checkpoint of `workdir`. k > 0 sets the number of
  importance samples of likelihood-based families (config.model.eval_k)."""
  logger.quiet_libraries()
  config = load_config(workdir)
  if k and "eval_k" in config.model:
    config.model.eval_k = k
    config.model.eval_chunk = math.gcd(k, config.model.eval_chunk)   # chunks must divide k
  run = Run(config, workdir)
  restored = run.checkpoints.restore_latest(run.compiled.abstract_state, move_aside=False)
  if restored is None:
    raise InputError(f"--workdir={workdir} has no usable checkpoint under {run.checkpoints.directory}")
  step, state = restored
  return run, step, state


def evaluate(workdir: str, split: Optional[str] = None, k: int = 0) -> Dict[str, object]:
  run, step, state = restore(workdir, k)
  split = split or run.config.data.eval_split
  if split not in run.splits:
    raise InputError(f"--split={split} is not a split of {run.config.data.name}: expected one of "
                     f"{', '.join(run.splits)}")
  metrics = run.evaluate(state, split)
  return {"workdir": workdir, "step": int(step), "model": run.config.model.name,
          "split": split, "num_examples": len(run.splits[split]),
          **gdata.protocol(run.config.data, run.info), **(run.method.protocol or {}),
          "metrics": metrics}


def write_samples(workdir: str, n: int, seed: int, out: str = "") -> Tuple[str, ...]:
  """Writes <out>.png and <out>.npy of n samples, and <out>_<name>.png for each of the
  method's own pictures (reconstructions, interpolations, ...). Returns the paths."""
  if n <= 0:
    raise InputError(f"--num={n} is invalid: expected a positive number of samples")
  run, step, state = restore(workdir)
  out = out or os.path.join(workdir, "samples", f"sample_step{step}_seed{seed}")
  samples = run.samples(state, n, seed)
  os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
  np.save(out + ".npy", samples)
  images.save_png(out + ".png", run.picture(samples))
  paths = [out + ".png", out + ".npy"]
  for name, pic in run.method_pictures(state).items():
    images.save_png(f"{out}_{name}.png", pic)
    paths.append(f"{out}_{name}.png")
  return tuple(paths)
