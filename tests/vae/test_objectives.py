"""VAE bounds against exact references on a linear-Gaussian model, where log p(x) is closed-form."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from genjax.distributions import (discretized_logistic_log_prob, gaussian_kl_to_standard,
                                  normal_log_prob)
from genjax.vae import objectives

D, L = 5, 3
rng = np.random.default_rng(0)
W = jnp.asarray(rng.normal(size=(D, L)), jnp.float32)
B_ = jnp.asarray(rng.normal(size=(D,)), jnp.float32)
SIGMA2 = 0.5
X = jnp.asarray(rng.normal(size=(4, D)) * 2, jnp.float32)


def exact_log_px(x):
  """p(z) = N(0, I), p(x|z) = N(Wz + b, s2 I)  =>  p(x) = N(b, W W^T + s2 I)."""
  cov = np.asarray(W @ W.T) + SIGMA2 * np.eye(D)
  return stats.multivariate_normal(np.asarray(B_), cov).logpdf(np.asarray(x))


def exact_posterior(x):
  """q*(z|x) = p(z|x) = N(S W^T (x - b) / s2, S), S = (I + W^T W / s2)^-1."""
  s = jnp.linalg.inv(jnp.eye(L) + W.T @ W / SIGMA2)
  return (x - B_) @ W @ s.T / SIGMA2, s


def log_likelihood(z, x):
  return normal_log_prob(x, z @ W.T + B_, jnp.full((D,), jnp.log(SIGMA2)))


def model(posterior_shift=0.0, exact=False):
  def encode(x):
    mean, s = exact_posterior(x)
    log_var = jnp.broadcast_to(jnp.log(jnp.diag(s)), mean.shape)
    return mean + posterior_shift, log_var
  return objectives.Model(encode=encode, log_likelihood=log_likelihood)


def mean_bound(fn, reps, seed=0):
  return np.mean([np.asarray(fn(jax.random.PRNGKey(seed + r))) for r in range(reps)], axis=0)


def many(fn, n, seed=0):
  """Mean and standard error of a per-example estimator over n independent draws for each
  row of X (vectorised by tiling X)."""
  draws = np.asarray(fn(jnp.tile(X, (n, 1)), jax.random.PRNGKey(seed)), np.float64).reshape(n, -1)
  return draws.mean(0), draws.std(0) / np.sqrt(n)


def exact_elbo(m, x):
  """E_q[log p(x|z)] - KL(q || p(z)) in closed form for the linear-Gaussian model."""
  mean, log_var = m.encode(x)
  resid = x - mean @ W.T - B_
  trace = jnp.sum(jnp.exp(log_var)[:, None, :] * W[None] ** 2, axis=(1, 2))   # tr(W S W^T)
  expected_ll = -0.5 * D * jnp.log(2 * jnp.pi * SIGMA2) - (jnp.sum(resid ** 2, -1) + trace) / (2 * SIGMA2)
  return np.asarray(expected_ll - gaussian_kl_to_standard(mean, log_var))


def test_elbo_is_below_log_px_and_its_estimators_are_unbiased():
  m = model(posterior_shift=0.3)   # a deliberately imperfect q
  log_px, elbo = exact_log_px(X), exact_elbo(m, X)
  assert np.all(elbo < log_px - 0.05)
  for estimator in (lambda x, r: objectives.elbo(m, x, r)[0],
                    lambda x, r: objectives.elbo(m, x, r, kl="mc")[0],
                    lambda x, r: objectives.iwae(m, x, r, 1)):       # IWAE-1 is the ELBO
    mean, se = many(estimator, 20000)
    assert np.all(np.abs(mean - elbo) < 4 * se + 1e-3), (mean, elbo, se)


def test_iwae_increases_with_k_towards_log_px():
  m = model(posterior_shift=0.3)
  log_px = exact_log_px(X)
  runs = [many(lambda x, r: objectives.iwae(m, x, r, k), n, seed=k) for k, n in
          ((1, 20000), (4, 5000), (16, 2000), (64, 500), (1024, 100))]
  for (lo, se_lo), (hi, se_hi) in zip(runs, runs[1:]):
    assert np.all(hi >= lo - 4 * np.hypot(se_lo, se_hi))      # E[IWAE_k] non-decreasing in k
  (first, se_first), (last, se_last) = runs[0], runs[-1]
  assert np.all(log_px - first > 0.1 + 4 * se_first)          # k = 1 leaves a real gap
  assert np.all(np.abs(log_px - last) < 4 * se_last + 0.01)   # k = 1024 closes it


def test_iwae_with_the_posterior_mean_recovers_log_px():
  m = model()   # q has the exact posterior mean and marginal variances
  est = objectives.iwae(m, X, jax.random.PRNGKey(0), 5000)
  np.testing.assert_allclose(est, exact_log_px(X), atol=0.06)   # one estimate: MC error ~0.03


def test_chunked_iwae_equals_unchunked():
  m = model(posterior_shift=0.3)
  full = objectives.iwae(m, X, jax.random.PRNGKey(3), 64)
  for chunk in (1, 8, 64):
    np.testing.assert_allclose(objectives.iwae_chunked(m, X, jax.random.PRNGKey(3), 64, chunk),
                               full, rtol=1e-5, atol=1e-5)


def test_reparameterised_gradient_matches_closed_form_for_a_quadratic():
  c = jnp.array([0.3, -1.0, 2.0])
  mean, log_var = jnp.array([1.0, 0.5, -0.5]), jnp.array([0.2, -1.0, 0.5])

  def estimate(mean, log_var, eps):
    z = objectives.reparameterize(mean, log_var, eps)
    return jnp.mean(jnp.sum((z - c) ** 2, -1))   # E_q[f(z)], f(z) = |z - c|^2

  eps = jax.random.normal(jax.random.PRNGKey(0), (400_000, 3))
  g_mean, g_log_var = jax.grad(estimate, argnums=(0, 1))(mean, log_var, eps)
  # E_q[f] = |mean - c|^2 + sum(exp(log_var)), so d/dmean = 2(mean - c), d/dlog_var = exp(log_var).
  np.testing.assert_allclose(g_mean, 2 * (mean - c), atol=0.02)
  np.testing.assert_allclose(g_log_var, jnp.exp(log_var), rtol=0.02)


def test_analytic_kl_matches_monte_carlo_and_numerical_integration():
  mean, log_var = jnp.array([[0.7, -1.2]]), jnp.array([[0.4, -0.8]])
  kl = float(gaussian_kl_to_standard(mean, log_var)[0])
  zs = np.linspace(-12, 12, 200_001)
  total = 0.0
  for mu, lv in zip(np.asarray(mean[0]), np.asarray(log_var[0])):
    q = stats.norm(mu, np.exp(0.5 * lv)).pdf(zs)
    total += np.trapezoid(q * (np.log(q + 1e-300) - stats.norm().logpdf(zs)), zs)
  np.testing.assert_allclose(kl, total, rtol=1e-5)
  mc = mean_bound(lambda r: objectives.elbo(
      objectives.Model(lambda x: (mean, log_var), lambda z, x: jnp.zeros(z.shape[:1])),
      jnp.zeros((1, 1)), r, kl="mc")[2], 2000)
  np.testing.assert_allclose(mc, kl, rtol=0.05)


@pytest.mark.parametrize("levels", [2, 17, 256])
def test_discretized_logistic_is_a_distribution_over_the_levels(levels):
  x = jnp.linspace(-1.0, 1.0, levels)
  for mean, log_scale in [(0.1, -2.0), (-0.9, -5.0), (0.99, -7.0), (0.0, 1.0)]:
    logp = discretized_logistic_log_prob(x, mean, log_scale, levels)
    np.testing.assert_allclose(np.exp(np.asarray(logp, np.float64)).sum(), 1.0, atol=2e-4)
