"""Fréchet distance and precision/recall against closed forms and limiting cases."""
import numpy as np
from scipy import linalg

from genjax.evaluation.sample_quality import (class_imbalance, classifier_score, feature_frechet_distance,
                                              frechet_distance, precision_recall)


def random_cov(rng, d):
  a = rng.normal(size=(d, d))
  return a @ a.T + 0.1 * np.eye(d)


def test_frechet_distance_of_a_gaussian_with_itself_is_zero():
  rng = np.random.default_rng(0)
  mu, cov = rng.normal(size=6), random_cov(rng, 6)
  assert abs(frechet_distance(mu, cov, mu, cov)) < 1e-8
  feats = rng.normal(size=(500, 6))
  assert abs(feature_frechet_distance(feats, feats)) < 1e-8


def test_frechet_distance_matches_the_closed_form():
  rng = np.random.default_rng(1)
  mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
  c1, c2 = random_cov(rng, 5), random_cov(rng, 5)
  expected = np.sum((mu1 - mu2) ** 2) + np.trace(c1 + c2 - 2 * linalg.sqrtm(c1 @ c2).real)
  np.testing.assert_allclose(frechet_distance(mu1, c1, mu2, c2), expected, rtol=1e-8)
  # 1-D: (m1 - m2)^2 + (s1 - s2)^2.
  np.testing.assert_allclose(frechet_distance([0.5], [[4.0]], [-1.0], [[9.0]]), 1.5 ** 2 + 1.0, rtol=1e-12)


def test_precision_and_recall_limits():
  rng = np.random.default_rng(2)
  real = rng.normal(size=(300, 4))
  same = precision_recall(real, real.copy())
  assert same == {"precision": 1.0, "recall": 1.0}
  far = precision_recall(real, rng.normal(size=(300, 4)) + 100.0)
  assert far == {"precision": 0.0, "recall": 0.0}
  # Mode dropping: fakes cover only half the real data -> high precision, recall about 1/2.
  real2 = np.concatenate([rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + 20.0])
  half = precision_recall(real2, rng.normal(size=(300, 2)))
  assert half["precision"] > 0.9 and 0.4 < half["recall"] < 0.6


def test_classifier_score_closed_forms():
  # Confident, classes balanced: KL(p(y|x) || p(y)) = log K for every x, so the score is K.
  confident = np.log(np.eye(4)[np.arange(40) % 4] * (1 - 4e-12) + 1e-12)
  np.testing.assert_allclose(classifier_score(confident), 4.0, rtol=1e-6)
  # Uniform p(y|x): every KL is 0, the score is 1.
  np.testing.assert_allclose(classifier_score(np.zeros((10, 4))), 1.0, rtol=1e-9)
  # Every x confidently the same class: p(y|x) = p(y), the score is 1.
  np.testing.assert_allclose(classifier_score(np.tile([9.0, 0, 0], (5, 1))), 1.0, rtol=1e-6)


def test_class_imbalance_is_the_total_variation_between_assigned_class_shares():
  balanced = np.eye(10)[np.arange(1000) % 10] * 5.0            # 100 of each class
  # The same shares in another order: 0, however the samples are arranged.
  assert class_imbalance(balanced, balanced[::-1]) == 0.0
  # Every sample one class: 0.9 of the mass is in the wrong classes.
  np.testing.assert_allclose(class_imbalance(balanced, np.tile(np.eye(10)[3], (50, 1))), 0.9)
  # 30 % nines and 5 % twos, the rest as the data: half of |+0.2| + |-0.05| + 8 x |-0.01875|.
  shares = np.full(10, 0.65 / 8)
  shares[9], shares[2] = 0.3, 0.05
  fake = np.eye(10)[np.repeat(np.arange(10), (shares * 1600).round().astype(int))]
  np.testing.assert_allclose(class_imbalance(balanced, fake), 0.5 * (0.2 + 0.05 + 8 * 0.01875))
  # Against a skewed reference, the same skewed samples are perfect and balanced ones are not.
  assert class_imbalance(fake, fake[::-1]) == 0.0
  np.testing.assert_allclose(class_imbalance(fake, balanced), 0.2)
