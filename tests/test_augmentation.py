"""The augmentation study end to end on embedded data: every stage trains on the seed's
subset only, each ratio's classifier sees the same real images in the same order plus
samples in a fixed proportion, the CAS classifier sees samples only, and a rerun resumes."""
import json

import numpy as np
import pytest

from genjax import augmentation
from genjax.errors import ConfigError, InputError
from genjax.train.restore import restore
from tests.conftest import load_config


def tiny():
  c = load_config("augment_mnist")
  for part in (c.gan, c.classifier):
    part.data.name = "mnist_like"
  c.gan.model.g_hidden, c.gan.model.d_hidden = (8, 4), (4, 8)
  c.classifier.model.widths, c.classifier.model.feature_dim = (4, 8), 16
  return c


def test_augmentation_study_runs_each_cell_on_its_subset_and_resumes(tmp_path):
  c = tiny()
  c.seeds = (1,)   # one cell, not the default seed's; averaging over seeds is the next test's
  summary = augmentation.run(c, str(tmp_path))
  assert [(r["real"], r["seed"]) for r in summary["per_seed"]] == [(20, 1)]
  (row,) = summary["per_seed"]
  cell = summary["table"]["20"]
  assert cell["ratio 1"] == {"mean": row["accuracy"]["1"], "std": 0.0, "n": 1}
  assert cell["cas"] == {"mean": row["cas"], "std": 0.0, "n": 1}
  d = tmp_path / "real20" / "seed1"
  with np.load(d / "synthetic_20.npz") as f:         # 1 * 20 samples
    assert f["x"].dtype == np.uint8 and f["x"].shape == (20, 28, 28, 1)
    np.testing.assert_array_equal(f["label"], np.arange(20) % 10)
  mixed = json.loads((d / "classifier_ratio1" / "config.json").read_text())["data"]
  assert mixed["train_subset"] == 20 and mixed["subset_seed"] == 1 and mixed["real_per_batch"] == 16
  assert mixed["augment_with"].endswith("real20/seed1/synthetic_20.npz")
  # The mixed arm's batches: the real-only arm's 16 real images, in its order, then 16 samples.
  alone, _, _ = restore(str(d / "classifier_ratio0"))
  both, _, _ = restore(str(d / "classifier_ratio1"))
  for step in (0, 3, 7):
    np.testing.assert_array_equal(both.batches(step)["x"][:16], alone.batches(step)["x"])
    assert both.batches.indices(step)[16:].min() >= 20 and len(both.batches.indices(step)) == 32
  cas, _, _ = restore(str(d / "classifier_synthetic_only"))
  assert len(cas.batches.split) == 20                 # samples only
  gan = json.loads((d / "gan" / "config.json").read_text())["data"]
  assert gan["train_subset"] == 20 and gan["subset_seed"] == 1
  touched = {p: p.stat().st_mtime_ns for p in d.rglob("*") if p.is_file()}
  assert augmentation.run(c, str(tmp_path)) == summary       # finished stages are not redone,
  assert {p: p.stat().st_mtime_ns for p in touched} == touched   # nor opened to re-evaluate
  assert (tmp_path / "results.json").exists() and (tmp_path / "accuracy.png").exists()


def test_a_rerun_with_a_changed_classifier_trains_on_and_rescores_and_refuses_a_changed_gan(tmp_path):
  c = tiny()
  c.seeds, c.ratios = (0,), (1,)
  augmentation.run(c, str(tmp_path))
  out = tmp_path / "real20" / "seed0" / "classifier_ratio1"
  (out / "test.json").write_text('{"accuracy": -1.0}')       # what a stale score would return
  c.gan.log_every = c.classifier.log_every = 1                 # resumable fields: no change
  assert augmentation.run(c, str(tmp_path))["per_seed"][0]["accuracy"]["1"] == -1.0
  c.classifier.num_steps += 2
  row, = augmentation.run(c, str(tmp_path))["per_seed"]
  run, step, state = restore(str(out))
  assert step == c.classifier.num_steps                         # trained on, not skipped
  assert row["accuracy"]["1"] == run.evaluate(state, "test")["accuracy"]   # scored again
  c.gan.num_steps += 2
  with pytest.raises(InputError, match="finished with another config"):
    augmentation.run(c, str(tmp_path))


