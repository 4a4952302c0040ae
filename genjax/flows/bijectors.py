"""Bijectors: invertible maps with the log-determinant of their Jacobian.

Every bijector is a Flax module called as `layer(x, inverse=False)`:
  forward  x -> (z, log|det dz/dx|)     the density direction (data to noise),
  inverse  z -> (x, log|det dx/dz|)     the sampling direction,
with x of shape (B, ...) and log-determinants of shape (B,). The maths of each direction is
a small pure function beside its module; the modules only hold parameters.
A flow's density is then log p(x) = log N(f(x); 0, I) + log|det df/dx| (change of variables).
"""
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg

from genjax.autoregressive import dense
from genjax.flows import splines
from genjax.layers import Pointwise, pointwise


def sum_except_batch(a):
  return a.reshape(a.shape[0], -1).sum(1)


def num_positions(x):
  """Spatial positions per example: a per-channel map's log-det counts once per position."""
  return int(np.prod(x.shape[1:-1]))


# --- Preprocessing: the logit transform (RealNVP), its log-det counted -------------------

def logit_forward(x, alpha):
  """y = logit(alpha + (1 - 2 alpha) x), keeping [0, 1] data off logit's infinities."""
  p = alpha + (1 - 2 * alpha) * x
  y = jnp.log(p) - jnp.log1p(-p)
  log_det = sum_except_batch(np.log(1 - 2 * alpha) - jnp.log(p) - jnp.log1p(-p))
  return y, log_det


def logit_inverse(y, alpha):
  p = jax.nn.sigmoid(y)
  log_det = (sum_except_batch(jax.nn.log_sigmoid(y) + jax.nn.log_sigmoid(-y))
             - np.log(1 - 2 * alpha) * np.prod(y.shape[1:]))
  return (p - alpha) / (1 - 2 * alpha), log_det


class Logit(nn.Module):
  alpha: float = 1e-6

  def __call__(self, x, inverse=False):
    # Elementwise work on a flat view: XLA's CPU kernels are slow on (B, H, W, 1).
    flat = x.reshape(x.shape[0], -1)
    y, log_det = logit_inverse(flat, self.alpha) if inverse else logit_forward(flat, self.alpha)
    return y.reshape(x.shape), log_det


# --- Elementwise affine maps: actnorm (Glow) and NICE's diagonal scaling -------------------

def affine_forward(x, shift, log_scale):
  """z = (x + shift) * exp(log_scale); log_scale broadcasts over x."""
  return (x + shift) * jnp.exp(log_scale), sum_except_batch(jnp.broadcast_to(log_scale, x.shape))


def affine_inverse(z, shift, log_scale):
  return z * jnp.exp(-log_scale) - shift, -sum_except_batch(jnp.broadcast_to(log_scale, z.shape))


class ActNorm(nn.Module):
  """Per-channel affine map initialised from the first batch it sees (Glow): after init,
  every channel of that batch has zero mean and unit variance."""

  @nn.compact
  def __call__(self, x, inverse=False):
    axes = tuple(range(x.ndim - 1))
    shift = self.param("shift", lambda _: -x.mean(axes))
    log_scale = self.param("log_scale", lambda _: -jnp.log(x.std(axes) + 1e-6))
    return affine_inverse(x, shift, log_scale) if inverse else affine_forward(x, shift, log_scale)


class Scaling(nn.Module):
  """NICE's last layer: z = x * exp(s), one learned s per dimension."""

  @nn.compact
  def __call__(self, x, inverse=False):
    log_scale = self.param("log_scale", nn.initializers.zeros, x.shape[1:])
    shift = jnp.zeros(x.shape[1:], x.dtype)
    return affine_inverse(x, shift, log_scale) if inverse else affine_forward(x, shift, log_scale)


# --- Glow's invertible 1x1 convolution, LU-parameterised ----------------------------------

