"""Autoencoder networks (Flax linen): x -> code z -> reconstruction logits."""
import math
from typing import Sequence, Tuple

import flax.linen as nn


class MLPAutoencoder(nn.Module):
  """The chapter's autoencoder, Input(D) -> Dense(hidden..., relu) -> Dense(latents, relu)
  -> Dense(reversed hidden..., relu) -> Dense(D) logits. With hidden=() this is exactly the
  Keras seed 784 -> 32 (relu) -> 784 (sigmoid, fused into the loss)."""
  latents: int = 32
  hidden: Sequence[int] = ()
  data_shape: Tuple[int, ...] = (28, 28, 1)

  def setup(self):
    self.encoder = [nn.Dense(h) for h in self.hidden] + [nn.Dense(self.latents)]
    self.decoder = [nn.Dense(h) for h in reversed(self.hidden)] + [
        nn.Dense(math.prod(self.data_shape))]

  def encode(self, x):
    h = x.reshape(x.shape[0], -1)
    for layer in self.encoder:
      h = nn.relu(layer(h))
    return h

  def decode(self, z):
    """Flat logits (B, prod(data_shape)): XLA's CPU kernels run several times slower on
    (B, 28, 28, 1)-shaped elementwise work than on (B, 784), so MLPs stay flat."""
    h = z
    for layer in self.decoder[:-1]:
      h = nn.relu(layer(h))
    return self.decoder[-1](h)

  def __call__(self, x):
    return self.decode(self.encode(x))


class ConvAutoencoder(nn.Module):
  """Two stride-2 3x3 convolutions down, a linear code, two stride-2 transposed
  convolutions up. Height and width must be divisible by 4 (8x8, 28x28, 32x32)."""
  latents: int = 32
  features: Sequence[int] = (32, 64)
  data_shape: Tuple[int, ...] = (28, 28, 1)

  def setup(self):
    h, w, c = self.data_shape
    self.bottom = (h // 4, w // 4, self.features[-1])
    self.down = [nn.Conv(f, (3, 3), strides=(2, 2)) for f in self.features]
    self.to_code = nn.Dense(self.latents)
    self.from_code = nn.Dense(self.bottom[0] * self.bottom[1] * self.bottom[2])
    self.up = [nn.ConvTranspose(f, (3, 3), strides=(2, 2)) for f in reversed(self.features[:-1])]
    self.up_last = nn.ConvTranspose(self.features[0], (3, 3), strides=(2, 2))
    self.out = nn.Conv(c, (3, 3))

  def encode(self, x):
    h = x
    for conv in self.down:
      h = nn.relu(conv(h))
    return self.to_code(h.reshape(h.shape[0], -1))

  def decode(self, z):
    h = nn.relu(self.from_code(z)).reshape((z.shape[0],) + self.bottom)
    for conv in self.up:
      h = nn.relu(conv(h))
    h = nn.relu(self.up_last(h))
    return self.out(h)

  def __call__(self, x):
    return self.decode(self.encode(x))
