"""The Gaussian-Bernoulli RBM against exact references: its density is the mixture of 2^H
Gaussians it defines (scipy's densities, float64) and integrates to 1 on a grid; Gibbs
samples have the mixture's mean and covariance; the method trains and reports the exact NLL."""
import jax
import jax.numpy as jnp
import numpy as np
from scipy import stats

from genjax.energy import gaussian_rbm as grbm, rbm
from genjax.train import parallel, trainer
from tests.conftest import embedded_smoke


def random_grbm(seed=0, visible=2, hidden=3, scale=1.0):
  k = jax.random.split(jax.random.PRNGKey(seed), 4)
  return {"W": scale * jax.random.normal(k[0], (visible, hidden)), "b": 0.5 * jax.random.normal(k[1], (visible,)),
          "c": jax.random.normal(k[2], (hidden,)), "log_s": 0.3 * jax.random.normal(k[3], (visible,)) - 0.5}


def mixture(params):
  """(weights, means, scales) of the 2^H Gaussians, from the joint by hand in float64."""
  p = {k: np.asarray(v, np.float64) for k, v in params.items()}
  hs = rbm.all_binary(len(p["c"])).astype(np.float64)
  means = p["b"] + hs @ p["W"].T
  s2 = np.exp(2 * p["log_s"])
  log_w = hs @ p["c"] + ((means ** 2 - p["b"] ** 2) / (2 * s2)).sum(1)
  return np.exp(log_w - np.logaddexp.reduce(log_w)), means, np.sqrt(s2)


def test_the_density_is_the_mixture_of_gaussians_and_integrates_to_one():
  params = random_grbm()
  weights, means, scales = mixture(params)
  v = np.random.default_rng(0).normal(size=(50, 2)) * 2
  expected = np.log(sum(w * stats.norm.pdf(v, m, scales).prod(1) for w, m in zip(weights, means)))
  np.testing.assert_allclose(grbm.log_prob(params, jnp.asarray(v, jnp.float32)), expected, rtol=1e-4, atol=1e-4)
  c = np.linspace(-12, 12, 1201)
  grid = np.stack(np.meshgrid(c, c), -1).reshape(-1, 2).astype(np.float32)
  mass = np.exp(np.asarray(grbm.log_prob(params, jnp.asarray(grid)), np.float64)).sum() * (c[1] - c[0]) ** 2
  np.testing.assert_allclose(mass, 1.0, atol=1e-3)


def test_gibbs_samples_have_the_mixtures_mean_and_covariance():
  params = random_grbm(seed=1, scale=0.5)      # modes close enough for Gibbs to mix in 60 sweeps
  weights, means, scales = mixture(params)
  mean = weights @ means
  cov = (weights[:, None, None] * (np.einsum("ki,kj->kij", means - mean, means - mean)
                                   + np.diag(scales ** 2)[None])).sum(0)
  v = jax.random.normal(jax.random.PRNGKey(2), (40_000, 2))
  v, _ = jax.lax.scan(lambda v, k: (grbm.gibbs_step(params, v, k), None), v, jax.random.split(jax.random.PRNGKey(3), 60))
  v = np.asarray(v, np.float64)
  n = v.shape[0]
  assert np.all(np.abs(v.mean(0) - mean) < 4 * np.sqrt(np.diag(cov) / n)), (v.mean(0), mean)
  se_cov = np.sqrt((np.diag(cov)[:, None] * np.diag(cov)[None] + cov ** 2) / n)
  assert np.all(np.abs(np.cov(v.T) - cov) < 4 * se_cov + 1e-3), (np.cov(v.T), cov)


def test_grbm_toy2d_trains_and_reports_the_exact_nll_and_kl(tmp_path):
  c = embedded_smoke("grbm_toy2d")
  results = trainer.train(c, str(tmp_path), mesh=parallel.make_mesh(jax.devices()[:1]))
  from tests.train.test_trainer import final_state
  from genjax import data as gdata
  from genjax.data import toy2d
  _, state = final_state(tmp_path, c)
  x = gdata.load(c.data)["validation"].x
  weights, means, scales = mixture(state.params)
  log_p = np.log(sum(w * stats.norm.pdf(x, m, scales).prod(1) for w, m in zip(weights, means)))
  np.testing.assert_allclose(results["nll_nats"], -log_p.mean(), rtol=1e-4)
  np.testing.assert_allclose(results["kl_nats"], np.mean(np.asarray(toy2d.LOG_DENSITIES["8gaussians"](x)) - log_p),
                             rtol=1e-3)
