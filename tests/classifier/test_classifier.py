"""The feature classifier: trains, scores itself, and serves classifier FID, precision/recall
and classifier score for any image model that samples."""
import numpy as np
import pytest

from genjax import evaluation
from genjax.classifier import features
from genjax.evaluation import sample_quality
from genjax.errors import ConfigError, InputError
from genjax.train import trainer
from tests.conftest import embedded_smoke, load_config


def classifier_config():
  c = load_config("classifier_mnist")
  c.data.name = "mnist_like"       # embedded: no downloads, no ../shared
  c.num_steps, c.log_every, c.checkpoint_every = 30, 10, 30
  c.batch_size = 32
  c.model.widths, c.model.feature_dim, c.model.dropout = (4, 8), 16, 0.1
  c.optim.lr = 1e-2
  return c


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp("classifier"))
  results = trainer.train(classifier_config(), workdir)
  assert results["accuracy"] > 0.5     # mnist_like's 10 prototypes are easy to tell apart
  assert set(results) == {"accuracy", "nll"}
  return workdir


def test_the_classifier_trains_has_no_samples_and_describes_its_checkpoint(classifier_dir):
  net = features.load(classifier_dir)
  d = net.describe()
  assert d["step"] == 30 and len(d["checkpoint_sha256"]) == 64 and d["test_accuracy"] > 0.5
  x = np.zeros((3, 28, 28, 1), np.uint8)
  f, logits = net.embed(x)
  assert f.shape == (3, 16) and logits.shape == (3, 10)
  with pytest.raises(InputError, match="does not generate samples"):
    evaluation.write_samples(classifier_dir, 4, 0)


def test_a_classifier_needs_labels():
  c = classifier_config()
  c.data.name = "binarized_mnist"
  with pytest.raises(ConfigError, match="labelled"):
    trainer.validate(c, 1)


def test_evaluate_reports_sample_quality_of_a_gan_with_the_classifier(classifier_dir, tmp_path):
  c = load_config("cgan_mnist")
  c.data.name = "mnist_like"
  c.model.g_hidden, c.model.d_hidden = (8, 4), (4, 8)
  c.evals.quality.classifier = classifier_dir
  trainer.train(c, str(tmp_path))
  report = evaluation.evaluate(str(tmp_path), num_samples=200)
  q = report["evals"]["quality"]["metrics"]
  assert q["num_samples"] == 200 and q["reference_split"] == "test" and q["num_reference"] == 500
  assert q["feature_net"]["checkpoint_sha256"] == features.load(classifier_dir).sha256
  assert q["fid"] > q["train_images"]["fid"]           # an untrained G is far from the data
  # Recomputed here: the samples `evaluate` scored are those of classes 0, 1, ..., 9, 0, ...
  run, _, state = evaluation.restore(str(tmp_path))
  labels = np.arange(200) % 10
  fake = evaluation.to_uint8(run.samples(state, 200, 0, labels=labels), run.config.data)
  _, logits = features.load(classifier_dir).embed(fake)
  np.testing.assert_allclose(q["class_agreement"], np.mean(np.argmax(logits, 1) == labels))
  np.testing.assert_allclose(q["classifier_score"], sample_quality.classifier_score(logits), rtol=1e-6)
  # A conditional model's classes are judged against the classes asked for, 20 of each.
  np.testing.assert_allclose(q["class_shares"], np.bincount(np.argmax(logits, 1), minlength=10) / 200, atol=1e-4)
  np.testing.assert_allclose(q["class_imbalance"], 0.5 * np.abs(np.asarray(q["class_shares"]) - 0.1).sum(), atol=1e-3)
  # --truncation reaches the samples scored and written: at a tiny bound every sample of a class
  # is G(0, class), one image per class; untruncated they differ.
  tiny = np.load(evaluation.write_samples(str(tmp_path), 20, 0, str(tmp_path / "t"), truncation=1e-6)[1])
  np.testing.assert_allclose(tiny[:10], tiny[10:], atol=1e-5)
  plain = np.load(evaluation.write_samples(str(tmp_path), 20, 0, str(tmp_path / "p"))[1])
  assert not np.allclose(plain[:10], plain[10:], atol=1e-3)
  truncated = evaluation.evaluate(str(tmp_path), num_samples=200, truncation=1e-6)
  assert "truncated to [-1e-06, 1e-06]" in truncated["latents_drawn_from"]
  assert "truncated" not in report["latents_drawn_from"]
  _, logits = features.load(classifier_dir).embed(evaluation.to_uint8(tiny[:10], run.config.data))
  np.testing.assert_allclose(truncated["evals"]["quality"]["metrics"]["class_shares"],
                             np.bincount(np.argmax(logits, 1), minlength=10) / 10, atol=1e-4)
  # A classifier of another data set is refused in one line.
  c2 = classifier_config()
  c2.data.name = "digits"
  c2.model.widths = (4,)
  other = str(tmp_path / "digits_classifier")
  trainer.train(c2, other)
  with pytest.raises(InputError, match="trained on digits"):
    evaluation.evaluate(str(tmp_path), classifier=other, num_samples=50)


@pytest.mark.parametrize("name", ["classifier_mnist", "classifier_fashion_mnist"])
def test_smoke_config_trains(name, tmp_path):
  results = trainer.train(embedded_smoke(name), str(tmp_path))
  correct = results["accuracy"] * 1280     # mnist_like's validation split: a whole number right
  assert abs(correct - round(correct)) < 1e-3 and results["nll"] > 0
