"""Variational dequantisation (Ho et al. 2019, Flow++).

A flow is a density p on [0, 1]^D; the discrete image x (levels 0..L-1) owns the cell
(x + [0, 1)^D) / L, so P(x) = L^-D E_{u ~ q}[p((x + u) / L) / q(u | x)] for any density q on
[0, 1)^D, and by Jensen
  log P(x) >= E_{u ~ q(u|x)}[log p((x + u) / L) - log q(u | x)] - D log L.
Uniform dequantisation is q = 1 (log q = 0). Variational dequantisation learns q(u | x), the
bound tight when q(u | x) is p's shape inside x's cell. q is a flow conditioned on x:
  eps ~ N(0, I),  y = f(eps; x)  (affine checkerboard couplings whose conditioners also read
  features of x),  u = sigmoid(y),
  log q(u | x) = log N(eps; 0, I) - log|det dy/deps| - sum log sigmoid'(y),
the sigmoid and its log-det being the logit transform's (bijectors.logit_*) with alpha = 0.
"""
import flax.linen as nn
import jax.numpy as jnp

from genjax.flows import bijectors as bj
from genjax.flows.flows import standard_normal_log_prob


def dequantize(dequantizer, params, batch, eps, num_levels: int):
  """(x = (levels + u) / L, log q(u | levels)), u q's map of the noise eps."""
  u, log_q = dequantizer.apply({"params": params}, batch["x"], eps)
  return (batch["levels"] + u) / num_levels, log_q


class Dequantizer(nn.Module):
  """q(u | x) on (0, 1)^D for images x. Called as dequantizer(x, v, inverse):
  forward, v = eps ~ N(0, I)  ->  (u, log q(u | x));
  inverse, v = u in (0, 1)^D  ->  (eps, log q(u | x)).
  x is the discrete image scaled to [0, 1], (B, H, W, C)."""
  width: int = 32
  steps: int = 4

  @nn.compact
  def __call__(self, x, v, inverse=False):
    context = nn.relu(nn.Conv(self.width, (3, 3), name="context")(x - 0.5))
    couplings = [bj.AffineCoupling("checkerboard", i % 2, self.width, 1, name=f"coupling{i}")
                 for i in range(self.steps)]
    def chain(z, inverse):     # the couplings: (their output, log|det| of that direction)
      log_det = jnp.zeros(z.shape[0], z.dtype)
      for coupling in (reversed(couplings) if inverse else couplings):
        z, ld = coupling(z, inverse, context)
        log_det = log_det + ld
      return z, log_det

    if inverse:
      y, logit_log_det = bj.logit_forward(v, 0.0)            # log|det dy / du|
      eps, log_det = chain(y, True)                          # log|det d eps / dy|
      return eps, standard_normal_log_prob(eps) + log_det + logit_log_det
    y, log_det = chain(v, False)                             # log|det dy / d eps|
    u, sigmoid_log_det = bj.logit_inverse(y, 0.0)            # log|det du / dy|
    return u, standard_normal_log_prob(v) - log_det - sigmoid_log_det
