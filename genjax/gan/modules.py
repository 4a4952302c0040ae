"""GAN networks (Flax linen): the chapter's MLP generator and discriminator."""
from typing import Sequence

import flax.linen as nn


class MLPGenerator(nn.Module):
  """z -> Dense(h) -> LeakyReLU(0.2) ... -> Dense(out_dim) [-> tanh]. The seed's is
  100 -> 256 -> 512 -> 1024 -> 784 tanh."""
  out_dim: int
  hidden: Sequence[int] = (256, 512, 1024)
  tanh: bool = True

  @nn.compact
  def __call__(self, z):
    h = z
    for width in self.hidden:
      h = nn.leaky_relu(nn.Dense(width)(h), 0.2)
    out = nn.Dense(self.out_dim)(h)
    return nn.tanh(out) if self.tanh else out


class MLPDiscriminator(nn.Module):
  """x -> Dense(h) -> LeakyReLU(0.2) ... -> Dense(1): one logit per example, shape (B,).
  The seed's is 784 -> 1024 -> 512 -> 256 -> 1."""
  hidden: Sequence[int] = (1024, 512, 256)

  @nn.compact
  def __call__(self, x):
    h = x.reshape(x.shape[0], -1)
    for width in self.hidden:
      h = nn.leaky_relu(nn.Dense(width)(h), 0.2)
    return nn.Dense(1)(h)[:, 0]
