"""Energy-based models of images trained with Langevin dynamics and a replay buffer (Du &
Mordatch 2019): p(x) ~ exp(-E(x)) with E a convolutional network; negatives are short
stochastic-gradient Langevin runs started from a buffer of earlier negatives (or, with a
small probability, from uniform noise), and the loss lowers the energy of data and raises
that of negatives:

  x <- clip(x - step_size * dE/dx + noise * N(0, 1), 0, 1)          (one Langevin step)
  loss = mean E(x+) - mean E(x-) + alpha * mean(E(x+)^2 + E(x-)^2)   (contrastive divergence)

The buffer is (lanes, slots, *image): lane j serves row j of the global batch, which reads and
writes one random slot of its lane per step, so a buffer split over devices by lanes is the
same buffer on 8 devices as on 1.
"""
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


class EnergyNet(nn.Module):
  """x (B, H, W, C) -> E(x) (B,): stride-2 3x3 convolutions with SiLU, then one linear unit."""
  widths: Sequence[int] = (32, 64, 64)

  @nn.compact
  def __call__(self, x):
    h = x
    for width in self.widths:
      h = nn.silu(nn.Conv(width, (3, 3), strides=(2, 2))(h))
    return nn.Dense(1)(h.reshape(h.shape[0], -1))[:, 0]


def langevin_step(energy_fn, x, key, step_size, noise, normal=jax.random.normal):
  """One step of (unadjusted) Langevin dynamics on E, clipped to the image range [0, 1].
  `normal(key, shape)` supplies the noise. With noise = sqrt(2 step_size) it samples exp(-E);
  EBMs' usual settings (Du & Mordatch: step 10, noise 0.005) sample exp(-E / T) at
  T = noise^2 / (2 step), a nearly noiseless descent."""
  grad = jax.grad(lambda x: energy_fn(x).sum())(x)
  return jnp.clip(x - step_size * grad + noise * normal(key, x.shape), 0.0, 1.0)


def langevin(energy_fn, x, key, steps: int, step_size, noise, normal=jax.random.normal):
  """`steps` Langevin steps from x (a Python loop: XLA's CPU backend runs convolutions inside
  loop bodies ~14x slower, and the runs are short)."""
  for s in range(steps):
    x = langevin_step(energy_fn, x, jax.random.fold_in(key, s), step_size, noise, normal)
  return x


def contrastive_loss(e_data, e_model, alpha):
  """The CD surrogate with Du & Mordatch's energy-magnitude regulariser: its gradient lowers the
  data's energy and raises the negatives' (held fixed)."""
  return e_data.mean() - e_model.mean() + alpha * (e_data ** 2 + e_model ** 2).mean()


def buffer_read(buffer, slots, fresh, reinit):
  """Each lane's negative start: its slot's stored image, or `fresh` noise where `reinit`."""
  stored = buffer[jnp.arange(buffer.shape[0]), slots]
  mask = reinit.reshape((-1,) + (1,) * (stored.ndim - 1))
  return jnp.where(mask, fresh, stored)


def buffer_write(buffer, slots, x):
  """The buffer with each lane's slot replaced by that lane's new negative."""
  return buffer.at[jnp.arange(buffer.shape[0]), slots].set(x)