def lu_weight(p, lower, upper, sign, log_s):
  """W = P L (U + diag(sign * exp(log_s))), L unit lower, U strictly upper triangular."""
  c = p.shape[0]
  l = jnp.tril(lower, -1) + jnp.eye(c)
  u = jnp.triu(upper, 1) + jnp.diag(sign * jnp.exp(log_s))
  return p @ l @ u


class InvConv1x1(nn.Module):
  """z = x W over channels at every position; log|det| = H W sum(log_s), a sum instead of a
  C^3 determinant. P and the signs are fixed by `seed` (from the LU decomposition of a random
  rotation, as Glow initialises), so they are constants, not parameters."""
  seed: int = 0

  def constants(self, c):
    w0 = np.linalg.qr(np.random.default_rng(self.seed).standard_normal((c, c)))[0]
    p, l, u = scipy.linalg.lu(w0)
    return p, l, u

  @nn.compact
  def __call__(self, x, inverse=False):
    c = x.shape[-1]
    p, l0, u0 = self.constants(c)
    lower = self.param("lower", lambda _: jnp.asarray(l0, x.dtype))
    upper = self.param("upper", lambda _: jnp.asarray(u0, x.dtype))
    log_s = self.param("log_s", lambda _: jnp.asarray(np.log(np.abs(np.diag(u0))), x.dtype))
    sign = jnp.asarray(np.sign(np.diag(u0)), x.dtype)
    w = lu_weight(jnp.asarray(p, x.dtype), lower, upper, sign, log_s)
    log_det = num_positions(x) * log_s.sum() * jnp.ones(x.shape[0])
    if inverse:
      return x @ jnp.linalg.inv(w), -log_det
    return pointwise(x, w), log_det


# --- Fixed permutations and reshapes ---------------------------------------------------------

class Reverse(nn.Module):
  """Reverses the last axis (between MAF layers, so each sees the others' orderings reversed)."""

  def __call__(self, x, inverse=False):
    return x[..., ::-1], jnp.zeros(x.shape[0], x.dtype)


class Flatten(nn.Module):
  """(B, *shape) <-> (B, D), for the flows that act on vectors (NICE, MAF)."""
  shape: Sequence[int]

  def __call__(self, x, inverse=False):
    out = x.reshape((x.shape[0],) + tuple(self.shape)) if inverse else x.reshape(x.shape[0], -1)
    return out, jnp.zeros(x.shape[0], x.dtype)


