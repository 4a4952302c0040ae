"""The fully visible Boltzmann machine against exact references: log Z against a float64
double loop and the independent-units closed form, the exact gradient against autodiff and
finite differences of the exact log-likelihood, Gibbs samples against the exact distribution
(chi-square, with a sampler that breaks detailed balance as the control), and the method in
the trainer (exact and PCD gradients; bars and stripes)."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from genjax import data as gdata
from genjax.data import sources
from genjax.energy import boltzmann
from genjax.train import parallel, trainer
from tests.conftest import load_config
from tests.train.test_trainer import final_state


def random_params(n, seed=0, scale=1.0):
  k_w, k_b = jax.random.split(jax.random.PRNGKey(seed))
  return {"W": scale * jax.random.normal(k_w, (n, n)), "b": jax.random.normal(k_b, (n,))}


def test_log_z_is_the_sum_over_all_states_and_the_closed_form_without_couplings():
  params = random_params(5)
  w, b = np.asarray(boltzmann.couplings(params), np.float64), np.asarray(params["b"], np.float64)
  terms = [b @ x + 0.5 * x @ w @ x for x in map(np.array, itertools.product([0.0, 1.0], repeat=5))]
  np.testing.assert_allclose(boltzmann.log_z(params), np.log(np.sum(np.exp(terms))), rtol=1e-6)
  independent = {"W": jnp.zeros((5, 5)), "b": params["b"]}
  np.testing.assert_allclose(boltzmann.log_z(independent), jax.nn.softplus(params["b"]).sum(), rtol=1e-6)


def mean_nll(params, x):
  return -boltzmann.log_prob(params, x).mean()


def test_exact_gradient_is_autodiff_and_finite_differences_of_the_exact_nll():
  params = random_params(5, seed=1, scale=0.7)
  x = (jax.random.uniform(jax.random.PRNGKey(2), (40, 5)) < 0.4).astype(jnp.float32)
  grads = boltzmann.nll_gradients(boltzmann.moments(params, x), boltzmann.model_moments(params))
  auto = jax.grad(mean_nll)(params, x)
  for k in params:
    np.testing.assert_allclose(grads[k], auto[k], rtol=1e-4, atol=1e-6, err_msg=k)
  eps = 1e-2
  for k, index in [("W", (0, 3)), ("W", (4, 1)), ("W", (2, 2)), ("b", (1,)), ("b", (4,))]:
    up = {**params, k: params[k].at[index].add(eps)}
    down = {**params, k: params[k].at[index].add(-eps)}
    finite = (mean_nll(up, x) - mean_nll(down, x)) / (2 * eps)
    np.testing.assert_allclose(grads[k][index], finite, atol=2e-3, err_msg=f"{k}{index}")


def parallel_update(params, x, key):
  """Every unit redrawn at once from the same x: not a Gibbs sampler of a coupled BM."""
  p = jax.nn.sigmoid(params["b"] + x @ boltzmann.couplings(params))
  return (jax.random.uniform(key, x.shape) < p).astype(x.dtype)


def chi_square_p(params, sweep, chains=20_000, sweeps=30):
  n = params["b"].shape[0]
  x = (jax.random.uniform(jax.random.PRNGKey(3), (chains, n)) < 0.5).astype(jnp.float32)
  run = jax.jit(lambda x, keys: jax.lax.scan(lambda x, k: (sweep(params, x, k), None), x, keys)[0])
  x = np.asarray(run(x, jax.random.split(jax.random.PRNGKey(4), sweeps)))
  counts = np.bincount((x * 2 ** np.arange(n)[::-1]).sum(1).astype(int), minlength=2 ** n)
  p = np.asarray(jnp.exp(boltzmann.log_prob(params, boltzmann.states(n))), np.float64)
  return stats.chisquare(counts, p / p.sum() * chains).pvalue, x


def test_gibbs_samples_follow_the_exact_distribution_and_a_parallel_update_does_not():
  """20 000 chains, 30 systematic sweeps each: the states' counts pass a chi-square test
  against the enumerated probabilities (and the samples' moments give the exact gradient
  within Monte Carlo error); redrawing all units at once fails the same test."""
  params = random_params(4, seed=5, scale=1.5)
  p_gibbs, x = chi_square_p(params, boltzmann.gibbs_sweep)
  p_parallel, _ = chi_square_p(params, parallel_update)
  assert p_gibbs > 1e-3, p_gibbs
  assert p_parallel < 1e-6, p_parallel
  xx, _ = boltzmann.model_moments(params)
  se = np.sqrt(np.asarray(xx) * (1 - np.asarray(xx)) / x.shape[0])
  assert np.all(np.abs(x.T @ x / x.shape[0] - np.asarray(xx)) < 4 * se + 1e-6)


def test_bars_and_stripes_are_the_30_patterns_of_4x4_bars_or_stripes():
  patterns = sources.bars_and_stripes_patterns()[..., 0]
  assert patterns.shape == (30, 4, 4) and len({p.tobytes() for p in patterns}) == 30
  rows_constant = (patterns == patterns[:, :, :1]).all((1, 2))
  cols_constant = (patterns == patterns[:, :1, :]).all((1, 2))
  assert np.all(rows_constant | cols_constant)


@pytest.mark.parametrize("gradient", ["exact", "pcd"])   # CD differs from PCD only in its start
def test_bm_toy_trains_and_reports_the_exact_nll(gradient, tmp_path):
  """A few steps of each gradient on bars and stripes; the reported validation NLL is the
  float64 enumeration's for the final parameters."""
  c = load_config("bm_toy")
  c.model.gradient, c.model.cd_k, c.model.chains = gradient, 2, 8
  results = trainer.train(c, str(tmp_path), mesh=parallel.make_mesh(jax.devices()[:1]))
  _, state = final_state(tmp_path, c)
  w, b = np.asarray(boltzmann.couplings(state.params), np.float64), np.asarray(state.params["b"], np.float64)
  states = np.array(list(itertools.product([0.0, 1.0], repeat=16)))
  log_z = np.logaddexp.reduce(states @ b + 0.5 * np.einsum("si,ij,sj->s", states, w, states))
  x = gdata.load(c.data)["validation"].x.reshape(-1, 16).astype(np.float64)
  nll = log_z - x @ b - 0.5 * np.einsum("si,ij,sj->s", x, w, x)
  np.testing.assert_allclose(results["log_z"], log_z, rtol=1e-5)
  np.testing.assert_allclose(results["nll_nats"], nll.mean(), rtol=1e-5)
  assert sorted(p.name for p in (tmp_path / "samples").glob("*.png"))
