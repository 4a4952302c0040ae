"""Monotone rational-quadratic splines (Durkan et al. 2019, "Neural Spline Flows").

K bins on [-B, B] in both x and y, knots (x_k, y_k), derivatives d_k at the knots (d_0 =
d_K = 1, so the spline meets the identity tails outside [-B, B] smoothly). In bin k, with
xi = (x - x_k) / w_k and s_k = h_k / w_k,
  y = y_k + h_k (s_k xi^2 + d_k xi (1 - xi)) / (s_k + (d_k+1 + d_k - 2 s_k) xi (1 - xi)).
Raw parameters per dimension: K width logits, K height logits, K - 1 interior derivative
pre-activations; all zeros give the identity.
"""
import math

import jax
import jax.numpy as jnp

MIN_BIN = 1e-3
MIN_DERIVATIVE = 1e-3


def knots(raw, bound):
  """Bin edges (..., K + 1) from logits (..., K), each bin at least MIN_BIN of the range."""
  k = raw.shape[-1]
  sizes = MIN_BIN + (1 - MIN_BIN * k) * jax.nn.softmax(raw, axis=-1)
  edges = jnp.cumsum(sizes, axis=-1) * 2 * bound - bound
  edges = jnp.concatenate([jnp.full(edges.shape[:-1] + (1,), -bound), edges], axis=-1)
  return edges.at[..., -1].set(bound)


def derivatives(raw):
  """(..., K + 1) knot derivatives: 1 at both ends, softplus inside (1 at raw = 0)."""
  inner = MIN_DERIVATIVE + jax.nn.softplus(raw + math.log(math.expm1(1 - MIN_DERIVATIVE)))
  ones = jnp.ones(raw.shape[:-1] + (1,), raw.dtype)
  return jnp.concatenate([ones, inner, ones], axis=-1)


def _bin_params(v, edges_in, edges_out, d):
  """The bin containing v (in edges_in) and its (x_k, w_k, y_k, h_k, d_k, d_k+1)."""
  k = jnp.sum(v[..., None] >= edges_in[..., 1:-1], axis=-1, keepdims=True)
  take = lambda a, j=0: jnp.take_along_axis(a, k + j, axis=-1)[..., 0]
  xk, yk = take(edges_in), take(edges_out)
  return xk, take(edges_in, 1) - xk, yk, take(edges_out, 1) - yk, take(d), take(d, 1)


def rational_quadratic(x, params, bound, inverse=False):
  """Elementwise spline of x (...,) with params (..., 3K - 1): (y, log|dy/dx|) forward, or
  (x, log|dx/dy|) if inverse. Identity with log-det 0 outside [-bound, bound]."""
  k = (params.shape[-1] + 1) // 3
  xs, ys = knots(params[..., :k], bound), knots(params[..., k:2 * k], bound)
  d = derivatives(params[..., 2 * k:])
  inside = jnp.abs(x) < bound
  v = jnp.clip(x, -bound, bound)
  if inverse:   # the bin is found among the y knots
    y_k, h, x_k, w, d0, d1 = _bin_params(v, ys, xs, d)
  else:
    x_k, w, y_k, h, d0, d1 = _bin_params(v, xs, ys, d)
  s = h / w
  if inverse:
    dy = v - y_k
    a = h * (s - d0) + dy * (d1 + d0 - 2 * s)
    b = h * d0 - dy * (d1 + d0 - 2 * s)
    c = -s * dy
    xi = 2 * c / (-b - jnp.sqrt(jnp.maximum(b * b - 4 * a * c, 0.0)))
    out = xi * w + x_k
  else:
    xi = (v - x_k) / w
  t = xi * (1 - xi)
  denom = s + (d1 + d0 - 2 * s) * t
  if not inverse:
    out = y_k + h * (s * xi * xi + d0 * t) / denom
  log_dydx = (2 * jnp.log(s) + jnp.log(d1 * xi * xi + 2 * s * t + d0 * (1 - xi) ** 2)
              - 2 * jnp.log(denom))
  log_det = -log_dydx if inverse else log_dydx
  return jnp.where(inside, out, x), jnp.where(inside, log_det, 0.0)
