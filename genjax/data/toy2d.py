"""Procedural 2-D densities, the standard test bed for GANs, flows and EBMs.

Each sampler takes a numpy Generator and n, and returns float32 points of shape (n, 2),
roughly within [-4, 4]^2. Definitions follow the common benchmark usage (e.g. the
8/25-Gaussian mode-coverage protocol of the GAN literature).
"""
import numpy as np


def moons(rng, n):
  t = rng.uniform(0, np.pi, n)
  upper = rng.random(n) < 0.5
  x = np.where(upper, np.cos(t), 1 - np.cos(t))
  y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
  pts = np.stack([x - 0.5, y - 0.25], 1) * 2.0
  return pts + 0.1 * rng.standard_normal((n, 2))


def eight_gaussians_modes():
  angles = np.arange(8) * np.pi / 4
  return 2.0 * np.stack([np.cos(angles), np.sin(angles)], 1)


def eight_gaussians(rng, n, std=0.02 * 2.0):
  modes = eight_gaussians_modes()
  return modes[rng.integers(0, 8, n)] + std * rng.standard_normal((n, 2))


def twenty_five_gaussians_modes():
  g = np.arange(-2, 3, dtype=np.float64)
  return np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2) * 1.5


def twenty_five_gaussians(rng, n, std=0.05):
  modes = twenty_five_gaussians_modes()
  return modes[rng.integers(0, 25, n)] + std * rng.standard_normal((n, 2))


def checkerboard(rng, n):
  x1 = rng.uniform(-2, 2, n)
  x2 = rng.uniform(0, 1, n) + rng.integers(0, 2, n) * 2 - 2 + (np.floor(x1) % 2)
  return np.stack([x1, x2], 1) * 2.0


def two_spirals(rng, n):
  t = np.sqrt(rng.uniform(0, 1, n)) * 3 * np.pi
  sign = np.where(rng.random(n) < 0.5, 1.0, -1.0)
  pts = sign[:, None] * np.stack([-np.cos(t) * t, np.sin(t) * t], 1) / 3.0
  return pts + 0.1 * rng.standard_normal((n, 2))


def rings(rng, n):
  radii = np.array([1.0, 2.0, 3.0, 4.0]) * 0.9
  r = radii[rng.integers(0, 4, n)]
  t = rng.uniform(0, 2 * np.pi, n)
  pts = np.stack([r * np.cos(t), r * np.sin(t)], 1)
  return pts + 0.08 * rng.standard_normal((n, 2))


SAMPLERS = {
    "moons": moons,
    "8gaussians": eight_gaussians,
    "25gaussians": twenty_five_gaussians,
    "checkerboard": checkerboard,
    "2spirals": two_spirals,
    "rings": rings,
}


def generate(name: str, n: int, seed: int) -> np.ndarray:
  rng = np.random.default_rng(seed)
  return SAMPLERS[name](rng, n).astype(np.float32)
