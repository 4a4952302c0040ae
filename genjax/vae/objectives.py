"""Bounds on log p(x) for a VAE, per example, in nats.

With q(z|x) = N(mean, diag(exp(log_var))) and p(z) = N(0, I):
  ELBO(x)   = E_q[log p(x|z)] - KL(q(z|x) || p(z))                 (1 sample, reparameterised)
  IWAE_k(x) = E[log (1/k) sum_j p(x, z_j) / q(z_j|x)],  z_j ~ q    (Burda et al. 2016)
IWAE_1 = ELBO <= IWAE_k <= IWAE_{k+1} <= log p(x) in expectation, and IWAE_k -> log p(x).
"""
import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp

from genjax.distributions import gaussian_kl_to_standard, normal_log_prob, standard_normal_log_prob


@dataclasses.dataclass(frozen=True)
class Model:
  """encode(x) -> (mean, log_var); log_likelihood(z, x) -> log p(x|z) summed over dims, (B,)."""
  encode: Callable
  log_likelihood: Callable


def reparameterize(mean, log_var, eps):
  """z = mean + sigma * eps: the draw is a differentiable function of (mean, log_var)."""
  return mean + jnp.exp(0.5 * log_var) * eps


def sample_eps(rng, first: int, count: int, shape, normal=jax.random.normal):
  """eps for samples first..first+count-1, each from its own key: the j-th draw is the same
  whatever chunking produced it (so chunked and unchunked estimates agree exactly).
  `normal(key, shape)` draws one (e.g. this device's rows of a draw for the global batch)."""
  keys = jax.vmap(lambda j: jax.random.fold_in(rng, j))(first + jnp.arange(count))
  return jax.vmap(lambda key: normal(key, shape))(keys)


def elbo(model: Model, x, rng, beta=1.0, kl="analytic", eps=None):
  """(elbo, log p(x|z), kl), each (B,). beta weights the KL (beta-VAE; beta=1 is the ELBO).
  kl='mc' estimates the KL from the same sample: log q(z|x) - log p(z). `eps` (B, latents),
  if given, is the standard normal draw (else drawn from rng)."""
  mean, log_var = model.encode(x)
  eps = jax.random.normal(rng, mean.shape) if eps is None else eps
  z = reparameterize(mean, log_var, eps)
  log_px_z = model.log_likelihood(z, x)
  if kl == "analytic":
    kl_term = gaussian_kl_to_standard(mean, log_var)
  else:
    kl_term = normal_log_prob(z, mean, log_var) - standard_normal_log_prob(z)
  return log_px_z - beta * kl_term, log_px_z, kl_term


def log_weights(model: Model, x, mean, log_var, eps):
  """log p(x, z_j) - log q(z_j|x) for eps of shape (k, B, latents): (k, B)."""
  z = reparameterize(mean, log_var, eps)
  k, b = eps.shape[:2]
  x_rep = jnp.broadcast_to(x, (k,) + x.shape).reshape((k * b,) + x.shape[1:])
  log_px_z = model.log_likelihood(z.reshape(k * b, -1), x_rep).reshape(k, b)
  return log_px_z + standard_normal_log_prob(z) - normal_log_prob(z, mean, log_var)


def iwae(model: Model, x, rng, k: int, eps=None):
  """The IWAE-k bound, (B,), from k samples at once (the training objective); `eps`
  (k, B, latents), if given, are the standard normal draws."""
  mean, log_var = model.encode(x)
  eps = sample_eps(rng, 0, k, mean.shape) if eps is None else eps
  w = log_weights(model, x, mean, log_var, eps)
  return jax.nn.logsumexp(w, axis=0) - jnp.log(k)


def iwae_chunked(model: Model, x, rng, k: int, chunk: int, normal=jax.random.normal):
  """The same estimate as `iwae`, k samples taken `chunk` at a time with a running
  log-sum-exp, so memory is O(chunk * B) whatever k is. k must be a multiple of chunk."""
  mean, log_var = model.encode(x)

  def body(i, carry):
    m, s = carry
    w = log_weights(model, x, mean, log_var, sample_eps(rng, i * chunk, chunk, mean.shape, normal))
    m_new = jnp.maximum(m, w.max(0))
    return m_new, s * jnp.exp(m - m_new) + jnp.exp(w - m_new).sum(0)

  init = (jnp.full(x.shape[:1], -jnp.inf), jnp.zeros(x.shape[:1]))
  m, s = jax.lax.fori_loop(0, k // chunk, body, init)
  return m + jnp.log(s) - jnp.log(k)