def test_summary_averages_each_budget_and_ratio_over_seeds():
  c = tiny()
  c.budgets, c.ratios = (20, 40), (0, 1)
  rows = [{"real": n, "seed": s, "gan": {"fid": 10.0 * s}, "cas": 0.1 * s + n / 100,
           "accuracy": {"0": 0.5 + s / 10 + n / 1000, "1": 0.6 + n / 1000}}
          for n in (20, 40) for s in (0, 1, 2)]
  table = augmentation.summarise(c, rows)["table"]
  np.testing.assert_allclose(table["40"]["ratio 0"]["mean"], 0.64)
  np.testing.assert_allclose(table["40"]["ratio 0"]["std"], 0.1)
  np.testing.assert_allclose(table["20"]["ratio 1"]["mean"], 0.62)
  np.testing.assert_allclose(table["20"]["cas"]["mean"], 0.3)
  np.testing.assert_allclose(table["20"]["gan_fid"]["mean"], 10.0)
  assert augmentation.accuracy_plot(augmentation.summarise(c, rows)).shape[-1] == 3


@pytest.mark.parametrize("field, value, match", [
    ("gan.model.conditional", False, "conditional"),
    ("ratios", (0, 0.3), "r=0.3 is not"),
    ("budgets", (), "positive label budgets"),
    ("ratios", (0,), "one positive"),
    ("budgets", (20, 10), "budgets of at least 16"),
    ("quality_classifier", "no/such/dir", "a classifier workdir"),
])
def test_augmentation_refuses_a_bad_study(field, value, match):
  c = tiny()
  node = c
  for p in field.split(".")[:-1]:
    node = node[p]
  node[field.split(".")[-1]] = value
  with pytest.raises(ConfigError, match=match):
    augmentation.validate(c)


def test_every_ratios_batch_is_checked_before_anything_trains():
  # 16 real + 0.25 * 16 = 20 images per batch: not a multiple of the 8 test devices.
  c = tiny()
  c.budgets, c.ratios = (40,), (0, 0.25)
  with pytest.raises(ConfigError, match="batch_size=20"):
    augmentation.validate(c)


def test_the_gans_quality_is_kept_while_its_classifier_and_samples_are_and_redone_when_they_change(tmp_path):
  from genjax.train import trainer
  from tests.classifier.test_classifier import classifier_config
  classifier = tmp_path / "quality_classifier"
  trainer.train(classifier_config(), str(classifier))
  c = tiny()
  c.seeds, c.ratios = (0,), (1,)
  c.quality_classifier, c.quality_samples = str(classifier), 20
  study = tmp_path / "study"
  summary = augmentation.run(c, str(study))
  # only the numbers reach the table: the inputs they were computed from are not averaged
  assert {k for k in summary["table"]["20"] if k.startswith("gan_")} == {f"gan_{k}" for k in augmentation.QUALITY}
  path = study / "real20" / "seed0" / "gan_quality.json"
  kept = json.loads(path.read_text())["inputs"]
  assert (kept["quality_classifier"], kept["quality_classifier_steps"][-1], kept["quality_samples"]) == (
      str(classifier), 30, 20)

  def stale(**inputs):   # what a kept number would return, computed from these inputs
    kept = json.loads(path.read_text())
    path.write_text(json.dumps({**kept, "fid": -1.0, "inputs": {**kept["inputs"], **inputs}}))

  def fid():
    return augmentation.run(c, str(study))["per_seed"][0]["gan"]["fid"]

  stale()
  assert fid() == -1.0                                     # the same inputs: reused
  c.quality_samples = 30                                   # other samples: scored again
  assert fid() != -1.0 and json.loads(path.read_text())["inputs"]["quality_samples"] == 30
  stale(quality_classifier=str(tmp_path / "another"))      # another classifier
  assert fid() != -1.0
  stale(quality_classifier_steps=[10])                     # the classifier trained on since
  assert fid() != -1.0
  saved = json.loads((classifier / "config.json").read_text())
  stale()
  saved["optim"]["lr"] *= 2                                # retrained with another config
  (classifier / "config.json").write_text(json.dumps(saved))
  assert fid() != -1.0
  assert json.loads(path.read_text())["inputs"]["quality_classifier_config"]["optim"]["lr"] == saved["optim"]["lr"]
  kept = json.loads(path.read_text())
  del kept["inputs"]
  path.write_text(json.dumps({**kept, "fid": -1.0}))       # kept before inputs were recorded
  assert fid() != -1.0
