"""Restoring a trained run for evaluation and sampling (what experiments/evaluate and sample call)."""
import io
import math
import os
from typing import Dict, Optional, Tuple

import numpy as np

from genjax import data as gdata
from genjax.errors import InputError
from genjax.train import images, logger
from genjax.train.trainer import Run, load_config
from genjax.train.workdir import atomic_write


def restore(workdir: str, k: int = 0, split: Optional[str] = None) -> Tuple[Run, int, object]:
  """(run, step, state) for the newest good checkpoint of `workdir`. k > 0 sets the number of
  importance samples of likelihood-based families (config.model.eval_k); `split` (e.g.
  'train+validation') is loaded beside the run's own splits."""
  logger.quiet_libraries()
  config = load_config(workdir)
  if split and "+" in split:
    config.data.eval_split = split
  if k and "eval_k" in config.model:
    config.model.eval_k = k
    config.model.eval_chunk = math.gcd(k, config.model.eval_chunk)   # chunks must divide k
  run = Run(config, workdir)
  restored = run.checkpoints.restore_latest(run.compiled.abstract_state, move_aside=False)
  if restored is None:
    raise InputError(f"--workdir={workdir} has no usable checkpoint under {run.checkpoints.directory}")
  step, state = restored
  return run, step, state


def check_flags(workdir: str, split: Optional[str], k: int, classifier: str, num_samples: int,
                inception_weights: str, seed: int):
  """evaluate's flags, checked before any work."""
  if k < 0:
    raise InputError(f"--k={k} is invalid: expected a positive number of importance samples (0: the config's)")
  if seed < 0:
    raise InputError(f"--seed={seed} is invalid: expected a non-negative integer")
  if classifier and not os.path.isfile(os.path.join(classifier, "config.json")):
    raise InputError(f"--classifier={classifier} is not a run directory: expected a workdir of "
                     f"experiments/configs/classifier_*.py")
  if num_samples <= 0:
    raise InputError(f"--num_samples={num_samples} is invalid: expected a positive number of samples")
  if inception_weights and not os.path.isfile(inception_weights):
    raise InputError(f"--inception_weights={inception_weights} does not exist: expected the .npz "
                     f"written by experiments/reference/convert_inception.py")
  config = load_config(workdir)
  splits = gdata.info(config.data.name).splits
  if split and any(part not in splits for part in split.split("+")):
    raise InputError(f"--split={split} is not a split of {config.data.name}: expected one of "
                     f"{', '.join(splits)} (or several joined by '+')")


def evaluate(workdir: str, split: Optional[str] = None, k: int = 0, classifier: str = "",
             num_samples: int = 10_000, inception_weights: str = "", seed: int = 0) -> Dict[str, object]:
  """The run's eval metrics on `split`; with `classifier` (a classifier workdir; default the
  config's model.classifier when that exists) also its sample quality (`sample_quality`).
  `seed` picks every random draw of the evaluation."""
  check_flags(workdir, split, k, classifier, num_samples, inception_weights, seed)
  run, step, state = restore(workdir, k, split)
  split = split or run.config.data.eval_split
  metrics = run.evaluate(state, split, seed=seed)
  report = {"workdir": workdir, "step": int(step), "model": run.config.model.name,
            "split": split, "num_examples": len(run.splits[split]), "seed": seed,
            **gdata.protocol(run.config.data, run.info), **(run.method.protocol or {}),
            "metrics": metrics}
  default = run.config.model.get("classifier", "")
  if classifier or (default and os.path.isdir(default)):
    report["sample_quality"] = sample_quality(run, state, classifier or default, num_samples,
                                              seed=seed, inception_weights=inception_weights)
  elif default:
    report["sample_quality"] = (f"skipped: no classifier at {default} (train it with python -m "
                                f"experiments.train --config=experiments/configs/"
                                f"{os.path.basename(default)}.py --workdir={default})")
  return report


def to_uint8(samples: np.ndarray, cfg) -> np.ndarray:
  """Model-space image samples -> the data set's stored form, uint8 levels 0..255 (as if
  saved as PNGs): the form real images reach a feature network in."""
  return np.rint(gdata.to_unit_interval(samples, cfg) * 255.0).astype(np.uint8)


