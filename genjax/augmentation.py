"""GAN data augmentation, measured: does a classifier trained on few labelled images improve
when a class-conditional GAN, trained on those same images only, adds samples?

For each seed: a class-balanced subset of `real` labelled training images (drawn with that
seed); a conditional GAN trained on it alone; `synthetic_per_real * real` class-balanced
samples of its EMA generator, stored as uint8 images; then the same classifier config trained
twice for the same number of steps, on the subset alone and on the subset plus the samples,
and both scored on the full test split. Every stage is a normal trainer run in its own
workdir, so an interrupted experiment resumes where it stopped, and a run with another
`synthetic_per_real` in the same workdir reuses the GANs and the real-only classifiers.
"""
import io
import json
import os
from typing import Dict

import numpy as np

from genjax.errors import ConfigError
from genjax.train import logger, trainer
from genjax.train.restore import restore
from genjax.train.workdir import atomic_write, check_workdir


def validate(config):
  if not (isinstance(config.real, int) and config.real > 0):
    raise ConfigError("real", config.real, "a positive number of labelled images")
  if not (isinstance(config.synthetic_per_real, int) and config.synthetic_per_real >= 0):
    raise ConfigError("synthetic_per_real", config.synthetic_per_real, "a non-negative integer")
  if not config.seeds or any(not isinstance(s, int) for s in config.seeds):
    raise ConfigError("seeds", config.seeds, "a non-empty tuple of integer seeds")
  if not config.gan.model.get("conditional", False):
    raise ConfigError("gan.model.conditional", config.gan.model.get("conditional"),
                      "True: the samples must come with labels")
  if config.classifier.data.name != config.gan.data.name:
    raise ConfigError("classifier.data.name", config.classifier.data.name,
                      f"the GAN's data set, {config.gan.data.name}")
  for part in ("gan", "classifier"):
    trainer.validate(stage_config(config, part, config.seeds[0]))


def stage_config(config, part, seed, augment_with=""):
  """The `part` run of one seed: trained on that seed's subset only."""
  c = config[part].copy_and_resolve_references()
  c.seed = seed
  c.data.train_subset, c.data.subset_seed = config.real, seed
  c.data.augment_with = augment_with
  return c


def write_synthetic(gan_dir: str, path: str, n: int, seed: int):
  """n class-balanced samples (labels 0..K-1 in turn) of the GAN in gan_dir, as uint8 images."""
  from genjax import evaluation
  run, _, state = restore(gan_dir)
  labels = np.arange(n) % run.info.num_classes
  x = evaluation.to_uint8(run.samples(state, n, seed=seed, labels=labels), run.config.data)
  buffer = io.BytesIO()
  np.savez(buffer, x=x, label=labels.astype(np.int32))
  atomic_write(path, buffer.getvalue())


def train_stage(config, workdir: str) -> Dict[str, float]:
  """One stage's run, then (classifiers) its test accuracy, scored once on the final state; a
  signal that stopped it stops the experiment (the same command resumes)."""
  if trainer.train(config, workdir) is None:
    raise trainer.Stopped(f"stopped by a signal during {workdir}; rerun the same command to resume")
  if config.model.name != "classifier":
    return {}
  run, _, state = restore(workdir)
  return run.evaluate(state, "test")


def run(config, workdir: str) -> Dict[str, object]:
  check_workdir(workdir)
  validate(config)
  n_synthetic = config.synthetic_per_real * config.real
  rows = []
  for seed in config.seeds:
    d = os.path.join(workdir, f"seed{seed}")
    logger.log(f"seed {seed}: conditional GAN on {config.real} labelled images")
    train_stage(stage_config(config, "gan", seed), os.path.join(d, "gan"))
    npz = os.path.join(d, f"synthetic_{n_synthetic}.npz")   # other ratios reuse the same GAN
    if not os.path.exists(npz):
      write_synthetic(os.path.join(d, "gan"), npz, n_synthetic, seed)
    logger.log(f"seed {seed}: classifier on the {config.real} real images alone")
    alone = train_stage(stage_config(config, "classifier", seed), os.path.join(d, "real_only"))
    logger.log(f"seed {seed}: classifier on them plus {n_synthetic} GAN samples")
    both = train_stage(stage_config(config, "classifier", seed, npz),
                         os.path.join(d, f"real_plus_{n_synthetic}_synthetic"))
    rows.append({"seed": seed, "real_only": alone["accuracy"], "real_plus_synthetic": both["accuracy"]})
  summary = {"dataset": config.gan.data.name, "real_images": config.real,
             "synthetic_images": n_synthetic,
             "synthetic_to_real": f"{config.synthetic_per_real}:1",
             "classifier_steps": config.classifier.num_steps,
             "gan_steps": config.gan.num_steps, "eval_split": "test",
             "per_seed": rows}
  for key in ("real_only", "real_plus_synthetic"):
    acc = np.array([r[key] for r in rows])
    summary[key] = {"mean_accuracy": float(acc.mean()),
                    "std_accuracy": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0}
  atomic_write(os.path.join(workdir, f"results_{n_synthetic}_synthetic.json"),
               json.dumps(summary, indent=2).encode())
  return summary
