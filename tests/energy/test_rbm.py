"""The RBM's partition function, free energy, gradients and sampler against exact references:
enumeration over hidden and over visible states, the free energy's closed form, exact model
expectations, and a chi-square test of Gibbs samples; AIS within 3 standard errors and 0.1
nats of the exact log Z, on a random and on a trained RBM."""
import jax
import jax.numpy as jnp
import numpy as np
from scipy import stats

from genjax.data import sources
from genjax.energy import rbm


def random_rbm(key, visible, hidden, scale):
  k1, k2, k3 = jax.random.split(key, 3)
  return {"W": scale * jax.random.normal(k1, (visible, hidden)), "b": 0.5 * jax.random.normal(k2, (visible,)),
          "c": 0.5 * jax.random.normal(k3, (hidden,))}


def test_log_z_enumerating_hidden_units_equals_enumerating_visible_units():
  params = random_rbm(jax.random.PRNGKey(0), 12, 9, 0.5)
  np.testing.assert_allclose(rbm.log_z_by_hidden(params), rbm.log_z_by_visible(params), rtol=1e-6)


def test_free_energy_is_minus_log_sum_over_hidden_states_of_exp_minus_energy():
  params = random_rbm(jax.random.PRNGKey(1), 6, 5, 1.0)
  v = jnp.asarray(rbm.all_binary(6))
  hs = jnp.asarray(rbm.all_binary(5))
  energies = jax.vmap(lambda h: rbm.energy(params, v, jnp.broadcast_to(h, (v.shape[0], 5))))(hs)   # (2^H, 2^V)
  np.testing.assert_allclose(rbm.free_energy(params, v), -jax.nn.logsumexp(-energies, axis=0), rtol=1e-5, atol=1e-5)


def test_the_gradient_of_log_z_is_minus_the_model_expectation_of_the_free_energys_gradient():
  """d log Z = -E_p(v)[dF(v)]: the identity behind CD, checked with exact expectations."""
  params = random_rbm(jax.random.PRNGKey(2), 8, 6, 0.7)
  v = jnp.asarray(rbm.all_binary(8))
  p = jnp.exp(-rbm.free_energy(params, v) - rbm.log_z_by_visible(params))
  exact = jax.grad(rbm.log_z_by_visible)(params)
  expected = jax.grad(lambda q: -(p * rbm.free_energy(q, v)).sum())(params)
  for k in params:
    np.testing.assert_allclose(exact[k], expected[k], rtol=1e-4, atol=1e-5, err_msg=k)


def test_gibbs_samples_follow_the_exact_marginal_over_visible_states():
  """20 000 chains, 30 sweeps each, against p(v) by enumeration (16 states): chi-square."""
  params = random_rbm(jax.random.PRNGKey(3), 4, 3, 1.0)
  v = jnp.zeros((20_000, 4))
  sample = jax.jit(lambda v, key: rbm.gibbs_chain(params, v, key, 30))
  v = np.asarray(sample(v, jax.random.PRNGKey(4)))
  counts = np.bincount((v @ (2 ** np.arange(3, -1, -1))).astype(int), minlength=16)
  states = jnp.asarray(rbm.all_binary(4))
  p = np.asarray(jnp.exp(-rbm.free_energy(params, states) - rbm.log_z_by_visible(params)), np.float64)
  assert stats.chisquare(counts, p / p.sum() * counts.sum()).pvalue > 1e-3


def check_ais(params, base_bias, runs, num_betas, seed=0):
  exact = float(rbm.log_z_by_hidden(params))
  estimate, se = rbm.ais_log_z(params, base_bias, jax.random.PRNGKey(seed), rbm.ais_betas(num_betas), runs)
  assert abs(float(estimate) - exact) < max(3 * float(se), 1e-3) and abs(float(estimate) - exact) < 0.1, (
      float(estimate), float(se), exact)


def test_ais_agrees_with_the_exact_log_z_of_a_random_rbm():
  params = random_rbm(jax.random.PRNGKey(5), 20, 10, 0.3)
  check_ais(params, jnp.zeros(20), runs=100, num_betas=2_000)


def test_ais_agrees_with_the_exact_log_z_of_an_rbm_trained_by_cd1():
  """64 visible (binarised 8x8 digits), 14 hidden, 600 CD-1 steps; AIS from the data's
  base-rate model, as Salakhutdinov & Murray evaluate trained RBMs."""
  x = (sources._digits(None)["train"].x.reshape(-1, 64) >= 8).astype(np.float32)
  data = jnp.asarray(x)
  base_bias = rbm.base_rate_bias(data.mean(0))
  params = rbm.init(jax.random.PRNGKey(6), 64, 14, data.mean(0))

  @jax.jit
  def step(params, i):
    batch = jax.lax.dynamic_slice_in_dim(data, (i * 50) % (data.shape[0] - 50), 50)
    v_model = rbm.gibbs_chain(params, batch, jax.random.PRNGKey(i), 1)
    grads = jax.grad(rbm.cd_loss)(params, batch, v_model)
    return jax.tree.map(lambda p, g: p - 0.05 * g, params, grads)

  for i in range(600):
    params = step(params, i)
  assert float(jnp.abs(params["W"]).max()) > 0.5          # it learned: not the tiny initial weights
  check_ais(params, base_bias, runs=100, num_betas=3_000)