def sample_quality(run: Run, state, classifier: str, n: int, seed: int = 0,
                   inception_weights: str = "") -> Dict[str, object]:
  """Classifier FID, improved precision/recall (k=3) and classifier score of n samples,
  against the run's eval split, in the feature space of a genjax classifier trained on the
  same data set. Also the same numbers for n real training images (the floor a perfect
  model would reach with n samples) and, for class-conditional models, the share of samples
  the classifier assigns to the class they were drawn for. With `inception_weights` (optional,
  user-supplied), also the standard FID, with Inception-v3 pool features."""
  from genjax.classifier import features
  from genjax.gan import inception, sample_quality as sq
  inception_vars = inception.load_weights(inception_weights) if inception_weights else None
  if not run.info.is_image or run.method.sample is None:
    raise InputError(f"--classifier needs a model of images that samples; {run.workdir} holds "
                     f"a {run.config.model.name} of {run.config.data.name}")
  net = features.load(classifier)
  if net.dataset != run.config.data.name:
    raise InputError(f"--classifier={classifier} was trained on {net.dataset}, the model on "
                     f"{run.config.data.name}: expected a classifier of the same data set")
  reference = run.splits[run.config.data.eval_split]
  f_ref, l_ref = net.embed(reference.x)
  labels = run.default_labels(n)       # None for an unconditional model
  fake = to_uint8(run.samples(state, n, seed, labels=labels), run.config.data)
  f_fake, l_fake = net.embed(fake)
  train = run.splits[run.config.data.train_split]
  real = train.x[np.random.default_rng(seed).choice(len(train), min(n, len(train)), replace=False)]
  f_real, l_real = net.embed(real)
  m = min(len(f_ref), n)                   # precision/recall compare equal-sized sets
  out = {"feature_net": net.describe(), "num_samples": n, "sample_seed": seed,
         "reference_split": run.config.data.eval_split, "num_reference": len(reference),
         "fid": sq.feature_frechet_distance(f_ref, f_fake),
         **sq.precision_recall(f_ref[:m], f_fake[:m], k=3), "precision_recall_k": 3,
         "precision_recall_num": m,
         "classifier_score": features.classifier_score(l_fake),
         "train_images": {"fid": sq.feature_frechet_distance(f_ref, f_real),
                          **sq.precision_recall(f_ref[:m], f_real[:m], k=3),
                          "classifier_score": features.classifier_score(l_real)}}
  if inception_weights:
    embed = inception.make_features(inception_vars)
    out["inception"] = {"fid": sq.feature_frechet_distance(embed(reference.x), embed(fake)),
                        "weights": inception_weights,
                        "weights_sha256": _file_sha256(inception_weights)}
  if labels is not None:
    out["class_agreement"] = float(np.mean(np.argmax(l_fake, 1) == labels))
  return out


def check_output(prefix: str):
  """An output prefix whose folder is (or can be) a directory and whose files are not folders."""
  folder = os.path.dirname(os.path.abspath(prefix))
  parent = folder
  while not os.path.exists(parent):
    parent = os.path.dirname(parent)
  if not os.path.isdir(parent):
    raise InputError(f"--out={prefix} is invalid: {parent} is a file, expected a directory for the outputs")
  if not os.access(parent, os.W_OK):
    raise InputError(f"--out={prefix} is invalid: {parent} is not writable")
  for ext in (".png", ".npy"):
    if os.path.isdir(prefix + ext):
      raise InputError(f"--out={prefix} is invalid: {prefix + ext} is a directory, expected a file path")


def _file_sha256(path):
  import hashlib
  h = hashlib.sha256()
  with open(path, "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
      h.update(block)
  return h.hexdigest()


def write_samples(workdir: str, n: int, seed: int, out: str = "") -> Tuple[str, ...]:
  """Writes <out>.png and <out>.npy of n samples, and <out>_<name>.png for each of the
  method's own pictures (reconstructions, interpolations, ...). Returns the paths."""
  if n <= 0:
    raise InputError(f"--num={n} is invalid: expected a positive number of samples")
  if seed < 0:
    raise InputError(f"--seed={seed} is invalid: expected a non-negative integer")
  if out:
    check_output(out)
  run, step, state = restore(workdir)
  if run.method.sample is None:
    raise InputError(f"--workdir={workdir} holds a {run.config.model.name}, which does not generate samples")
  out = out or os.path.join(workdir, "samples", f"sample_step{step}_seed{seed}")
  samples = run.samples(state, n, seed)
  buffer = io.BytesIO()
  np.save(buffer, samples)
  atomic_write(out + ".npy", buffer.getvalue())
  images.save_png(out + ".png", run.picture(samples))
  paths = [out + ".png", out + ".npy"]
  for name, pic in run.method_pictures(state).items():
    images.save_png(f"{out}_{name}.png", pic)
    paths.append(f"{out}_{name}.png")
  return tuple(paths)
