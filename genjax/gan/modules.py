"""GAN networks (Flax linen): the chapter's MLP generator and discriminator, DCGAN-style
convolutional ones, and their class-conditional forms.

Conditioning: the generator concatenates a learned label embedding to z; the discriminator
is a projection discriminator (Miyato & Koyama 2018), logit = psi(phi(x)) + <embed(y), phi(x)>.
Spectral normalisation (Miyato et al. 2018) of every discriminator layer is flax's
`nn.SpectralNorm`; its power-iteration vectors live in the 'batch_stats' collection and are
updated only when `update_stats=True` (the discriminator's own step).
"""
from typing import Optional, Sequence, Tuple

import flax.linen as nn
import jax.numpy as jnp


def _embed_label(z, label, num_classes, dim):
  if not num_classes:
    return z
  return jnp.concatenate([z, nn.Embed(num_classes, dim, name="label_embed")(label)], -1)


class _Layer:
  """A discriminator layer, spectrally normalised or not: `layer(module)(x)`."""

  def __init__(self, spectral_norm: bool, update_stats: bool):
    self.spectral_norm, self.update_stats = spectral_norm, update_stats

  def __call__(self, module):
    if not self.spectral_norm:
      return module
    return lambda *args: nn.SpectralNorm(module)(*args, update_stats=self.update_stats)


def _project(phi, label, num_classes, layer):
  """psi(phi) + <embed(y), phi>: one logit per example, shape (B,)."""
  logit = layer(nn.Dense(1, name="head"))(phi)[:, 0]
  if num_classes:
    embed = layer(nn.Embed(num_classes, phi.shape[-1], name="projection"))(label)
    logit = logit + jnp.sum(embed * phi, -1)
  return logit


class MLPGenerator(nn.Module):
  """z -> Dense(h) -> LeakyReLU(0.2) ... -> Dense(out_dim) [-> tanh]. The seed's is
  100 -> 256 -> 512 -> 1024 -> 784 tanh."""
  out_dim: int
  hidden: Sequence[int] = (256, 512, 1024)
  tanh: bool = True
  num_classes: int = 0
  embed_dim: int = 50

  @nn.compact
  def __call__(self, z, label=None, train: bool = True):
    h = _embed_label(z, label, self.num_classes, self.embed_dim)
    for width in self.hidden:
      h = nn.leaky_relu(nn.Dense(width)(h), 0.2)
    out = nn.Dense(self.out_dim)(h)
    return nn.tanh(out) if self.tanh else out


class MLPDiscriminator(nn.Module):
  """x -> Dense(h) -> LeakyReLU(0.2) ... -> Dense(1): one logit per example, shape (B,).
  The seed's is 784 -> 1024 -> 512 -> 256 -> 1."""
  hidden: Sequence[int] = (1024, 512, 256)
  num_classes: int = 0
  spectral_norm: bool = False

  @nn.compact
  def __call__(self, x, label=None, update_stats: bool = False):
    layer = _Layer(self.spectral_norm, update_stats)
    h = x.reshape(x.shape[0], -1)
    for width in self.hidden:
      h = nn.leaky_relu(layer(nn.Dense(width))(h), 0.2)
    return _project(h, label, self.num_classes, layer)


def depth_to_space(h, block: int = 2):
  """(B, H, W, b*b*C) -> (B, b*H, b*W, C): channel group (i, j) becomes pixel offset (i, j)."""
  b_, h_, w_, c = h.shape
  c //= block * block
  h = h.reshape(b_, h_, w_, block, block, c).transpose(0, 1, 3, 2, 4, 5)
  return h.reshape(b_, h_ * block, w_ * block, c)


class Upsample(nn.Module):
  """A learned 2x upsampling.

  'subpixel' (Shi et al. 2016): a k x k conv to 4*C channels, then depth-to-space; each
  output pixel is a linear map of a k x k input neighbourhood (k = 2: the maps of a 4x4
  stride-2 transposed convolution, whose gradients XLA's CPU backend computes ~8x slower).
  'resize' (Odena et al. 2016): nearest-neighbour 2x, then a k x k conv to C channels; the
  four output phases share one kernel, so no checkerboard pattern.
  """
  features: int
  kernel: int = 2
  kind: str = "subpixel"
  use_bias: bool = True

  @nn.compact
  def __call__(self, h):
    k = (self.kernel, self.kernel)
    if self.kind == "resize":
      return nn.Conv(self.features, k, use_bias=self.use_bias)(jnp.repeat(jnp.repeat(h, 2, 1), 2, 2))
    return depth_to_space(nn.Conv(4 * self.features, k, use_bias=self.use_bias)(h))


class ConvGenerator(nn.Module):
  """DCGAN (Radford et al. 2016): z -> [Dense BN ReLU for each of `dense`] -> Dense to
  (H/4, W/4, widths[0]) -> BN ReLU -> 2x upsampling to widths[1] -> BN ReLU -> 2x upsampling
  to C -> tanh. H and W divisible by 4 (28x28 and 32x32). The upsamplings are `Upsample`
  (`upsample`: 'subpixel' or 'resize', `kernel` x `kernel`).

  BatchNorm uses the batch's statistics in training (`train=True`; with `axis_name`, the
  statistics of the global batch across devices). Sampling uses stored statistics
  (`train=False`), which the method recomputes for the EMA weights ("standing statistics").
  """
  data_shape: Tuple[int, int, int]
  widths: Tuple[int, int] = (128, 64)
  num_classes: int = 0
  embed_dim: int = 50
  axis_name: Optional[str] = None
  bn_momentum: float = 0.9
  kernel: int = 2
  upsample: str = "subpixel"
  dense: Sequence[int] = ()     # fully connected BN ReLU layers before the projection

  @nn.compact
  def __call__(self, z, label=None, train: bool = True):
    (h_, w_, c), (w0, w1) = self.data_shape, self.widths
    norm = lambda: nn.BatchNorm(use_running_average=not train, momentum=self.bn_momentum,
                                axis_name=self.axis_name if train else None)
    h = _embed_label(z, label, self.num_classes, self.embed_dim)
    for width in self.dense:
      h = nn.relu(norm()(nn.Dense(width, use_bias=False)(h)))
    h = nn.Dense(h_ // 4 * (w_ // 4) * w0, use_bias=False)(h)
    h = nn.relu(norm()(h)).reshape((z.shape[0], h_ // 4, w_ // 4, w0))
    up = lambda features, **kw: Upsample(features, self.kernel, self.upsample, **kw)
    h = nn.relu(norm()(up(w1, use_bias=False)(h)))
    return nn.tanh(up(c)(h))


class ConvDiscriminator(nn.Module):
  """DCGAN: 4x4 stride-2 convs (LeakyReLU 0.2, no normalisation, so that the gradient
  penalty stays per-example) -> flatten -> `dense` fully connected LeakyReLU layers ->
  projection head. Without a dense layer the logit is linear in the last conv features, a
  sum of terms each seeing one ~10x10 patch (28x28 input, two convs)."""
  widths: Sequence[int] = (64, 128)
  num_classes: int = 0
  spectral_norm: bool = False
  dense: Sequence[int] = ()

  @nn.compact
  def __call__(self, x, label=None, update_stats: bool = False):
    layer = _Layer(self.spectral_norm, update_stats)
    h = x
    for width in self.widths:
      h = nn.leaky_relu(layer(nn.Conv(width, (4, 4), strides=(2, 2)))(h), 0.2)
    h = h.reshape(h.shape[0], -1)
    for width in self.dense:
      h = nn.leaky_relu(layer(nn.Dense(width))(h), 0.2)
    return _project(h, label, self.num_classes, layer)
