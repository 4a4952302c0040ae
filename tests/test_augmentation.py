"""The augmentation experiment end to end on embedded data: every stage trains on the seed's
subset only, the samples are class-balanced uint8 images, and a rerun resumes."""
import json

import numpy as np
import pytest

from genjax import augmentation
from genjax.errors import ConfigError
from tests.conftest import load_config


def tiny():
  c = load_config("augment_mnist")
  for part in (c.gan, c.classifier):
    part.data.name = "mnist_like"
  c.gan.model.g_hidden, c.gan.model.d_hidden = (8, 4), (4, 8)
  c.classifier.model.widths, c.classifier.model.feature_dim = (4, 8), 16
  return c


def test_augmentation_runs_each_seed_on_its_own_subset_and_resumes(tmp_path):
  c = tiny()
  summary = augmentation.run(c, str(tmp_path))
  assert [r["seed"] for r in summary["per_seed"]] == [0, 1]
  assert summary["real_images"] == 40 and summary["synthetic_images"] == 80
  for key in ("real_only", "real_plus_synthetic"):
    acc = [r[key] for r in summary["per_seed"]]
    np.testing.assert_allclose(summary[key]["mean_accuracy"], np.mean(acc))
    np.testing.assert_allclose(summary[key]["std_accuracy"], np.std(acc, ddof=1))
  with np.load(tmp_path / "seed1" / "synthetic_80.npz") as f:
    assert f["x"].dtype == np.uint8 and f["x"].shape == (80, 28, 28, 1)
    np.testing.assert_array_equal(f["label"], np.arange(80) % 10)
  saved = json.loads((tmp_path / "seed0" / "real_plus_80_synthetic" / "config.json").read_text())
  assert saved["data"]["train_subset"] == 40 and saved["data"]["subset_seed"] == 0
  assert saved["data"]["augment_with"].endswith("seed0/synthetic_80.npz")
  # The GAN saw only the seed's subset: the same 40 images the classifier alone trained on.
  gan = json.loads((tmp_path / "seed1" / "gan" / "config.json").read_text())
  assert gan["data"]["train_subset"] == 40 and gan["data"]["subset_seed"] == 1
  assert augmentation.run(c, str(tmp_path)) == summary       # finished stages are not redone
  assert (tmp_path / "results_80_synthetic.json").exists()


def test_augmentation_needs_a_conditional_gan():
  c = tiny()
  c.gan.model.conditional = False
  with pytest.raises(ConfigError, match="conditional"):
    augmentation.validate(c)
