"""GAN objectives on discriminator logits, as (discriminator loss, generator loss).

non-saturating (Goodfellow et al. 2014, the seed's BCE):
  L_D = E softplus(-D(x)) + E softplus(D(G(z))),   L_G = E softplus(-D(G(z)))
hinge (Lim & Ye 2017; Miyato et al. 2018):
  L_D = E relu(1 - D(x)) + E relu(1 + D(G(z))),    L_G = -E D(G(z))
wasserstein (Arjovsky et al. 2017), with the gradient penalty of Gulrajani et al. 2017:
  L_D = E D(G(z)) - E D(x) + lambda E (||grad D(x_hat)|| - 1)^2,   L_G = -E D(G(z))
and, with any loss, the R1 penalty on real data (Mescheder et al. 2018): + gamma/2 E ||grad D(x)||^2.
"""
import jax
import jax.numpy as jnp

from genjax.distributions import softplus


def discriminator_loss(kind, real_logits, fake_logits):
  if kind == "ns":
    return jnp.mean(softplus(-real_logits)) + jnp.mean(softplus(fake_logits))
  if kind == "hinge":
    return jnp.mean(jax.nn.relu(1.0 - real_logits)) + jnp.mean(jax.nn.relu(1.0 + fake_logits))
  return jnp.mean(fake_logits) - jnp.mean(real_logits)          # wgan-gp (penalty added apart)


def generator_loss(kind, fake_logits):
  if kind == "ns":
    return jnp.mean(softplus(-fake_logits))
  return -jnp.mean(fake_logits)                                 # hinge and wgan-gp


def _input_grad_norms_sq(critic, x):
  grads = jax.grad(lambda x: jnp.sum(critic(x)))(x)          # critic is per-example: rows independent
  return jnp.sum(jnp.square(grads.reshape(grads.shape[0], -1)), -1)


def r1_penalty(critic, real):
  """E ||grad_x critic(x)||^2 on real data (multiply by gamma / 2)."""
  return jnp.mean(_input_grad_norms_sq(critic, real))


def gradient_penalty(critic, real, fake, t):
  """E (||grad_x critic(x_hat)||_2 - 1)^2 at x_hat = t real + (1 - t) fake, with t (B,) the
  per-example interpolation weights (drawn from U[0, 1])."""
  t = t.reshape((real.shape[0],) + (1,) * (real.ndim - 1))
  x_hat = t * real + (1.0 - t) * fake
  norms = jnp.sqrt(_input_grad_norms_sq(critic, x_hat) + 1e-12)
  return jnp.mean(jnp.square(norms - 1.0))
