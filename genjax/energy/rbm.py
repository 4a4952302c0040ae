"""Bernoulli-Bernoulli restricted Boltzmann machines: energy, free energy, Gibbs sampling,
contrastive-divergence gradients, exact log Z by enumeration, and annealed importance
sampling (Salakhutdinov & Murray 2008).

  E(v, h) = -b.v - c.h - v W h,     p(v, h) = exp(-E(v, h)) / Z,
  F(v) = -log sum_h exp(-E(v, h)) = -b.v - sum_j softplus(c_j + (v W)_j),
  log p(v) = -F(v) - log Z.
Parameters are a dict {'W': (V, H), 'b': (V,), 'c': (H,)}; v and h are float 0/1 arrays.
"""
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np


def init(key, visible: int, hidden: int, data_mean=None, scale: float = 0.01):
  """Small random weights; visible biases log(p / (1 - p)) of the data's marginals (Hinton's
  practical guide), zero hidden biases."""
  b = jnp.zeros(visible) if data_mean is None else base_rate_bias(data_mean)
  return {"W": scale * jax.random.normal(key, (visible, hidden)), "b": b, "c": jnp.zeros(hidden)}


def base_rate_bias(data_mean):
  """Visible biases logit(p) of independent units with the data's pixel means p (clipped to
  [0.001, 0.999]): the base-rate model AIS starts from, and a visible-bias initialisation."""
  p = jnp.clip(data_mean, 1e-3, 1 - 1e-3)
  return jnp.log(p) - jnp.log1p(-p)


def energy(params, v, h):
  return -(v @ params["b"]) - (h @ params["c"]) - jnp.einsum("bv,vh,bh->b", v, params["W"], h)


def free_energy(params, v):
  """F(v), (B,): the hidden units summed out analytically."""
  return -(v @ params["b"]) - jax.nn.softplus(params["c"] + v @ params["W"]).sum(-1)


def hidden_given_visible(params, v, beta=1.0):
  """p(h_j = 1 | v) at inverse temperature beta."""
  return jax.nn.sigmoid(beta * (params["c"] + v @ params["W"]))


def visible_given_hidden(params, h, beta=1.0, base_bias=None):
  """p(v_i = 1 | h) at inverse temperature beta; along an AIS path the base-rate model's
  biases carry the weight 1 - beta."""
  logits = beta * (params["b"] + h @ params["W"].T)
  if base_bias is not None:
    logits = logits + (1.0 - beta) * base_bias
  return jax.nn.sigmoid(logits)


def bernoulli(key, p, uniform=jax.random.uniform):
  """0/1 draws with probabilities p; `uniform(key, shape)` supplies the noise."""
  return (uniform(key, p.shape) < p).astype(p.dtype)


def gibbs_step(params, v, key, beta=1.0, base_bias=None, mean_field_visible=False,
               uniform=jax.random.uniform):
  """One block Gibbs sweep v -> h -> v'. Returns (v', h); with mean_field_visible, v' is
  p(v | h) itself instead of a draw from it (CD-1's reconstruction)."""
  k_h, k_v = jax.random.split(key)
  h = bernoulli(k_h, hidden_given_visible(params, v, beta), uniform)
  p_v = visible_given_hidden(params, h, beta, base_bias)
  return (p_v if mean_field_visible else bernoulli(k_v, p_v, uniform)), h


def gibbs_chain(params, v, key, k: int):
  """k Gibbs sweeps from v (a Python loop: k is small, and XLA's CPU backend is slow in loops)."""
  for i in range(k):
    v, _ = gibbs_step(params, v, jax.random.fold_in(key, i))
  return v


def cd_loss(params, v_data, v_model):
  """The surrogate whose gradient is the CD / PCD estimate of -d log p(v_data) / d params:
  mean F(v_data) - mean F(v_model), the negative samples held fixed."""
  v_model = jax.lax.stop_gradient(v_model)
  return free_energy(params, v_data).mean() - free_energy(params, v_model).mean()


def cd_gradients(params, v_data, v_model):
  """The gradient of cd_loss in closed form (dF/dW = -v' p(h|v), dF/db = -v, dF/dc = -p(h|v)):
  the same numbers, without evaluating the softplus terms autodiff would (~20% of W5's step)."""
  ph_data, ph_model = hidden_given_visible(params, v_data), hidden_given_visible(params, v_model)
  n = v_data.shape[0]
  return {"W": -(v_data.T @ ph_data - v_model.T @ ph_model) / n, "b": -(v_data - v_model).mean(0),
          "c": -(ph_data - ph_model).mean(0)}


def binary_states(n: int):
  """Every 0/1 vector of length n, (2^n, n) float32, in all_binary's order, computed on device
  (not a constant embedded in the compiled program)."""
  return ((jnp.arange(2 ** n)[:, None] >> jnp.arange(n - 1, -1, -1)) & 1).astype(jnp.float32)


def all_binary(n: int) -> np.ndarray:
  """Every 0/1 vector of length n, (2^n, n) float32."""
  return np.array(list(itertools.product([0.0, 1.0], repeat=n)), np.float32)


def log_z_by_hidden(params, chunk: int = 4096):
  """Exact log Z, enumerating the hidden units (visible units summed out analytically):
  log Z = logsumexp_h [c.h + sum_i softplus(b_i + (W h)_i)]. Feasible for H <= ~20."""
  hs = jnp.asarray(all_binary(params["c"].shape[0]))
  terms = [hs[i:i + chunk] @ params["c"] + jax.nn.softplus(params["b"] + hs[i:i + chunk] @ params["W"].T).sum(-1)
           for i in range(0, hs.shape[0], chunk)]
  return jax.nn.logsumexp(jnp.concatenate(terms))


