"""Staged runs: one run made of stages trained one after another, e.g. a deep belief
network's greedy layer-wise training (stage k trains an RBM on stage k-1's hidden units).

    config.stages.stage1 = {num_steps: 5000, optim: {lr: 0.05}}   # overrides for stage 1
    config.stages.stage2 = {num_steps: 8000, model: {...}}         # ... for stage 2

Stage k (1-based, in order of k) is an ordinary trainer run in `<workdir>/stage<k>/`: the
config without `stages`, updated with the stage's overrides and `stage = k`, with its own
steps, optimiser, schedule, checkpoints and log. Its state may have another shape than the
previous stage's: the family's `init(rng, batch, previous)` receives the previous stage's
final state (restored from its last checkpoint) and builds this stage's, e.g. freezing the
layers below and starting fresh chains. A finished stage leaves `stage<k>/done.json`; a rerun
skips finished stages (never retrains them), resumes an interrupted one from its newest
checkpoint, and a stage that finished training but not its marker only re-evaluates.
"""
import json
import os
import re
from typing import Callable, Dict, List, Optional, Tuple

import jax
import ml_collections

from genjax.errors import ConfigError, InputError
from genjax.train import logger, workdir as wd

DONE = "done.json"
_NAME = re.compile(r"^stage([1-9][0-9]*)$")


def stage_names(config) -> List[str]:
  """The stages of a staged config, in order: stage1, stage2, ... (none: [])."""
  stages = config.get("stages", None)
  if not stages:
    return []
  indices = []
  for name in stages.keys():
    match = _NAME.match(name)
    if not match:
      raise ConfigError(f"stages.{name}", "...", "stages named stage1, stage2, ... (run in that order)")
    indices.append(int(match.group(1)))
  if sorted(indices) != list(range(1, len(indices) + 1)):
    raise ConfigError("stages", tuple(sorted(stages.keys())), "stages stage1 .. stageK, none missing")
  return [f"stage{k}" for k in range(1, len(indices) + 1)]


def stage_config(config, name: str) -> ml_collections.ConfigDict:
  """The run config of one stage: the base without `stages`, the stage's overrides applied."""
  base = config.to_dict()
  overrides = base.pop("stages")[name]
  if not isinstance(overrides, dict):
    raise ConfigError(f"stages.{name}", overrides, "a dict of the fields this stage overrides")
  _check_overrides(overrides, base, f"stages.{name}")
  merged = wd.merge(base, overrides)
  merged["stage"] = int(_NAME.match(name).group(1))
  return wd.to_config(merged)


def _check_overrides(overrides: dict, base: dict, where: str):
  for k, v in overrides.items():
    if k not in base:
      raise ConfigError(f"{where}.{k}", v, "a field of the config (a stage overrides existing fields)")
    if isinstance(v, dict):
      if not isinstance(base[k], dict):
        raise ConfigError(f"{where}.{k}", v, f"a value like {base[k]!r}")
      _check_overrides(v, base[k], f"{where}.{k}")
    elif isinstance(base[k], dict):
      raise ConfigError(f"{where}.{k}", v, f"a dict of the fields of {k} it overrides")


def stage_configs(config) -> List[Tuple[str, ml_collections.ConfigDict]]:
  """[(stage name, stage config)] in order; the trainer validates each like a run."""
  return [(name, stage_config(config, name)) for name in stage_names(config)]


def train_stages(config, workdir: str, train_run: Callable, restore_final: Callable,
                 check_finished: Callable) -> Optional[Dict[str, Dict[str, float]]]:
  """Trains the stages of a validated config in order; returns {stage: its final evaluation}
  (None if a signal stopped it). `train_run(config, workdir, previous)` trains one run (None when stopped),
  `restore_final(config, workdir, previous)` restores a finished stage's final state for the
  next one, `check_finished(config, workdir)` refuses a finished stage whose config changed."""
  wd.check_workdir(workdir)
  stages = stage_configs(config)
  results, previous = {}, None
  for k, (name, c) in enumerate(stages):
    folder = os.path.join(workdir, name)
    done = _read_done(folder)
    if done is None:
      logger.log(f"{name} ({k + 1} of {len(stages)}): training in {folder}")
      out = train_run(c, folder, previous)
      if out is None:
        return None           # stopped by a signal: the same command resumes here
      done = {"stage": c.stage, "name": name, "step": c.num_steps, "results": out}
      if jax.process_index() == 0:
        wd.atomic_write(os.path.join(folder, DONE), json.dumps(done, indent=2).encode())
    else:
      if done["step"] != c.num_steps:
        raise ConfigError(f"stages.{name}.num_steps", c.num_steps, f"{done['step']}, the step "
                          f"{name} finished at (move {folder}/{DONE} away to train it further)")
      check_finished(c, folder)
      logger.log(f"{name} ({k + 1} of {len(stages)}): finished at step {done['step']}; skipped")
    results[name] = done["results"]
    if k + 1 < len(stages):
      previous = restore_final(c, folder, previous)
  return results


def _read_done(folder: str) -> Optional[dict]:
  path = os.path.join(folder, DONE)
  if not os.path.exists(path):
    return None
  try:
    with open(path) as f:
      done = json.load(f)
  except (OSError, ValueError) as e:
    done = {"error": type(e).__name__}
  if not (isinstance(done, dict) and {"step", "results"} <= set(done)):
    problem = done.get("error", "fields missing") if isinstance(done, dict) else "not a JSON object"
    raise InputError(f"{path} is not a finished stage's marker ({problem}): move it away to "
                     f"re-evaluate that stage")
  return done
