"""Evaluators: the declared, named evaluations of a run (`config.evals`), each with a schedule.

    config.evals.<name> = {kind, every, replicates, ...kind's options}

`every`: N > 0 evaluates every N steps during training and at its end, 0 only at the end,
-1 only in `experiments.evaluate`. Training evaluates on `data.eval_split` (a validation
split); `experiments.evaluate` scores the final state on the test split, once.

Kinds:
- `per_example`: the method's `eval_step` averaged over a split, after the method's
  once-per-evaluation `estimates` (e.g. an RBM's AIS log Z with its standard error), which
  every eval step sees as `batch['estimates']`. With `replicates` R > 1 it runs R times with
  independent draws and reports each metric's mean and `<metric>_mc_se`, the Monte-Carlo
  standard error of that mean (std over replicates / sqrt R).
- `sample_metrics`: the method's `sample_metrics` of `num` samples (e.g. mode coverage).
- `sample_quality`: classifier FID, precision/recall and classifier score of `num` samples
  in the feature space of the genjax classifier in `classifier` (see `sample_quality`).

Every report states its protocol: kind, split, seed, replicates, and the method's own.
"""
import hashlib
import os
from typing import Callable, Dict

import jax
import numpy as np

from genjax import data as gdata
from genjax.errors import ConfigError, InputError
from genjax.evaluation import sample_quality as sq
from genjax.train import defaults, keys

KINDS: Dict[str, Callable] = {}
NEVER_IN_TRAINING = -1


evaluator = defaults.evaluator   # an evaluator's config entry


def register(kind: str):
  def wrap(fn):
    KINDS[kind] = fn
    return fn
  return wrap


def validate(evals):
  for name, spec in evals.items():
    where = f"evals.{name}"
    if spec.get("kind") not in KINDS:
      raise ConfigError(f"{where}.kind", spec.get("kind"), "one of " + ", ".join(sorted(KINDS)))
    if not (isinstance(spec.every, int) and spec.every >= NEVER_IN_TRAINING):
      raise ConfigError(f"{where}.every", spec.every, "N > 0 steps, 0 (at the end) or -1 (only in experiments.evaluate)")
    if not (isinstance(spec.replicates, int) and spec.replicates > 0):
      raise ConfigError(f"{where}.replicates", spec.replicates, "a positive number of replicate draws")
    if "num" in spec and not (isinstance(spec.num, int) and spec.num > 0):
      raise ConfigError(f"{where}.num", spec.num, "a positive number of samples")


def due(spec, step: int, num_steps: int) -> bool:
  """Whether a training-time evaluation runs at `step`."""
  if spec.every == NEVER_IN_TRAINING:
    return False
  return step == num_steps or (spec.every > 0 and step % spec.every == 0)


def run_all(run, state, split: str, seed: int, specs, replicates: int = 0) -> Dict[str, Dict]:
  """{name: report} of the evaluators in `specs` on `split`; replicates > 0 overrides theirs."""
  out = {}
  for name, spec in specs.items():
    r = replicates or spec.replicates
    report = {"kind": spec.kind, "split": split, "seed": seed, "replicates": r}
    report.update(KINDS[spec.kind](run, state, spec, split, seed, r))
    out[name] = report
  return out


def scalars(reports: Dict[str, Dict]) -> Dict[str, float]:
  """The numbers of a set of reports as flat `<evaluator>/<metric>` scalars for logging."""
  flat = {}
  for name, report in reports.items():
    for k, v in report.get("metrics", {}).items():
      if isinstance(v, (int, float)):
        flat[f"{name}/{k}"] = float(v)
  return flat


def mean_and_mc_se(passes) -> Dict[str, float]:
  """Each metric's mean over replicate passes and, for several, `<metric>_mc_se`: the
  Monte-Carlo standard error of that mean (std over replicates / sqrt R)."""
  metrics = {}
  for k in passes[0]:
    values = np.array([p[k] for p in passes], np.float64)
    metrics[k] = float(values.mean())
    if len(passes) > 1:
      metrics[f"{k}_mc_se"] = float(values.std(ddof=1) / np.sqrt(len(passes)))
  return metrics


@register("per_example")
def per_example(run, state, spec, split, seed, replicates) -> Dict:
  passes = [run.evaluate(state, split, seed=seed, replicate=r) for r in range(replicates)]
  return {"num_examples": len(run.splits[split]), "protocol": dict(run.method.protocol or {}),
          "metrics": mean_and_mc_se(passes)}