def squeeze(x):
  """(B, H, W, C) -> (B, H/2, W/2, 4C): each 2x2 patch becomes channels (RealNVP)."""
  b, h, w, c = x.shape
  x = x.reshape(b, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 2, 4, 5)
  return x.reshape(b, h // 2, w // 2, 4 * c)


def unsqueeze(z):
  b, h, w, c = z.shape
  z = z.reshape(b, h, w, 2, 2, c // 4).transpose(0, 1, 3, 2, 4, 5)
  return z.reshape(b, 2 * h, 2 * w, c // 4)


class Squeeze(nn.Module):
  def __call__(self, x, inverse=False):
    return (unsqueeze(x) if inverse else squeeze(x)), jnp.zeros(x.shape[0], x.dtype)


# --- Couplings: half the dimensions condition a map of the other half -----------------------
#
# 'checkerboard' (images): a spatial 0/1 mask; the conditioner sees x * mask and the map acts
# where the mask is 0. 'channel' (halves of the last axis) and 'alternate' (its even or odd
# entries, NICE's partition) split x into (x_a, x_b) instead, so the conditioner reads only
# x_a and outputs only x_b's parameters: half the work of a masked layer at either end.

def checkerboard(shape, parity):
  """A (H, W, 1) 0/1 mask, 1 where (i + j + parity) is even: the conditioning half."""
  h, w = shape[:2]
  return ((np.add.outer(np.arange(h), np.arange(w)) + parity) % 2 == 0).astype(np.float32)[..., None]


def partition(d, kind, parity):
  """(conditioning indices, transformed indices) of a last axis of size d."""
  if kind == "channel":
    first, second = np.arange(d // 2), np.arange(d // 2, d)
    return (first, second) if parity == 0 else (second, first)
  even, odd = np.arange(0, d, 2), np.arange(1, d, 2)
  return (even, odd) if parity == 0 else (odd, even)


def split(x, kind, parity):
  a, b = partition(x.shape[-1], kind, parity)
  if kind == "channel":      # contiguous halves: slices, not gathers
    return x[..., a[0]:a[-1] + 1], x[..., b[0]:b[-1] + 1]
  return jnp.take(x, a, axis=-1), jnp.take(x, b, axis=-1)


def merge(x_a, x_b, kind, parity):
  """split's inverse."""
  if kind == "channel":
    return jnp.concatenate([x_a, x_b] if parity == 0 else [x_b, x_a], axis=-1)
  a, b = partition(x_a.shape[-1] + x_b.shape[-1], kind, parity)
  return jnp.take(jnp.concatenate([x_a, x_b], axis=-1), np.argsort(np.concatenate([a, b])), axis=-1)


def patches_3x3(x):
  """(B, H, W, C) -> (B, H, W, 9C): each position's 3x3 neighbourhood (zero padded)."""
  h, w = x.shape[1:3]
  p = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
  return jnp.concatenate([p[:, i:i + h, j:j + w] for i in range(3) for j in range(3)], axis=-1)


class ConvNet(nn.Module):
  """The coupling's conditioner for images: 3x3, 1x1, then a zero-initialised 3x3 (Glow), so
  every coupling starts as the identity. On XLA's CPU backend a 3x3 convolution of a few
  channels (a coupling's half of 2-8) runs ~1.5x faster as a matrix product of its 3x3
  patches, and a 1x1 convolution as a dense layer (`Pointwise`: its kernel gradient too runs
  in XLA's library kernels, genjax/layers.py)."""
  width: int
  out_features: int
  depth: int = 1

  @nn.compact
  def __call__(self, x):
    if 9 * x.shape[-1] <= 128:
      h = nn.relu(Pointwise(self.width)(patches_3x3(x)))
    else:
      h = nn.relu(nn.Conv(self.width, (3, 3))(x))
    for _ in range(self.depth):
      h = nn.relu(Pointwise(self.width)(h))
    return nn.Conv(self.out_features, (3, 3), kernel_init=nn.initializers.zeros)(h)


class MLP(nn.Module):
  """The coupling's conditioner for vectors (NICE, 2-D data), zero-initialised output."""
  width: int
  out_features: int
  depth: int = 2

  @nn.compact
  def __call__(self, x):
    h = x
    for _ in range(self.depth):
      h = nn.relu(nn.Dense(self.width)(h))
    return nn.Dense(self.out_features, kernel_init=nn.initializers.zeros)(h)


class Coupling(nn.Module):
  """y_b = g(x_b; theta(x_a)), y_a = x_a. Subclasses give `per_dim` (parameters per
  transformed dimension) and `transform(x_b, theta, inverse) -> (y_b, elementwise log-det)`."""
  mask_kind: str = "channel"     # 'checkerboard', 'channel' or 'alternate'
  parity: int = 0
  width: int = 64
  depth: int = 1
  per_dim = 1

  def theta(self, x_a, d_b):
    net = ConvNet if x_a.ndim == 4 else MLP
    out = net(self.width, d_b * self.per_dim, self.depth)(x_a)
    return out.reshape(out.shape[:-1] + (d_b, self.per_dim))

  @nn.compact
  def __call__(self, x, inverse=False, context=None):
    """`context` (optional; x's leading axes, its own features last): what the conditioner
    also reads, making the map conditional on it (q(u | x) of variational dequantisation)."""
    def conditioner_input(x_a):
      return x_a if context is None else jnp.concatenate([x_a, context], axis=-1)

    if self.mask_kind == "checkerboard":
      a = jnp.asarray(checkerboard(x.shape[1:], self.parity))
      y, log_det = self.transform(x, self.theta(conditioner_input(x * a), x.shape[-1]), inverse)
      keep = jnp.broadcast_to(a, x.shape) > 0
      return jnp.where(keep, x, y), sum_except_batch(jnp.where(keep, 0.0, log_det))
    x_a, x_b = split(x, self.mask_kind, self.parity)
    y_b, log_det = self.transform(x_b, self.theta(conditioner_input(x_a), x_b.shape[-1]), inverse)
    return merge(x_a, y_b, self.mask_kind, self.parity), sum_except_batch(log_det)


class AdditiveCoupling(Coupling):
  """NICE: y_b = x_b + m(x_a); volume preserving (log-det 0)."""
  width: int = 256
  depth: int = 2

  def transform(self, x_b, theta, inverse):
    shift = theta[..., 0]
    return (x_b - shift if inverse else x_b + shift), jnp.zeros_like(x_b)


class AffineCoupling(Coupling):
  """RealNVP / Glow: y_b = (x_b + t(x_a)) * exp(s(x_a)), s = scale * tanh(raw) (RealNVP's
  bounded log-scale, one learned scale per transformed dimension)."""
  per_dim = 2

  def transform(self, x_b, theta, inverse):
    scale = self.param("scale", nn.initializers.ones, x_b.shape[-1:])
    shift, log_scale = theta[..., 0], scale * jnp.tanh(theta[..., 1])
    if inverse:
      return x_b * jnp.exp(-log_scale) - shift, -log_scale
    return (x_b + shift) * jnp.exp(log_scale), log_scale


class SplineCoupling(Coupling):
  """Neural spline flow (Durkan et al. 2019): a monotone rational-quadratic spline with `bins`
  bins on [-bound, bound] (identity outside) on each transformed dimension."""
  width: int = 128
  depth: int = 2
  bins: int = 8
  bound: float = 3.0

  @property
  def per_dim(self):
    return 3 * self.bins - 1

  def transform(self, x_b, theta, inverse):
    return splines.rational_quadratic(x_b, theta, self.bound, inverse)


# --- Autoregressive flows on MADE masks ------------------------------------------------------

def maf_inverse_sequential(z, made_shift_log_scale):
  """x from z one dimension at a time: x_i = z_i exp(a_i) + mu_i, where (mu_i, a_i) read
  x_<i, so D passes of the network (dimension i is final after pass i)."""
  def step(x, _):
    mu, a = made_shift_log_scale(x)
    return z * jnp.exp(a) + mu, None
  x, _ = jax.lax.scan(step, jnp.zeros_like(z), None, length=z.shape[-1])
  mu, a = made_shift_log_scale(x)
  return x, sum_except_batch(a)


class MAF(nn.Module):
  """Masked autoregressive flow (Papamakarios et al. 2017) on flat vectors (B, D):
  z_i = (x_i - mu_i(x_<i)) exp(-a_i(x_<i)); the density is one MADE pass, sampling is D.
  `reverse=True` is IAF (Kingma et al. 2016): the same map the other way round, so sampling
  is one pass and the density is D."""
  hidden: Sequence[int] = (512,)
  reverse: bool = False

  @nn.compact
  def __call__(self, x, inverse=False):
    d = x.shape[-1]
    made = dense.MADE(2, tuple(self.hidden), direct=True)     # unbound: applied purely below
    ranks = jnp.arange(1, d + 1)
    # hidden degrees spread evenly over 1..D-1, however wide the layer
    degrees = [jnp.asarray(1 + (np.arange(w) * max(d - 1, 1)) // w) for w in self.hidden]
    mask_list = dense.masks(ranks, degrees)
    params = self.param("made", lambda rng: made.init(rng, x, mask_list)["params"])

    def shift_log_scale(v):
      out = made.apply({"params": params}, v, mask_list)
      return out[..., 0], jnp.tanh(out[..., 1] / 4.0) * 4.0      # |a| < 4: no overflow early on

    if inverse == self.reverse:   # the one-pass direction: MAF's density, IAF's sampling
      mu, a = shift_log_scale(x)
      return (x - mu) * jnp.exp(-a), -sum_except_batch(a)
    return maf_inverse_sequential(x, shift_log_scale)