def test_ais_is_unbiased_in_z_and_its_standard_error_is_calibrated_over_repeats():
  """40 independent AIS estimates with a short schedule (300 temperatures, where
  log mean w and the biased mean log w differ by ~0.035 nats): their mean lies within
  3 standard errors of the exact log Z, and (estimate - exact) / SE has a spread near 1."""
  params = random_rbm(jax.random.PRNGKey(5), 20, 10, 0.3)
  exact = float(rbm.log_z_by_hidden(params))
  betas = rbm.ais_betas(300)
  estimate = jax.jit(jax.vmap(lambda key: rbm.ais_log_z(params, jnp.zeros(20), key, betas, 100)))
  log_z, se = (np.asarray(a, np.float64) for a in estimate(jax.random.split(jax.random.PRNGKey(7), 40)))
  error = log_z - exact
  assert abs(error.mean()) < 3 * error.std() / np.sqrt(40), (error.mean(), error.std())
  assert 0.6 < (error / se).std() < 1.6, (error / se).std()


def test_ais_traces_estimate_every_intermediate_log_z():
  """Row t of the trace is an AIS estimate of log Z_beta - log Z_base at beta = betas[t + 1],
  whose exact value sums exp(log_unnormalised) over all 2^10 visible states."""
  params = {"W": 0.8 * jax.random.normal(jax.random.PRNGKey(0), (10, 6)),
            "b": jax.random.normal(jax.random.PRNGKey(1), (10,)), "c": jax.random.normal(jax.random.PRNGKey(2), (6,))}
  base = rbm.base_rate_bias(jnp.linspace(0.2, 0.7, 10))
  betas = rbm.ais_betas(300)
  trace = rbm.ais_log_weight_trace(params, base, jax.random.PRNGKey(3), betas, 2_000)
  log_z_base = rbm.base_rate_log_z(base, 6)
  vs = jnp.asarray(rbm.all_binary(10))
  for t in (10, 150, len(betas) - 2):
    exact = jax.nn.logsumexp(rbm.log_unnormalised(params, vs, betas[t + 1], base)) - log_z_base
    log_w = trace[t]
    estimate = jax.nn.logsumexp(log_w) - np.log(log_w.shape[0])
    w = np.exp(log_w - estimate)
    se = float(np.std(w)) / np.sqrt(log_w.shape[0])
    assert abs(float(estimate - exact)) < 4 * se + 1e-3, (t, float(estimate), float(exact), se)


def test_effective_sample_size_of_equal_and_of_one_dominant_weight():
  np.testing.assert_allclose(rbm.effective_sample_size(jnp.full(50, -3.0)), 50.0, rtol=1e-5)
  np.testing.assert_allclose(rbm.effective_sample_size(jnp.array([0.0, -40.0, -40.0])), 1.0, rtol=1e-5)


def forward_model_density(params, base, betas):
  """q(v) of AIS's forward model by enumeration: p_0, then at each beta_k > 0 the block Gibbs
  kernel T_k(v' | v) = sum_h p_k(h | v) p_k(v' | h), as 2^V x 2^V matrices."""
  vs, hs = rbm.all_binary(base.shape[0]).astype(np.float64), rbm.all_binary(params["c"].shape[0]).astype(np.float64)
  w, b, c = (np.asarray(params[k], np.float64) for k in "Wbc")
  a = np.asarray(base, np.float64)
  bern = lambda x, logits: np.exp((x[None] * logits[:, None] - np.logaddexp(0, logits)[:, None]).sum(-1))
  q = bern(vs, a[None])[0]
  for beta in betas[1:]:
    p_h = bern(hs, beta * (c + vs @ w))                               # (2^V, 2^H)
    p_v = bern(vs, beta * (b + hs @ w.T) + (1 - beta) * a)            # (2^H, 2^V)
    q = q @ (p_h @ p_v)
  return q


def test_raise_weights_average_to_the_annealed_models_density_which_nears_p_with_more_temperatures():
  """E[w] = q(v), the forward model's density computed by enumeration (5 temperatures: q is
  far from p); with 400 temperatures q(v) is within 0.02 nats of the exact p(v)."""
  params = random_rbm(jax.random.PRNGKey(4), 4, 3, 3.5)
  base = rbm.base_rate_bias(jnp.array([0.2, 0.5, 0.7, 0.4]))
  v = jnp.array([1.0, 0.0, 1.0, 1.0])
  index = int(np.asarray(v) @ 2 ** np.arange(3, -1, -1))
  for num, far in ((5, True), (400, False)):
    betas = np.linspace(0, 1, num + 1).astype(np.float32)
    q = forward_model_density(params, base, betas)[index]
    log_p = float(-rbm.free_energy(params, v[None])[0] - rbm.log_z_by_hidden(params))
    log_w = rbm.raise_log_weights(params, base, jnp.tile(v, (20_000, 1)), jax.random.PRNGKey(5), betas)
    w = np.exp(np.asarray(log_w, np.float64))
    assert abs(w.mean() - q) < 4 * w.std() / np.sqrt(len(w)), (num, w.mean(), q)
    assert (abs(np.log(q) - log_p) > 0.1) == far, (num, np.log(q), log_p)
    if not far:
      assert abs(np.log(q) - log_p) < 0.02
