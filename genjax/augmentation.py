"""GAN data augmentation, measured: when does a classifier trained on few labelled images
improve if a class-conditional GAN, trained on those same images only, adds samples?

For each label budget n (`budgets`) and seed: a class-balanced subset of n labelled
training images (drawn with that seed); a conditional GAN trained on it alone, scored by
classifier-FID and class agreement against the test split; max(ratios) * n class-balanced
samples of its EMA generator, stored as uint8 images; then, for each synthetic ratio r,
the same classifier config trained for the same number of steps on batches of
`real_per_batch` real images (in the same order for every r) plus r times as many samples
(the first r * n of them), so a real image is seen equally often in every arm and only the
samples' presence differs; r = 0 is the real images alone. Also the classifier trained on
the max(ratios) * n samples alone (the classification accuracy score, CAS: the GAN's
quality for training). All are scored on the full test split.

Every stage is a normal trainer run in its own workdir, so an interrupted study resumes
where it stopped. A finished stage is skipped while its config is unchanged; a classifier
whose config changed trains on and is scored again; a GAN whose config changed is refused
(its samples are in the cell's classifiers). The GAN's quality numbers are kept with what
they were computed from (the quality classifier's workdir, config and checkpoints, the number
of samples) and computed again when any of it differs.
"""
import contextlib
import io
import json
import os
from typing import Dict, List, Optional

import jax
import numpy as np

from genjax.errors import ConfigError, InputError
from genjax.train import logger, trainer
from genjax.train.checkpoint import saved_steps
from genjax.train.restore import restore
from genjax.train import workdir as wd
from genjax.train.workdir import atomic_write, check_workdir

DONE = "done.json"    # in a stage's workdir once it finished with the config its config.json holds
# What a finished stage may differ in and still be skipped: what a run may change when it
# resumes (logging, checkpointing, evaluation, data location), num_steps excepted.
MAY_CHANGE = tuple(f for f in wd.RESUMABLE_FIELDS if f != "num_steps")
QUALITY = ("fid", "precision", "recall", "class_agreement")   # the GAN's numbers in each row


def validate(config):
  budgets, ratios = tuple(config.budgets), tuple(config.ratios)
  if not budgets or any(not (isinstance(n, int) and n > 0) for n in budgets):
    raise ConfigError("budgets", config.budgets, "a non-empty tuple of positive label budgets")
  if (not ratios or any(not (isinstance(r, (int, float)) and r >= 0) for r in ratios)
      or max(ratios) <= 0):
    raise ConfigError("ratios", config.ratios, "a tuple of non-negative synthetic:real ratios, "
                      "one positive (the largest also sets the CAS classifier's samples)")
  m = config.real_per_batch
  if not (isinstance(m, int) and m > 0):
    raise ConfigError("real_per_batch", m, "a positive number of real images per batch")
  smallest = max(m, config.gan.batch_size)
  if min(budgets) < smallest:
    raise ConfigError("budgets", config.budgets, f"budgets of at least {smallest} (real_per_batch "
                      f"and the GAN's batch_size)")
  if config.quality_classifier and not os.path.isdir(config.quality_classifier):
    raise ConfigError("quality_classifier", config.quality_classifier,
                      "a classifier workdir (experiments.train with classifier_<dataset>.py), or ''")
  for r in ratios:
    if not float(r * m).is_integer() or any(not float(r * n).is_integer() for n in budgets):
      raise ConfigError("ratios", config.ratios, f"ratios r with r * real_per_batch and r * n "
                        f"whole for every budget n (r={r} is not)")
  if not config.seeds or any(not isinstance(s, int) for s in config.seeds):
    raise ConfigError("seeds", config.seeds, "a non-empty tuple of integer seeds")
  if not config.gan.model.get("conditional", False):
    raise ConfigError("gan.model.conditional", config.gan.model.get("conditional"),
                      "True: the samples must come with labels")
  if config.classifier.data.name != config.gan.data.name:
    raise ConfigError("classifier.data.name", config.classifier.data.name,
                      f"the GAN's data set, {config.gan.data.name}")
  for n in budgets:     # every stage's config, each ratio's batch size included
    trainer.validate(stage_config(config, "gan", n, config.seeds[0]))
    for r in ratios:
      trainer.validate(stage_config(config, "classifier", n, config.seeds[0], ratio=r))


