"""VAE networks (Flax linen). Encoders give (mean, log_var) of q(z|x); decoders give the
likelihood's parameters per data dimension, flat: (B, D * params_per_dim)."""
from typing import Sequence, Tuple

import flax.linen as nn


class MLPEncoder(nn.Module):
  latents: int
  hidden: Sequence[int] = (512, 256)

  @nn.compact
  def __call__(self, x):
    h = x.reshape(x.shape[0], -1)
    for width in self.hidden:
      h = nn.relu(nn.Dense(width)(h))
    return nn.Dense(self.latents, name="mean")(h), nn.Dense(self.latents, name="log_var")(h)


class MLPDecoder(nn.Module):
  out_dim: int
  hidden: Sequence[int] = (512, 256)

  @nn.compact
  def __call__(self, z):
    h = z
    for width in reversed(self.hidden):
      h = nn.relu(nn.Dense(width)(h))
    return nn.Dense(self.out_dim)(h)


class ConvEncoder(nn.Module):
  """3x3 convs: width w at stride 2, 2w at stride 2, then dense heads. Sides divisible by 4."""
  latents: int
  features: Tuple[int, int] = (32, 64)

  @nn.compact
  def __call__(self, x):
    h = x
    for f in self.features:
      h = nn.relu(nn.Conv(f, (3, 3))(h))
      h = nn.relu(nn.Conv(f, (3, 3), strides=(2, 2))(h))
    h = h.reshape(h.shape[0], -1)
    return nn.Dense(self.latents, name="mean")(h), nn.Dense(self.latents, name="log_var")(h)


class ConvDecoder(nn.Module):
  data_shape: Tuple[int, int, int]
  params_per_dim: int
  features: Tuple[int, int] = (32, 64)

  @nn.compact
  def __call__(self, z):
    h_, w_, c = self.data_shape
    f_small, f_big = self.features
    h = nn.relu(nn.Dense(h_ // 4 * w_ // 4 * f_big)(z)).reshape(z.shape[0], h_ // 4, w_ // 4, f_big)
    h = nn.relu(nn.ConvTranspose(f_big, (3, 3), strides=(2, 2))(h))
    h = nn.relu(nn.Conv(f_big, (3, 3))(h))
    h = nn.relu(nn.ConvTranspose(f_small, (3, 3), strides=(2, 2))(h))
    h = nn.relu(nn.Conv(f_small, (3, 3))(h))
    out = nn.Conv(c * self.params_per_dim, (1, 1))(h)          # (B, H, W, C * P)
    return out.reshape(z.shape[0], -1)                        # (B, D * P), pixel-major
