"""Restoring a trained run for reading (evaluation, sampling, feature networks)."""
import math
import os
from typing import Optional, Tuple

from genjax.data.sources import concatenate
from genjax.errors import InputError
from genjax.train import logger
from genjax.train.trainer import Run, load_config


def check_truncation(config, workdir: str, truncation: Optional[float]):
  """A sampling truncation asked for: None (the config's), 0 (none) or a positive bound, for a
  run (its loaded config) whose samples have latents to truncate (a GAN's)."""
  if truncation is None:
    return
  if truncation < 0:
    raise InputError(f"--truncation={truncation} is invalid: expected 0 (untruncated) or a positive bound on |z|")
  if "truncation" not in config.model:
    raise InputError(f"--truncation={truncation} is invalid for --workdir={workdir}: its model is "
                     f"'{config.model.name}', expected a GAN (whose samples' latents can be truncated)")


def restore(workdir: str, k: int = 0, split: Optional[str] = None,
            truncation: Optional[float] = None) -> Tuple[Run, int, object]:
  """(run, step, state) for the newest good checkpoint of `workdir`. k > 0 sets the number of
  importance samples of likelihood-based families (config.model.eval_k); `split` (e.g.
  'train+validation') is loaded beside the run's own splits; a truncation (0: none) replaces a
  GAN's sampling truncation (config.model.truncation)."""
  logger.quiet_libraries()
  config = load_config(workdir)
  check_truncation(config, workdir, truncation)
  previous = None
  if config.get("stage", 0) > 1:   # a later stage of a staged run: built from the one before
    sibling = os.path.join(os.path.dirname(os.path.abspath(workdir)), f"stage{config.stage - 1}")
    previous = restore(sibling)[2]
  if k and "eval_k" in config.model:
    config.model.eval_k = k
    config.model.eval_chunk = math.gcd(k, config.model.eval_chunk)   # chunks must divide k
  if truncation is not None:
    config.model.truncation = truncation
  run = Run(config, workdir, previous=previous)
  if split and split not in run.splits:   # a joined split, e.g. 'train+validation'
    run.splits[split] = concatenate(*(run.splits[p] for p in split.split("+")))
  restored = run.checkpoints.restore_latest(run.compiled.abstract_state, move_aside=False)
  if restored is None:
    raise InputError(f"--workdir={workdir} has no usable checkpoint under {run.checkpoints.directory}")
  step, state = restored
  return run, step, state
