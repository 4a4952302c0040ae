"""Flows composed from bijectors: chains, the multi-scale architecture, and each paper's stack.

A flow maps data x to z of the same number of dimensions; with a standard normal base,
  log p(x) = sum_i log N(z_i; 0, 1) + log|det dz/dx|.
"""
import math
from typing import Sequence, Tuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from genjax.flows import bijectors as bj


class Chain(nn.Module):
  """Layers applied in order (forward) or in reverse order (inverse); log-dets add."""
  layers: Sequence[nn.Module]

  def __call__(self, x, inverse=False):
    log_det = jnp.zeros(x.shape[0], x.dtype)
    for layer in (reversed(self.layers) if inverse else self.layers):
      x, ld = layer(x, inverse)
      log_det = log_det + ld
    return x, log_det


def squeezes(chain: Chain) -> int:
  return sum(isinstance(layer, bj.Squeeze) for layer in chain.layers)


class MultiScale(nn.Module):
  """RealNVP's multi-scale architecture: after each level but the last, half the channels
  are factored out (they are final latents) and only the other half flows on. z is flat:
  the factored-out halves in order, then the last level's output."""
  levels: Sequence[Chain]
  shape: Tuple[int, ...]      # the data's (H, W, C)

  def piece_shapes(self):
    """The shapes of z's pieces: each level's factored-out half, then the last level's output."""
    (h, w, c), shapes = self.shape, []
    for i, level in enumerate(self.levels):
      for _ in range(squeezes(level)):
        h, w, c = h // 2, w // 2, 4 * c
      if i < len(self.levels) - 1:
        shapes.append((h, w, c // 2))
        c = c - c // 2
      else:
        shapes.append((h, w, c))
    return shapes

  def __call__(self, x, inverse=False):
    return self.sample_direction(x) if inverse else self.density_direction(x)

  def density_direction(self, x):
    b, pieces, log_det = x.shape[0], [], jnp.zeros(x.shape[0], x.dtype)
    for i, level in enumerate(self.levels):
      x, ld = level(x)
      log_det = log_det + ld
      if i < len(self.levels) - 1:
        half = x.shape[-1] // 2
        pieces.append(x[..., :half].reshape(b, -1))
        x = x[..., half:]
    pieces.append(x.reshape(b, -1))
    return jnp.concatenate(pieces, axis=1), log_det

  def sample_direction(self, z):
    b, shapes = z.shape[0], self.piece_shapes()
    pieces = jnp.split(z, np.cumsum([math.prod(s) for s in shapes])[:-1].tolist(), axis=1)
    log_det = jnp.zeros(b, z.dtype)
    x = pieces[-1].reshape((b,) + shapes[-1])
    for i in reversed(range(len(self.levels))):
      if i < len(self.levels) - 1:
        x = jnp.concatenate([pieces[i].reshape((b,) + shapes[i]), x], axis=-1)
      x, ld = self.levels[i](x, inverse=True)
      log_det = log_det + ld
    return x, log_det


def standard_normal_log_prob(z):
  return -0.5 * (z.reshape(z.shape[0], -1) ** 2).sum(1) - 0.5 * math.log(2 * math.pi) * math.prod(z.shape[1:])


def log_prob(flow: nn.Module, params, x):
  """log p(x) in nats per example (change of variables onto N(0, I))."""
  z, log_det = flow.apply({"params": params}, x)
  return standard_normal_log_prob(z) + log_det


def sample(flow: nn.Module, params, rng, n: int, z_dims: int, temperature: float = 1.0):
  """x = f^{-1}(T z), z ~ N(0, I): temperature T < 1 draws from the typical region."""
  z = temperature * jax.random.normal(rng, (n, z_dims))
  return flow.apply({"params": params}, z, inverse=True)[0]


# --- Each paper's stack --------------------------------------------------------------------

def nice(shape, width, depth, couplings):
  """NICE (Dinh et al. 2014): additive couplings over alternating halves, then a diagonal scaling."""
  layers = [bj.AdditiveCoupling("alternate", i % 2, width, depth) for i in range(couplings)]
  return [bj.Flatten(shape)] + layers + [bj.Scaling()]


def realnvp(shape, width, depth, levels, steps):
  """RealNVP (Dinh et al. 2017). Images: per level `steps` checkerboard couplings, squeeze,
  `steps` channel couplings, factor out half; the last level `steps + 1` checkerboard
  couplings. Vectors: `steps` affine couplings over alternating halves."""
  if len(shape) == 1:
    return [bj.AffineCoupling("alternate", i % 2, width, depth) for i in range(steps)]

  def couplings(kind, n, offset=0):
    return [bj.AffineCoupling(kind, (i + offset) % 2, width, depth) for i in range(n)]

  chains = [Chain(couplings("checkerboard", steps) + [bj.Squeeze()] + couplings("channel", steps))
            for _ in range(levels - 1)]
  chains.append(Chain(couplings("checkerboard", steps + 1)))
  return [MultiScale(chains, tuple(shape))]


def glow(shape, width, depth, levels, steps, coupling="affine", bins=8, bound=3.0):
  """Glow (Kingma & Dhariwal 2018): per level a squeeze, then `steps` of (actnorm, invertible
  1x1 convolution, channel coupling), factoring out half after every level but the last.
  coupling='spline' puts rational-quadratic splines (Durkan et al. 2019) in the couplings."""
  def step(level, i):
    seed = 1000 * level + i
    if coupling == "spline":
      c = bj.SplineCoupling("channel", i % 2, width, depth, bins, bound)
    else:
      c = bj.AffineCoupling("channel", i % 2, width, depth)
    return [bj.ActNorm(), bj.InvConv1x1(seed), c]

  chains = [Chain([bj.Squeeze()] + [layer for i in range(steps) for layer in step(level, i)])
            for level in range(levels)]
  return [MultiScale(chains, tuple(shape))]


def vector_splines(width, depth, steps, bins, bound):
  """Spline couplings over alternating halves of a vector, actnorm between them."""
  return [layer for i in range(steps)
          for layer in (bj.ActNorm(), bj.SplineCoupling("alternate", i % 2, width, depth, bins, bound))]


def maf(shape, width, steps, reverse=False):
  """MAF (Papamakarios et al. 2017) or IAF (reverse): `steps` MADE layers, the order reversed
  and an actnorm (in place of MAF's batch norm) between them."""
  layers = [bj.Flatten(shape)]
  for i in range(steps):
    layers += [bj.MAF((width,), reverse)]
    if i < steps - 1:
      layers += [bj.Reverse(), bj.ActNorm()]
  return layers
