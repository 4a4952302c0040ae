"""Gaussian-Bernoulli RBMs for real-valued data (Hinton & Salakhutdinov 2006; the
parameterisation of Cho, Ilin & Raiko 2011, with learned per-unit variances):

  E(v, h) = sum_i (v_i - b_i)^2 / (2 s_i^2) - c.h - sum_i (v_i / s_i^2) (W h)_i,   s = exp(log_s),
  p(v | h) = N(b + W h, diag(s^2)),   p(h_j = 1 | v) = sigmoid(c_j + ((v / s^2) W)_j),
  F(v) = sum_i (v_i - b_i)^2 / (2 s_i^2) - sum_j softplus(c_j + ((v / s^2) W)_j),
  log Z = logsumexp_h [c.h + sum_i ((b + W h)_i^2 - b_i^2) / (2 s_i^2)] + sum_i log(s_i sqrt(2 pi)).
The marginal p(v) is a mixture of 2^H Gaussians with means b + W h; log Z is exact by
enumerating the hidden units (H <= ~20). Parameters: {'W': (V, H), 'b': (V,), 'c': (H,), 'log_s': (V,)}.
"""
import math

import jax
import jax.numpy as jnp

from genjax.energy import rbm


def init(key, visible: int, hidden: int, data_mean=None, data_std=None, scale: float = 0.1):
  """Visible means and scales at the data's (zero and one without them), small weights."""
  return {"W": scale * jax.random.normal(key, (visible, hidden)),
          "b": jnp.zeros(visible) if data_mean is None else jnp.asarray(data_mean, jnp.float32),
          "c": jnp.zeros(hidden),
          "log_s": jnp.zeros(visible) if data_std is None else jnp.log(jnp.asarray(data_std, jnp.float32))}


def _precision(params):
  return jnp.exp(-2.0 * params["log_s"])


def hidden_given_visible(params, v):
  return jax.nn.sigmoid(params["c"] + (v * _precision(params)) @ params["W"])


def free_energy(params, v):
  """F(v), (B,)."""
  quadratic = 0.5 * (((v - params["b"]) ** 2) * _precision(params)).sum(-1)
  return quadratic - jax.nn.softplus(params["c"] + (v * _precision(params)) @ params["W"]).sum(-1)


def log_z(params):
  """Exact log Z, enumerating the hidden units."""
  hs = rbm.binary_states(params["c"].shape[0])
  means = params["b"] + hs @ params["W"].T
  terms = hs @ params["c"] + 0.5 * ((means ** 2 - params["b"] ** 2) * _precision(params)).sum(-1)
  return jax.nn.logsumexp(terms) + (params["log_s"] + 0.5 * math.log(2 * math.pi)).sum()


def log_prob(params, v):
  """Exact log p(v), (B,)."""
  return -free_energy(params, v) - log_z(params)


def gibbs_step(params, v, key, normal=jax.random.normal, uniform=jax.random.uniform):
  """One block Gibbs sweep v -> h -> v'; `normal` and `uniform` supply the noise."""
  k_h, k_v = jax.random.split(key)
  h = rbm.bernoulli(k_h, hidden_given_visible(params, v), uniform)
  return params["b"] + h @ params["W"].T + jnp.exp(params["log_s"]) * normal(k_v, v.shape)


def cd_loss(params, v_data, v_model):
  """mean F(data) - mean F(negatives), the negatives fixed: its gradient is the CD / PCD
  estimate of the NLL's gradient (the scales' included)."""
  return free_energy(params, v_data).mean() - free_energy(params, jax.lax.stop_gradient(v_model)).mean()