def stage_config(config, part, n, seed, synthetic="", ratio=0.0, only=False):
  """The `part` run of one budget and seed: trained on that seed's n real images, plus (a
  classifier with `synthetic`) the samples in a fixed proportion, or on the samples alone."""
  c = config[part].copy_and_resolve_references()
  c.seed = seed
  c.data.train_subset, c.data.subset_seed = n, seed
  if part == "classifier":
    m = config.real_per_batch
    c.batch_size = m + int(ratio * m)
    c.data.augment_with, c.data.augment_only = synthetic, only
    c.data.real_per_batch = m if synthetic and not only else 0
  return c


def write_synthetic(gan_dir: str, path: str, n: int, seed: int):
  """n class-balanced samples (labels 0..K-1 in turn) of the GAN in gan_dir, as uint8 images."""
  from genjax import evaluation
  run, _, state = restore(gan_dir)
  labels = np.arange(n) % run.info.num_classes
  x = evaluation.to_uint8(run.samples(state, n, seed=seed, labels=labels), run.config.data)
  write_npz(path, x, labels)


def write_npz(path, x, labels):
  buffer = io.BytesIO()
  np.savez(buffer, x=x, label=labels.astype(np.int32))
  atomic_write(path, buffer.getvalue())


def train_stage(config, workdir: str, refuse_change: str = "") -> bool:
  """One stage's run; a signal that stopped it stops the study (the same command resumes).
  A finished stage (done.json) whose config.json, which the trainer wrote for the run that
  finished, holds this very config is skipped (False), not re-evaluated; True: it trained (or
  resumed) now. A finished stage whose config changed trains on (the trainer resumes it or
  says why not), unfinished until it ends again, unless `refuse_change` names what depends
  on it."""
  marker = os.path.join(workdir, DONE)
  if os.path.exists(marker):
    changed, _, _ = wd.changed_fields(wd.read_saved(workdir), config, MAY_CHANGE)
    if not changed:
      return False
    if refuse_change:
      raise InputError(f"{workdir} finished with another config (config.{changed[0]} differs), "
                       f"and {refuse_change}: move {os.path.dirname(workdir)} away to run it "
                       f"again with this config")
    if jax.process_index() == 0:
      os.remove(marker)   # else a stop while it trains on would leave it marked finished
  if trainer.train(config, workdir) is None:
    raise trainer.Stopped(f"stopped by a signal during {workdir}; rerun the same command to resume")
  if jax.process_index() == 0:
    atomic_write(marker, json.dumps({"step": config.num_steps}).encode())
  return True


def cached(path: str, compute, inputs: Optional[Dict] = None) -> Dict:
  """compute()'s JSON result, stored at path with the `inputs` (JSON) it was computed from: a
  resumed study reuses it while they are the same and computes it again when they differ
  (with none, it is computed once and kept)."""
  stored = None
  if os.path.exists(path):
    with open(path) as f:
      stored = json.load(f)
  if stored is None or stored.get("inputs") != inputs:
    result = compute()
    atomic_write(path, json.dumps(result if inputs is None else {**result, "inputs": inputs},
                                  indent=2).encode())
    with open(path) as f:
      stored = json.load(f)
  return {k: v for k, v in stored.items() if k != "inputs"}


def test_accuracy(workdir: str) -> Dict:
  run, _, state = restore(workdir)
  return {"accuracy": run.evaluate(state, "test")["accuracy"]}


def quality_inputs(config) -> Dict:
  """What the GAN's quality numbers depend on besides the GAN: the classifier (its workdir, its
  saved config and the checkpoint steps it holds) and the number of samples."""
  path = os.path.abspath(os.path.expanduser(config.quality_classifier))
  return {"quality_classifier": path, "quality_classifier_config": wd.read_saved(path),
          "quality_classifier_steps": saved_steps(path), "quality_samples": config.quality_samples}


def gan_quality(config, gan_dir: str, seed: int) -> Dict:
  """The GAN's classifier-FID, precision/recall and class agreement against the test split."""
  from genjax import evaluation
  run, _, state = restore(gan_dir)
  q = evaluation.evaluators.sample_quality(run, state, config.quality_classifier,
                                           config.quality_samples, seed, "test")
  return {k: q[k] for k in QUALITY}


def synthetic_file(config, d: str, gan_dir: str, n: int, seed: int, count: int) -> str:
  """The first `count` of the max(ratios) * n samples (class-balanced for count a multiple
  of the classes), written once."""
  everything = os.path.join(d, f"synthetic_{int(max(config.ratios) * n)}.npz")
  if not os.path.exists(everything):
    write_synthetic(gan_dir, everything, int(max(config.ratios) * n), seed)
  path = os.path.join(d, f"synthetic_{count}.npz")
  if not os.path.exists(path):
    with np.load(everything) as f:
      write_npz(path, f["x"][:count], f["label"][:count])
  return path


