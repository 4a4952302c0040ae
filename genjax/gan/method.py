"""The GAN as a trainer method: generator and discriminator, two optimisers, one compiled step.

One step: `d_steps` discriminator updates (each with fresh z, the same real batch), then one
generator update with fresh z (the discriminator frozen: only input gradients flow through
it). The generator's exponential moving average is what `sample` draws from.
"""
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import struct

from genjax.errors import ConfigError
from genjax.gan import losses, metrics
from genjax.gan.modules import MLPDiscriminator, MLPGenerator
from genjax.train import optim
from genjax.train.method import AXIS, Method, device_rng, register

LOSSES = ("ns", "hinge", "wgan-gp")


@struct.dataclass
class State:
  step: jax.Array
  g_params: dict
  d_params: dict
  g_opt: optax.OptState
  d_opt: optax.OptState
  g_ema: dict


def validate(config, info):
  m = config.model
  if m.arch != "mlp":
    raise ConfigError("model.arch", m.arch, "'mlp' (the convolutional GAN is not in genjax yet)")
  if m.loss not in LOSSES:
    raise ConfigError("model.loss", m.loss, "one of " + ", ".join(LOSSES))
  optim.validate_widths("model.g_hidden", m.g_hidden)
  optim.validate_widths("model.d_hidden", m.d_hidden)
  for field in ("latents", "d_steps", "eval_samples"):
    if not (isinstance(m[field], int) and m[field] > 0):
      raise ConfigError(f"model.{field}", m[field], "a positive integer")
  if not 0.0 <= m.ema_decay < 1.0:
    raise ConfigError("model.ema_decay", m.ema_decay, "a decay in [0, 1)")
  if m.gp_weight < 0:
    raise ConfigError("model.gp_weight", m.gp_weight, "a non-negative weight")
  if info.is_image and (config.data.scale != "[-1,1]" or config.data.binarize != "none"):
    raise ConfigError("data.scale", config.data.scale, "'[-1,1]' without binarisation: the generator ends in tanh")
  optim.validate(config.optim, "optim")
  optim.validate(config.d_optim, "d_optim")


def build_with_updates(config, info):
  """(method, d_update, g_update): the two half-steps are exposed for tests and research code."""
  validate(config, info)
  m = config.model
  d = math.prod(info.shape)
  gen = MLPGenerator(d, tuple(m.g_hidden), tanh=info.is_image)
  disc = MLPDiscriminator(tuple(m.d_hidden))
  g_tx, d_tx = optim.make(config.optim, config.num_steps), optim.make(config.d_optim, config.num_steps)

  def generate(g_params, z):
    return gen.apply({"params": g_params}, z).reshape((z.shape[0],) + tuple(info.shape))

  def critic(d_params):
    return lambda x: disc.apply({"params": d_params}, x)

  def init(rng, batch):
    r_g, r_d = jax.random.split(rng)
    g_params = gen.init(r_g, jnp.zeros((1, m.latents)))["params"]
    d_params = disc.init(r_d, batch["x"][:1])["params"]
    return State(step=jnp.zeros((), jnp.int32), g_params=g_params, d_params=d_params,
                 g_opt=g_tx.init(g_params), d_opt=d_tx.init(d_params), g_ema=g_params)

  def d_loss_fn(d_params, g_params, real, rng):
    r_z, r_gp = jax.random.split(rng)
    fake = jax.lax.stop_gradient(generate(g_params, jax.random.normal(r_z, (real.shape[0], m.latents))))
    logits = critic(d_params)(jnp.concatenate([real, fake]))   # one pass over 2B examples
    loss = losses.discriminator_loss(m.loss, logits[:real.shape[0]], logits[real.shape[0]:])
    if m.loss == "wgan-gp":
      loss += m.gp_weight * losses.gradient_penalty(critic(d_params), real, fake, r_gp)
    return loss

  def g_loss_fn(g_params, d_params, rng, n):
    fake = generate(g_params, jax.random.normal(rng, (n, m.latents)))
    return losses.generator_loss(m.loss, critic(d_params)(fake))

  def d_update(state, real, rng):
    """One discriminator step: only d_params and d_opt change."""
    loss, grads = jax.value_and_grad(d_loss_fn)(state.d_params, state.g_params, real, rng)
    updates, d_opt = d_tx.update(jax.lax.pmean(grads, AXIS), state.d_opt, state.d_params)
    return state.replace(d_params=optax.apply_updates(state.d_params, updates), d_opt=d_opt), loss

  def g_update(state, n, rng):
    """One generator step against the current discriminator: only g_params, g_opt, g_ema change."""
    loss, grads = jax.value_and_grad(g_loss_fn)(state.g_params, state.d_params, rng, n)
    updates, g_opt = g_tx.update(jax.lax.pmean(grads, AXIS), state.g_opt, state.g_params)
    g_params = optax.apply_updates(state.g_params, updates)
    g_ema = optax.incremental_update(g_params, state.g_ema, 1.0 - m.ema_decay)
    return state.replace(g_params=g_params, g_opt=g_opt, g_ema=g_ema), loss

  def train_step(state, batch, rng):
    rng = device_rng(rng)
    real = batch["x"]
    state, d_loss = jax.lax.fori_loop(
        0, m.d_steps, lambda i, carry: d_update(carry[0], real, jax.random.fold_in(rng, i)),
        (state, jnp.zeros(())))
    state, g_loss = g_update(state, real.shape[0], jax.random.fold_in(rng, m.d_steps))
    return state.replace(step=state.step + 1), {"loss": d_loss, "g_loss": g_loss}

  def eval_step(state, batch, rng):
    """The discriminator's logit on held-out real data, and its sigmoid."""
    logits = critic(state.d_params)(batch["x"])
    return {"d_real_logit": logits, "d_real_prob": jax.nn.sigmoid(logits)}

  def sample(state, rng, n):
    return generate(state.g_ema, jax.random.normal(rng, (n, m.latents)))

  sample_metrics = None
  if config.data.name in metrics.MIXTURES:
    modes, std = metrics.MIXTURES[config.data.name]

    def sample_metrics(samples):
      return metrics.mode_coverage(np.asarray(samples), modes(), std)

  method = Method(init=init, train_step=train_step, eval_step=eval_step, sample=sample,
                  sample_metrics=sample_metrics,
                  protocol={"samples_from": f"EMA of the generator (decay {m.ema_decay})",
                            "loss": m.loss})
  return method, d_update, g_update


@register("gan")
def build(config, info) -> Method:
  return build_with_updates(config, info)[0]
