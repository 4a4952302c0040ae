"""Procedural 2-D densities, the standard test bed for GANs, flows and EBMs.

Each sampler takes a numpy Generator and n, and returns float32 points of shape (n, 2),
roughly within [-4, 4]^2. Definitions follow the common benchmark usage (e.g. the
8/25-Gaussian mode-coverage protocol of the GAN literature).
"""
import functools

import jax
import jax.numpy as jnp
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


EIGHT_GAUSSIANS_STD = 0.04
TWENTY_FIVE_GAUSSIANS_STD = 0.05
RINGS_RADII = (0.9, 1.8, 2.7, 3.6)
RINGS_STD = 0.08


def eight_gaussians(rng, n, std=EIGHT_GAUSSIANS_STD):
  modes = eight_gaussians_modes()
  return modes[rng.integers(0, 8, n)] + std * rng.standard_normal((n, 2))


def twenty_five_gaussians_modes():
  g = np.arange(-2, 3, dtype=np.float64)
  return np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2) * 1.5


def twenty_five_gaussians(rng, n, std=TWENTY_FIVE_GAUSSIANS_STD):
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
  r = np.array(RINGS_RADII)[rng.integers(0, len(RINGS_RADII), n)]
  t = rng.uniform(0, 2 * np.pi, n)
  pts = np.stack([r * np.cos(t), r * np.sin(t)], 1)
  return pts + RINGS_STD * rng.standard_normal((n, 2))


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


# Closed-form log densities (natural log, per point) of the sets whose density is known, so a
# density model's test NLL can be read against the data's own entropy: the gap is KL(data||model).
# Written in jax.numpy, so a model's evaluation step can compute them beside its own.

def _log_mixture_of_isotropic_gaussians(x, modes, std):
  sq = ((x[:, None, :] - jnp.asarray(modes, x.dtype)[None]) ** 2).sum(-1)
  log_n = -sq / (2 * std ** 2) - np.log(2 * np.pi * std ** 2)
  return jax.nn.logsumexp(log_n, axis=1) - np.log(len(modes))


def log_density_rings(x, radii=RINGS_RADII, std=RINGS_STD):
  """A uniform angle on a ring of radius r, plus N(0, std^2 I): integrating the angle out,
  p(x | r) = exp(-(|x|^2 + r^2) / 2 std^2) I0(r |x| / std^2) / (2 pi std^2)."""
  r = jnp.asarray(radii, x.dtype)[None]
  rho = jnp.linalg.norm(x, axis=1)[:, None]
  # log I0(a) = log i0e(a) + a, so the exponent is -(rho - r)^2 / 2 std^2: no overflow.
  log_p = (-(rho - r) ** 2 / (2 * std ** 2) + jnp.log(jax.scipy.special.i0e(r * rho / std ** 2))
           - np.log(2 * np.pi * std ** 2))
  return jax.nn.logsumexp(log_p, axis=1) - np.log(len(radii))


def log_density_checkerboard(x):
  """Uniform on 8 of the 16 2x2 squares of [-4, 4]^2 (total area 32). A point on a square's
  edge counts as on the board (generated points are rounded to float32, which can land
  one exactly on an edge)."""
  u = x / 2.0
  inside = (jnp.abs(u) <= 2).all(1)
  parity = lambda v: jnp.floor(v) % 2
  below = lambda v: parity(jnp.nextafter(v, -jnp.inf))
  on_board = ((parity(u[:, 1]) == parity(u[:, 0])) | (below(u[:, 1]) == parity(u[:, 0]))
              | (parity(u[:, 1]) == below(u[:, 0])) | (below(u[:, 1]) == below(u[:, 0])))
  return jnp.where(inside & on_board, -np.log(32.0), -jnp.inf)


LOG_DENSITIES = {
    "8gaussians": lambda x: _log_mixture_of_isotropic_gaussians(x, eight_gaussians_modes(), EIGHT_GAUSSIANS_STD),
    "25gaussians": lambda x: _log_mixture_of_isotropic_gaussians(
        x, twenty_five_gaussians_modes(), TWENTY_FIVE_GAUSSIANS_STD),
    "rings": log_density_rings,
    "checkerboard": log_density_checkerboard,
}


def density_kind(data_name: str):
  """'rings' for the data set 'toy2d/rings' (any set with a closed-form density), else None."""
  prefix, _, kind = data_name.partition("/")
  return kind if prefix == "toy2d" and kind in LOG_DENSITIES else None


@functools.lru_cache(maxsize=None)
def entropy(name: str, n: int = 200_000, seed: int = 12345):
  """(H, its standard error) in nats: the Monte Carlo mean of -log p over n fresh points,
  the floor of any model's expected NLL on this set."""
  neg_log_p = -np.asarray(LOG_DENSITIES[name](jnp.asarray(generate(name, n, seed))), np.float64)
  return float(neg_log_p.mean()), float(neg_log_p.std() / np.sqrt(n))


def kl_protocol(data_name: str) -> dict:
  """What a report of kl_nats states on a set with a closed-form density (else {})."""
  kind = density_kind(data_name)
  if kind is None:
    return {}
  h, se = entropy(kind)     # cached: computed once per process
  return {"kl_nats": "mean over test points of log p_data(x) - log p_model(x): KL(data || model)",
          "data_entropy_nats": f"{h:.4f} +- {se:.4f} (Monte Carlo, 200 000 points)"}