def run_cell(config, workdir: str, n: int, seed: int) -> Dict:
  """One budget and seed: the GAN, its quality, each ratio's classifier and the CAS one."""
  d = os.path.join(workdir, f"real{n}", f"seed{seed}")
  gan_dir = os.path.join(d, "gan")
  logger.log(f"{n} labels, seed {seed}: conditional GAN on the {n} labelled images")
  train_stage(stage_config(config, "gan", n, seed), gan_dir,
              refuse_change="its samples and the classifiers trained on them are kept beside it")
  row = {"real": n, "seed": seed, "gan": {}, "accuracy": {}}
  if config.quality_classifier:
    row["gan"] = cached(os.path.join(d, "gan_quality.json"), lambda: gan_quality(config, gan_dir, seed),
                        quality_inputs(config))
  for r in config.ratios:
    count = int(r * n)
    synthetic = synthetic_file(config, d, gan_dir, n, seed, count) if count else ""
    logger.log(f"{n} labels, seed {seed}: classifier, {count} samples ({r:g} per real image)")
    row["accuracy"][f"{r:g}"] = classifier_accuracy(
        stage_config(config, "classifier", n, seed, synthetic, r), os.path.join(d, f"classifier_ratio{r:g}"))
  count = int(max(config.ratios) * n)
  logger.log(f"{n} labels, seed {seed}: classifier on the {count} samples alone (CAS)")
  samples = synthetic_file(config, d, gan_dir, n, seed, count)
  row["cas"] = classifier_accuracy(stage_config(config, "classifier", n, seed, samples, only=True),
                                   os.path.join(d, "classifier_synthetic_only"))
  return row


def classifier_accuracy(stage, out: str) -> float:
  """A classifier stage trained in `out`, then its test accuracy, scored once and kept."""
  if train_stage(stage, out) and jax.process_index() == 0:   # a kept test accuracy is stale
    with contextlib.suppress(FileNotFoundError):
      os.remove(os.path.join(out, "test.json"))
  return cached(os.path.join(out, "test.json"), lambda: test_accuracy(out))["accuracy"]


def mean_std(values: List[float]) -> Dict[str, float]:
  v = np.asarray(values, np.float64)
  return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0, "n": len(v)}


def summarise(config, rows: List[Dict]) -> Dict:
  """Per budget: each ratio's test accuracy, CAS and the GAN's numbers, mean and sample std
  over seeds (with every seed's value kept in `per_seed`)."""
  table = {}
  for n in config.budgets:
    mine = [r for r in rows if r["real"] == n]
    entry = {f"ratio {k}": mean_std([r["accuracy"][k] for r in mine]) for k in mine[0]["accuracy"]}
    entry["cas"] = mean_std([r["cas"] for r in mine])
    for key in mine[0]["gan"]:
      entry[f"gan_{key}"] = mean_std([r["gan"][key] for r in mine])
    table[str(n)] = entry
  return {"dataset": config.gan.data.name, "budgets": list(config.budgets),
          "ratios": list(config.ratios), "seeds": list(config.seeds),
          "real_per_batch": config.real_per_batch, "classifier_steps": config.classifier.num_steps,
          "gan_steps": config.gan.num_steps, "eval_split": "test", "table": table, "per_seed": rows}


def run(config, workdir: str) -> Dict[str, object]:
  check_workdir(workdir)
  validate(config)
  rows = [run_cell(config, workdir, n, seed) for n in config.budgets for seed in config.seeds]
  summary = summarise(config, rows)
  atomic_write(os.path.join(workdir, "results.json"), json.dumps(summary, indent=2).encode())
  from genjax.train import images
  images.save_png(os.path.join(workdir, "accuracy.png"), accuracy_plot(summary))
  return summary


def accuracy_plot(summary) -> np.ndarray:
  """Test accuracy against label budget (log scale), one line per ratio, ± one std over seeds."""
  from genjax.train import images
  budgets = summary["budgets"]

  def percent(key):   # (means, stds) in % of one table column, over the budgets
    cells = [summary["table"][str(n)][key] for n in budgets]
    return [c["mean"] * 100 for c in cells], [c["std"] * 100 for c in cells]

  lines = {f"{r:g} synthetic per real": percent(f"ratio {r:g}") for r in summary["ratios"]}
  lines["synthetic only (CAS)"] = percent("cas")
  return images.errorbar_plot(np.log10(budgets), lines, x_ticks=[str(n) for n in budgets],
                              x_label="labelled images (log scale)", y_label="test accuracy, %")