def log_z_by_visible(params):
  """Exact log Z, enumerating the visible units: logsumexp_v -F(v). For V <= ~20."""
  return jax.nn.logsumexp(-free_energy(params, jnp.asarray(all_binary(params["b"].shape[0]))))


def base_rate_log_z(base_bias, hidden: int):
  """log Z of the base-rate RBM (W = 0, c = 0, visible biases base_bias): independent units."""
  return jax.nn.softplus(base_bias).sum() + hidden * math.log(2.0)


def log_unnormalised(params, v, beta, base_bias):
  """log p*_beta(v) on the geometric path from the base-rate model (beta = 0) to the RBM
  (beta = 1), hidden units summed out: (1 - beta) a.v + beta b.v
  + sum_j log(1 + exp(beta (c_j + (v W)_j)))."""
  return ((1.0 - beta) * (v @ base_bias) + beta * (v @ params["b"])
          + jax.nn.softplus(beta * (params["c"] + v @ params["W"])).sum(-1))


def ais_log_weights(params, base_bias, key, betas, runs: int):
  """Annealed importance sampling (Neal 2001; Salakhutdinov & Murray 2008): `runs`
  independent chains from the base-rate model through inverse temperatures `betas`
  (increasing, 0 to 1), one Gibbs sweep per temperature. Returns the log importance weights
  (runs,), whose log-mean-exp estimates log Z - log Z_base."""
  return ais_log_weight_trace(params, base_bias, key, betas, runs)[-1]


def ais_log_weight_trace(params, base_bias, key, betas, runs: int):
  """The AIS runs' log weights accumulated up to each temperature, (len(betas) - 1, runs):
  row t estimates log Z_{betas[t+1]} - log Z_base (the diagnostics' traces)."""
  betas = jnp.asarray(betas, jnp.float32)
  k0, key = jax.random.split(key)
  v = bernoulli(k0, jnp.broadcast_to(jax.nn.sigmoid(base_bias), (runs, base_bias.shape[0])))

  def step(carry, inputs):
    v, log_w = carry
    beta_prev, beta, k = inputs
    log_w = log_w + log_unnormalised(params, v, beta, base_bias) - log_unnormalised(params, v, beta_prev, base_bias)
    v, _ = gibbs_step(params, v, k, beta, base_bias)
    return (v, log_w), log_w

  keys = jax.random.split(key, betas.shape[0] - 1)
  _, trace = jax.lax.scan(step, (v, jnp.zeros(runs)), (betas[:-1], betas[1:], keys))
  return trace


def ais_log_z(params, base_bias, key, betas, runs: int):
  """(log Z estimate, its standard error) from `runs` AIS runs (see log_z_from_weights)."""
  return log_z_from_weights(ais_log_weights(params, base_bias, key, betas, runs), base_bias, params["c"].shape[0])


def log_z_from_weights(log_w, base_bias, hidden: int):
  """(log Z_base + log mean w, the standard error of log mean w by the delta method,
  std(w) / (mean(w) sqrt(runs))) from AIS log weights (runs,)."""
  log_mean = jax.nn.logsumexp(log_w) - math.log(log_w.shape[0])
  w = jnp.exp(log_w - log_mean)                    # weights relative to their mean
  return base_rate_log_z(base_bias, hidden) + log_mean, jnp.std(w) / math.sqrt(log_w.shape[0])


def raise_log_weights(params, base_bias, v, key, betas):
  """Reverse AIS, RAISE (Burda, Grosse & Salakhutdinov 2015), one run per row of v: from the
  test vector v_K = v, block Gibbs sweeps at the temperatures from 1 down to 0 (each sweep
  leaves its temperature's p_k(v) invariant and is reversible) to v_0, with the log weight
  log p_0(v_0) + sum_k [log p*_k(v_k) - log p*_k(v_{k-1})]. Its expectation is q(v), the
  density of the annealed forward model (base rate, then the sweeps upward), which needs no
  log Z; log w is a stochastic lower bound on log q(v), so -log w errs on the high (the
  conservative) side of the NLL, opposite to AIS's usual error. Returns (B,) log weights."""
  betas = jnp.asarray(betas, jnp.float32)

  def step(carry, inputs):
    v, log_w = carry
    beta, k = inputs
    v_prev, _ = gibbs_step(params, v, k, beta, base_bias)
    log_w = log_w + log_unnormalised(params, v, beta, base_bias) - log_unnormalised(params, v_prev, beta, base_bias)
    return (v_prev, log_w), None

  keys = jax.random.split(key, betas.shape[0] - 1)
  (v0, log_w), _ = jax.lax.scan(step, (v, jnp.zeros(v.shape[0])), (betas[1:][::-1], keys))
  log_p0 = (v0 * base_bias - jax.nn.softplus(base_bias)).sum(-1)
  return log_w + log_p0


def effective_sample_size(log_w):
  """(sum w)^2 / sum w^2 of importance weights given as logs: `runs` for equal weights, 1 when
  one run carries all the weight."""
  return jnp.exp(2 * jax.nn.logsumexp(log_w, -1) - jax.nn.logsumexp(2 * log_w, -1))


def ais_betas(num: int = 14_500):
  """Salakhutdinov & Murray's schedule: 500 steps on [0, 0.5], 4 000 on [0.5, 0.9], 10 000 on
  [0.9, 1] for num = 14 500; other num scales the three segments alike."""
  a, b = max(int(num * 500 / 14_500), 1), max(int(num * 4_000 / 14_500), 1)
  c = max(num - a - b, 1)
  return np.concatenate([np.linspace(0, 0.5, a, endpoint=False), np.linspace(0.5, 0.9, b, endpoint=False),
                         np.linspace(0.9, 1.0, c + 1)]).astype(np.float32)