@register("sample_metrics")
def sample_metrics(run, state, spec, split, seed, replicates) -> Dict:
  if run.method.sample_metrics is None:
    return {"skipped": f"the {run.config.model.name} method has no sample metrics for {run.config.data.name}"}
  n = spec.get("num", 2500)
  passes = []
  for r in range(replicates):
    key = keys.stream(jax.random.fold_in(jax.random.PRNGKey(seed), r), "eval_samples")
    passes.append(run.method.sample_metrics(run.samples(state, n, key=key)))
  return {"num_samples": n, "metrics": mean_and_mc_se(passes)}


@register("sample_quality")
def sample_quality_kind(run, state, spec, split, seed, replicates) -> Dict:
  classifier = spec.get("classifier", "")
  if not classifier or not os.path.isdir(classifier):
    name = os.path.basename(classifier.rstrip("/")) or "classifier_<dataset>"
    return {"skipped": f"no classifier at {classifier!r} (train it with python -m experiments.train "
                       f"--config=experiments/configs/{name}.py --workdir={classifier or 'DIR'}, "
                       f"or pass --classifier=DIR)"}
  return {"replicates": 1,    # one set of samples: FID's sampling error is not estimated here
          "metrics": sample_quality(run, state, classifier, spec.get("num", 10_000), seed, split,
                                    spec.get("inception_weights", ""))}


def to_uint8(samples: np.ndarray, cfg) -> np.ndarray:
  """Model-space image samples -> the data set's stored form, uint8 levels 0..255 (as if
  saved as PNGs): the form real images reach a feature network in."""
  return np.rint(gdata.to_unit_interval(samples, cfg) * 255.0).astype(np.uint8)


def sample_quality(run, state, classifier: str, n: int, seed: int = 0, split: str = "test",
                   inception_weights: str = "") -> Dict[str, object]:
  """Classifier FID, improved precision/recall (k=3) and classifier score of n samples,
  against `split`, in the feature space of a genjax classifier trained on the same data set.
  Also the same numbers for n real training images (the floor a perfect model would reach
  with n samples) and, for class-conditional models, the share of samples the classifier
  assigns to the class they were drawn for. With `inception_weights` (optional,
  user-supplied), also the standard FID, with Inception-v3 pool features."""
  from genjax.classifier import features
  from genjax.evaluation import inception
  inception_vars = inception.load_weights(inception_weights) if inception_weights else None
  if not run.info.is_image or run.method.sample is None:
    raise InputError(f"--classifier needs a model of images that samples; {run.workdir} holds "
                     f"a {run.config.model.name} of {run.config.data.name}")
  net = features.load(classifier)
  if net.dataset != run.config.data.name:
    raise InputError(f"--classifier={classifier} was trained on {net.dataset}, the model on "
                     f"{run.config.data.name}: expected a classifier of the same data set")
  reference = run.splits[split]
  f_ref, l_ref = net.embed(reference.x)
  labels = run.default_labels(n)       # None for an unconditional model
  fake = to_uint8(run.samples(state, n, seed, labels=labels), run.config.data)
  f_fake, l_fake = net.embed(fake)
  # the classes the samples should come in: those asked for (conditional), else the split's
  l_want = l_ref if labels is None else np.eye(l_fake.shape[1])[np.asarray(labels)]
  train = run.splits[run.config.data.train_split]
  real = train.x[np.random.default_rng(seed).choice(len(train), min(n, len(train)), replace=False)]
  f_real, l_real = net.embed(real)
  m = min(len(f_ref), n)                   # precision/recall compare equal-sized sets
  out = {"feature_net": net.describe(), "num_samples": n, "sample_seed": seed,
         "reference_split": split, "num_reference": len(reference),
         "fid": sq.feature_frechet_distance(f_ref, f_fake),
         **sq.precision_recall(f_ref[:m], f_fake[:m], k=3), "precision_recall_k": 3,
         "precision_recall_num": m, "classifier_score": sq.classifier_score(l_fake),
         "class_imbalance": sq.class_imbalance(l_want, l_fake),
         "class_shares": [round(float(s), 4) for s in sq.class_shares(l_fake)],
         "train_images": {"fid": sq.feature_frechet_distance(f_ref, f_real),
                          **sq.precision_recall(f_ref[:m], f_real[:m], k=3),
                          "classifier_score": sq.classifier_score(l_real),
                          "class_imbalance": sq.class_imbalance(l_ref, l_real)}}
  if inception_weights:
    embed = inception.make_features(inception_vars)
    out["inception"] = {"fid": sq.feature_frechet_distance(embed(reference.x), embed(fake)),
                        "weights": inception_weights, "weights_sha256": file_sha256(inception_weights)}
  if labels is not None:
    out["class_agreement"] = float(np.mean(np.argmax(l_fake, 1) == labels))
  return out


def file_sha256(path):
  h = hashlib.sha256()
  with open(path, "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
      h.update(block)
  return h.hexdigest()
