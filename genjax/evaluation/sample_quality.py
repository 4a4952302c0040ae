"""Feature-space sample quality: Fréchet distance and improved precision/recall.

Both take features (N, F) of real and generated samples from any feature network (the
standard FID uses Inception's pool3; genjax will use its own classifiers' penultimate layer).
"""
import numpy as np


def _sqrtm_psd(c):
  w, v = np.linalg.eigh(c)
  return (v * np.sqrt(np.maximum(w, 0.0))) @ v.T


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
  """||mu1 - mu2||^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2)): the 2-Wasserstein distance squared
  between N(mu1, C1) and N(mu2, C2). tr (C1 C2)^(1/2) = tr (C1^(1/2) C2 C1^(1/2))^(1/2),
  computed with symmetric eigendecompositions (no complex sqrtm round-off)."""
  mu1, mu2, cov1, cov2 = (np.asarray(a, np.float64) for a in (mu1, mu2, cov1, cov2))
  s1 = _sqrtm_psd(cov1)
  cross = np.linalg.eigvalsh(s1 @ cov2 @ s1)
  tr_sqrt = np.sum(np.sqrt(np.maximum(cross, 0.0)))
  return float(np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2.0 * tr_sqrt)


def feature_frechet_distance(real, fake) -> float:
  """Fréchet distance between Gaussians fitted to two feature sets (N, F)."""
  stats = [(np.mean(f, 0), np.cov(f, rowvar=False)) for f in (np.asarray(real, np.float64),
                                                              np.asarray(fake, np.float64))]
  return frechet_distance(*stats[0], *stats[1])


def _pairwise(a, b):
  return np.sqrt(np.maximum(np.sum(a ** 2, 1)[:, None] + np.sum(b ** 2, 1)[None] - 2 * a @ b.T, 0.0))


def _in_manifold(reference, queries, k):
  """For each query: is it within the k-NN radius of some reference point?"""
  radii = np.sort(_pairwise(reference, reference), axis=1)[:, k]   # column 0 is the point itself
  return np.any(_pairwise(queries, reference) <= radii[None], axis=1)


def precision_recall(real, fake, k: int = 3):
  """Improved precision and recall (Kynkäänniemi et al. 2019): precision is the share of
  generated samples inside the real manifold (union of k-NN balls of real features), recall
  the share of real samples inside the generated one."""
  real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
  return {"precision": float(np.mean(_in_manifold(real, fake, k))),
          "recall": float(np.mean(_in_manifold(fake, real, k)))}


def classifier_score(logits: np.ndarray) -> float:
  """exp(E_x KL(p(y|x) || p(y))), the Inception score's formula with this classifier."""
  logp = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
  p = np.exp(logp)
  log_marginal = np.log(np.mean(p, 0) + 1e-30)
  return float(np.exp(np.mean(np.sum(p * (logp - log_marginal), 1))))


def class_shares(logits: np.ndarray) -> np.ndarray:
  """The share of examples the classifier assigns (argmax) to each class, (K,)."""
  return np.bincount(np.argmax(logits, 1), minlength=logits.shape[1]) / len(logits)


def class_imbalance(real_logits: np.ndarray, fake_logits: np.ndarray) -> float:
  """Total variation distance between the classes the classifier assigns to the samples and
  to the real images: 0 when the samples' classes come in the data's proportions, 0.9 when
  every sample is one of ten balanced classes."""
  return float(0.5 * np.sum(np.abs(class_shares(real_logits) - class_shares(fake_logits))))
