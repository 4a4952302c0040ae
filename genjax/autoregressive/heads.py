"""Output distributions: what a network's per-pixel outputs mean.

A head turns the network's outputs at each pixel, `out` (B, N, P) for N pixels, into a
distribution over the pixel's integer levels (B, N, C). Every head is normalised per pixel,
so with a causal network the product over pixels is an exact likelihood.

- `Bernoulli`: one logit per channel, for binary images.
- `Categorical`: a softmax over the L levels (PixelCNN/PixelRNN's 256-way softmax), one channel.
- `LogisticMixture`: PixelCNN++'s discretised mixture of logistics (Salimans et al. 2017).
  Within a pixel the channels are autoregressive, R -> G -> B: a component's mean for
  channel c is shifted by tanh-squashed coefficients times the channels before it, so the
  network itself only ever sees whole earlier pixels.
"""
import dataclasses

import jax
import jax.numpy as jnp

from genjax.distributions import bernoulli_log_prob, discretized_logistic_log_prob


def to_input(levels, num_levels):
  """Integer levels -> the networks' input in [0, 1] (binary images as 0/1)."""
  return levels.astype(jnp.float32) / (num_levels - 1)


def to_unit(levels, num_levels):
  """Integer levels -> [-1, 1] bin centres (the logistic's coordinates)."""
  return 2.0 * levels.astype(jnp.float32) / (num_levels - 1) - 1.0


@dataclasses.dataclass(frozen=True)
class Bernoulli:
  channels: int = 1
  num_levels: int = 2

  @property
  def num_params(self):
    return self.channels

  def log_prob(self, out, levels):
    """(B, N, P), (B, N, C) int -> (B,): sum over pixels of log p(pixel | earlier pixels)."""
    b = out.shape[0]   # flat: XLA's CPU kernels are slow on (B, N, 1)
    return bernoulli_log_prob(out.reshape(b, -1), levels.reshape(b, -1).astype(jnp.float32)).sum(-1)

  def sample(self, out, key):
    """(B, P) one pixel's outputs -> (B, C) int32 levels."""
    u = jax.random.uniform(key, out.shape)
    return (u < jax.nn.sigmoid(out)).astype(jnp.int32)


@dataclasses.dataclass(frozen=True)
class Categorical:
  channels: int = 1
  num_levels: int = 256

  @property
  def num_params(self):
    return self.num_levels

  def log_prob(self, out, levels):
    log_p = jax.nn.log_softmax(out, -1)
    return jnp.take_along_axis(log_p, levels, -1).sum((1, 2))

  def sample(self, out, key):
    return jax.random.categorical(key, out, -1)[:, None].astype(jnp.int32)


@dataclasses.dataclass(frozen=True)
class LogisticMixture:
  channels: int = 3
  num_levels: int = 256
  components: int = 10

  @property
  def num_params(self):
    c = self.channels
    return self.components * (1 + 2 * c + c * (c - 1) // 2)

  def split(self, out):
    """(…, P) -> mixture logits (…, K), means, log-scales (…, K, C), coefficients (…, K, C(C-1)/2)."""
    k, c = self.components, self.channels
    logits, rest = out[..., :k], out[..., k:].reshape(out.shape[:-1] + (k, -1))
    means, log_scales, coeffs = rest[..., :c], rest[..., c:2 * c], jnp.tanh(rest[..., 2 * c:])
    return logits, means, jnp.maximum(log_scales, -7.0), coeffs

  def channel_means(self, means, coeffs, x):
    """Each channel's mean given the channels before it: mean_c + sum_{c'<c} a_{cc'} x_c'.
    means (…, K, C), x (…, C) in [-1, 1]."""
    shifted, i = [means[..., 0]], 0
    for c in range(1, self.channels):
      shift = sum(coeffs[..., i + j] * x[..., None, j] for j in range(c))
      shifted.append(means[..., c] + shift)
      i += c
    return jnp.stack(shifted, -1)

  def log_prob(self, out, levels):
    logits, means, log_scales, coeffs = self.split(out)
    x = to_unit(levels, self.num_levels)
    mean = self.channel_means(means, coeffs, x)
    per_channel = discretized_logistic_log_prob(x[..., None, :], mean, log_scales, self.num_levels)
    return jax.nn.logsumexp(jax.nn.log_softmax(logits, -1) + per_channel.sum(-1), -1).sum(-1)

  def sample(self, out, key):
    """A component, then each channel in order from its logistic, binned to a level."""
    logits, means, log_scales, coeffs = self.split(out)
    k_key, u_key = jax.random.split(key)
    pick = jax.nn.one_hot(jax.random.categorical(k_key, logits, -1), self.components)
    take = lambda a: jnp.einsum("bk,bk...->b...", pick, a)
    means, log_scales, coeffs = take(means), take(log_scales), take(coeffs)
    u = jax.random.uniform(u_key, means.shape, minval=1e-5, maxval=1.0 - 1e-5)
    x, levels = jnp.zeros_like(means), jnp.zeros(means.shape, jnp.int32)
    for c in range(self.channels):
      mean = self.channel_means(means[:, None], coeffs[:, None], x)[:, 0, c]
      y = mean + jnp.exp(log_scales[:, c]) * (jnp.log(u[:, c]) - jnp.log1p(-u[:, c]))
      level = jnp.clip(jnp.round((y + 1.0) / 2.0 * (self.num_levels - 1)), 0, self.num_levels - 1)
      x = x.at[:, c].set(to_unit(level, self.num_levels))
      levels = levels.at[:, c].set(level.astype(jnp.int32))
    return levels


HEADS = {"bernoulli": Bernoulli, "categorical": Categorical, "logistic_mixture": LogisticMixture}


def make(name, channels, num_levels, components=10):
  if name == "logistic_mixture":
    return LogisticMixture(channels, num_levels, components)
  return HEADS[name](channels, num_levels)
