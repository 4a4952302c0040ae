"""Evaluation: the evaluators (`evaluators`), the sample-quality metrics (`sample_quality`,
`inception`), and what experiments.evaluate and experiments.sample call on a trained run."""
import os
from typing import Dict, Optional, Tuple

import ml_collections
import numpy as np

from genjax import data as gdata
from genjax.errors import InputError
from genjax.evaluation import evaluators
from genjax.train import images
from genjax.train.restore import check_truncation, restore
from genjax.train.trainer import load_config
from genjax.train.workdir import atomic_write_npy, check_creatable

__all__ = ["evaluate", "evaluators", "restore", "to_uint8", "write_samples"]


def check_flags(workdir: str, split: Optional[str], k: int, classifier: str, num_samples: int,
                inception_weights: str, seed: int, truncation: Optional[float] = None):
  """evaluate's flags, checked before any work."""
  if k < 0:
    raise InputError(f"--k={k} is invalid: expected a positive number of importance samples (0: the config's)")
  if seed < 0:
    raise InputError(f"--seed={seed} is invalid: expected a non-negative integer")
  if classifier and not os.path.isfile(os.path.join(classifier, "config.json")):
    raise InputError(f"--classifier={classifier} is not a run directory: expected a workdir of "
                     f"experiments/configs/classifier_*.py")
  if num_samples < 0:
    raise InputError(f"--num_samples={num_samples} is invalid: expected a positive number of samples (0: the config's)")
  if inception_weights and not os.path.isfile(inception_weights):
    raise InputError(f"--inception_weights={inception_weights} does not exist: expected the .npz "
                     f"written by experiments/reference/convert_inception.py")
  config = load_config(workdir)
  check_truncation(config, workdir, truncation)
  splits = gdata.split_names(config.data.name, config.data)
  if split and any(part not in splits for part in split.split("+")):
    raise InputError(f"--split={split} is not a split of {config.data.name}: expected one of "
                     f"{', '.join(splits)} (or several joined by '+')")


def evaluate(workdir: str, split: Optional[str] = None, k: int = 0, classifier: str = "",
             num_samples: int = 0, inception_weights: str = "", seed: int = 0,
             replicates: int = 0, truncation: Optional[float] = None) -> Dict[str, object]:
  """Every evaluator of the run's config (`config.evals`, those only run here included) on
  `split` (default 'test'), once, on the newest good checkpoint. `classifier` (a classifier
  workdir) scores sample quality in its feature space; `seed` picks every random draw;
  `replicates` > 0 repeats each evaluator that many times for its Monte-Carlo error;
  `truncation` (0: none) overrides a GAN's model.truncation."""
  check_flags(workdir, split, k, classifier, num_samples, inception_weights, seed, truncation)
  split = split or "test"
  run, step, state = restore(workdir, k, split, truncation)
  specs = ml_collections.ConfigDict(run.config.evals.to_dict())
  if classifier and not any(s.kind == "sample_quality" for s in specs.values()):
    specs.quality = evaluators.evaluator("sample_quality", every=-1, classifier=classifier,
                                         num=10_000, inception_weights="")
  for spec in specs.values():
    if spec.kind == "sample_quality":     # the flags override the config's settings if given
      spec.classifier = classifier or spec.classifier
      spec.num = num_samples or spec.get("num", 10_000)
      spec.inception_weights = inception_weights or spec.get("inception_weights", "")
  return {"workdir": workdir, "step": int(step), "model": run.config.model.name, "split": split,
          "num_examples": len(run.splits[split]), "seed": seed,
          **gdata.protocol(run.config.data, run.info), **(run.method.protocol or {}),
          "evals": evaluators.run_all(run, state, split, seed, specs, replicates)}


to_uint8 = evaluators.to_uint8


def check_output(prefix: str):
  """An output prefix whose folder is (or can be) a directory and whose files are not folders."""
  check_creatable(os.path.dirname(os.path.abspath(prefix)), f"--out={prefix}")
  for ext in (".png", ".npy"):
    if os.path.isdir(prefix + ext):
      raise InputError(f"--out={prefix} is invalid: {prefix + ext} is a directory, expected a file path")


def write_samples(workdir: str, n: int, seed: int, out: str = "",
                  truncation: Optional[float] = None) -> Tuple[str, ...]:
  """Writes <out>.png and <out>.npy of n samples, and <out>_<name>.png for each of the
  method's own pictures (reconstructions, interpolations, ...; for 2-D data with an exact
  density, <out>_density.png: the model's density beside the data's). Returns the paths.
  `truncation` (0: none) overrides a GAN's model.truncation."""
  if n <= 0:
    raise InputError(f"--num={n} is invalid: expected a positive number of samples")
  if seed < 0:
    raise InputError(f"--seed={seed} is invalid: expected a non-negative integer")
  if out:
    check_output(out)
  run, step, state = restore(workdir, truncation=truncation)     # checks the truncation first
  if run.method.sample is None:
    raise InputError(f"--workdir={workdir} holds a {run.config.model.name}, which does not generate samples")
  out = out or os.path.join(workdir, "samples", f"sample_step{step}_seed{seed}")
  samples = run.samples(state, n, seed)
  atomic_write_npy(out + ".npy", samples)
  images.save_png(out + ".png", run.picture(samples))
  paths = [out + ".png", out + ".npy"]
  pictures = dict(run.method_pictures(state))
  if run.method.log_density is not None and samples.ndim == 2:
    pictures["density"] = density_picture(run, state)
  for name, pic in pictures.items():
    images.save_png(f"{out}_{name}.png", pic)
    paths.append(f"{out}_{name}.png")
  return tuple(paths)


def density_picture(run, state, size: int = 256) -> np.ndarray:
  """A 2-D model's density on a grid, beside the data's: its closed form where the set has
  one (toy2d), else a histogram of the test split."""
  import jax
  from genjax.data import toy2d
  grid, log_density = images.grid_points(size), jax.jit(run.method.log_density)
  log_p = np.concatenate([np.asarray(log_density(state, rows)) for rows in np.split(grid, size)])
  kind = toy2d.density_kind(run.config.data.name)
  if kind is not None:
    data = images.density_image(np.asarray(toy2d.LOG_DENSITIES[kind](grid)), size)
  else:
    data = images.points_image(run.splits["test"].x, size)
  return images.side_by_side(images.density_image(log_p, size), data)
