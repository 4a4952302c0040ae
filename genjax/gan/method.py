"""The GAN as a trainer method: generator and discriminator, two optimisers, one compiled step.

One step: `d_steps` discriminator updates (each with fresh z, the same real batch), then one
generator update with fresh z (the discriminator frozen: only input gradients flow through
it). The generator's exponential moving average is what `sample` draws from.

Class-conditional GANs (`model.conditional`) generate each fake with the label of a real
example of the batch (so fakes follow the data's class frequencies) and sample classes
0, 1, ..., K-1, 0, 1, ... in turn.
"""
import dataclasses
import functools
import math
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import struct

from genjax.errors import ConfigError
from genjax.gan import losses, metrics
from genjax.gan.modules import ConvDiscriminator, ConvGenerator, MLPDiscriminator, MLPGenerator
from genjax.train import keys, optim, precision
from genjax.train.defaults import evaluator, optim as default_optim
from genjax.train.method import AXIS, Method, global_draw, register

LOSSES = ("ns", "hinge", "wgan-gp")
ARCHS = ("mlp", "conv")
UPSAMPLINGS = ("subpixel", "resize")
STANDING_BATCH = 1024   # noise draws whose BatchNorm statistics the EMA generator samples with


@struct.dataclass
class State:
  step: jax.Array
  g_params: dict
  d_params: dict
  d_stats: dict        # spectral norm's power-iteration vectors ({} without it)
  g_opt: optax.OptState
  d_opt: optax.OptState
  g_ema: dict


def validate(config, info):
  m = config.model
  if m.arch not in ARCHS:
    raise ConfigError("model.arch", m.arch, "one of " + ", ".join(ARCHS))
  if m.arch == "conv" and (not info.is_image or info.shape[0] % 4 or info.shape[1] % 4):
    raise ConfigError("model.arch", m.arch, f"'mlp' for data of shape {info.shape}: the "
                      f"convolutional GAN needs images with height and width divisible by 4")
  if m.loss not in LOSSES:
    raise ConfigError("model.loss", m.loss, "one of " + ", ".join(LOSSES))
  optim.validate_widths("model.g_hidden", m.g_hidden, 2 if m.arch == "conv" else None)
  optim.validate_widths("model.d_hidden", m.d_hidden)
  optim.validate_widths("model.g_dense", m.g_dense)
  optim.validate_widths("model.d_dense", m.d_dense)
  if m.upsample not in UPSAMPLINGS:
    raise ConfigError("model.upsample", m.upsample, "one of " + ", ".join(UPSAMPLINGS))
  if not (isinstance(m.g_kernel, int) and m.g_kernel > 0):
    raise ConfigError("model.g_kernel", m.g_kernel, "a positive kernel size")
  optim.validate_positive_ints("model", m, ("latents", "d_steps", "r1_stride", "r1_every"))
  if m.r1_weight and config.batch_size % m.r1_stride:
    raise ConfigError("model.r1_stride", m.r1_stride, f"a divisor of batch_size={config.batch_size}")
  if not 0.0 <= m.ema_decay < 1.0:
    raise ConfigError("model.ema_decay", m.ema_decay, "a decay in [0, 1)")
  if isinstance(m.truncation, bool) or not (isinstance(m.truncation, (int, float)) and m.truncation >= 0):
    raise ConfigError("model.truncation", m.truncation, "0 (no truncation) or a positive bound on |z|")
  for field in ("gp_weight", "r1_weight"):
    if not (isinstance(m[field], (int, float)) and m[field] >= 0):
      raise ConfigError(f"model.{field}", m[field], "a non-negative weight")
  if m.conditional and info.num_classes < 2:
    raise ConfigError("model.conditional", m.conditional, f"False: {config.data.name} has no labels")
  if info.is_image and (config.data.scale != "[-1,1]" or config.data.binarize != "none"):
    raise ConfigError("data.scale", config.data.scale, "'[-1,1]' without binarisation: the generator ends in tanh")
  optim.validate(config.optim, "optim")
  optim.validate(config.d_optim, "d_optim")


def make_networks(config, info, axis_name=None):
  """(generator, discriminator) as the config describes them."""
  m = config.model
  classes = info.num_classes if m.conditional else 0
  if m.arch == "conv":
    gen = ConvGenerator(tuple(info.shape), tuple(m.g_hidden), classes, axis_name=axis_name,
                        kernel=m.g_kernel, upsample=m.upsample, dense=tuple(m.g_dense))
    disc = ConvDiscriminator(tuple(m.d_hidden), classes, m.spectral_norm, dense=tuple(m.d_dense))
  else:
    gen = MLPGenerator(math.prod(info.shape), tuple(m.g_hidden), tanh=info.is_image,
                       num_classes=classes)
    disc = MLPDiscriminator(tuple(m.d_hidden), classes, m.spectral_norm)
  return gen, disc


class Networks:
  """A GAN's networks as the losses use them: G in training mode, D as a critic, G's samples."""

  def __init__(self, config, info):
    m = self.model = config.model
    self.info, self.classes = info, (info.num_classes if m.conditional else 0)
    self.gen, self.disc = make_networks(config, info, axis_name=AXIS)   # inside the per-device step
    self.gen_host = make_networks(config, info)[0]                      # for sampling, outside it
    self.compute = precision.policy(config)     # the training step's; sampling runs in float32

  def generate(self, g_params, z, label):
    """Training mode: BatchNorm (conv) normalises with the global batch's statistics."""
    out, _ = self.compute.apply(self.gen, {"params": g_params}, z, label, train=True, mutable=["batch_stats"])
    return out.reshape((z.shape[0],) + tuple(self.info.shape))

  def critic(self, d_params, d_stats, label, policy=None):
    """x -> logits with the stored spectral-norm vectors, not updating them (in the training
    step's precision unless `policy` says otherwise)."""
    policy = policy or self.compute
    return lambda x: policy.apply(self.disc, {"params": d_params, **d_stats}, x, label)

  def noise(self, rng, n):
    return jax.random.normal(rng, (n, self.model.latents))

  def sampling_noise(self, rng, n):
    """The latents of samples: N(0, I), or with a `truncation` threshold t > 0 each coordinate
    drawn from N(0, 1) truncated to [-t, t] (the truncation trick, Brock et al. 2019), which
    trades recall for precision. Training always draws N(0, I)."""
    threshold = self.model.truncation
    if not threshold:
      return self.noise(rng, n)
    return jax.random.truncated_normal(rng, -threshold, threshold, (n, self.model.latents))

  def labels_of(self, batch):
    return batch["label"] if self.classes else None

  def d_loss(self, d_params, d_stats, g_params, real, label, rng, r1_now=True):
    r_z, r_gp = jax.random.split(rng)
    z = global_draw(self.noise, r_z, real.shape[0])
    fake = jax.lax.stop_gradient(self.generate(g_params, z, label))
    both = None if label is None else jnp.concatenate([label, label])
    logits, new_stats = self.compute.apply(self.disc, {"params": d_params, **d_stats}, jnp.concatenate([real, fake]),
                                           both, update_stats=True, mutable=["batch_stats"])
    loss = losses.discriminator_loss(self.model.loss, logits[:real.shape[0]], logits[real.shape[0]:])
    if self.model.loss == "wgan-gp":
      t = global_draw(jax.random.uniform, r_gp, real.shape[0])
      loss += self.model.gp_weight * losses.gradient_penalty(
          self.critic(d_params, new_stats, label), real, fake, t)
    if self.model.r1_weight:     # on every r1_stride-th real example: the same rows on any device count
      s = self.model.r1_stride
      if real.shape[0] % s:        # known when the step is traced, before anything is compiled
        raise ConfigError("model.r1_stride", s, f"a divisor of the {real.shape[0]} real examples "
                          f"each device's discriminator sees (a smaller stride or a larger batch)")
      critic = self.critic(d_params, new_stats, None if label is None else label[::s])
      every = self.model.r1_every     # lazy R1 (Karras et al. 2020): every k-th step, weight k gamma
      penalty = lambda: 0.5 * self.model.r1_weight * every * losses.r1_penalty(critic, real[::s])
      none = lambda: jnp.zeros((), jax.eval_shape(penalty).dtype)
      loss += penalty() if every == 1 else jax.lax.cond(r1_now, penalty, none)
    return loss, new_stats

  def g_loss(self, g_params, d_params, d_stats, label, rng, n):
    fake = self.generate(g_params, global_draw(self.noise, rng, n), label)
    return losses.generator_loss(self.model.loss, self.critic(d_params, d_stats, label)(fake))

  def sample(self, g_params, rng, labels):
    """One sample per label (ignored by an unconditional GAN). With BatchNorm, first its
    standing statistics: those of STANDING_BATCH noise draws from a fixed key, so that every
    chunk of samples is drawn by the same network."""
    variables = {"params": g_params}
    if self.model.arch == "conv":
      stand = self.noise(keys.stream(jax.random.PRNGKey(0), "standing_stats"), STANDING_BATCH)
      stand_labels = jnp.arange(STANDING_BATCH) % self.classes if self.classes else None
      _, stats = self.gen_host.clone(bn_momentum=0.0).apply(
          variables, stand, stand_labels, train=True, mutable=["batch_stats"])
      variables = {**variables, **stats}
    z = self.sampling_noise(rng, labels.shape[0])
    out = self.gen_host.apply(variables, z, labels if self.classes else None, train=False)
    return out.reshape((labels.shape[0],) + tuple(self.info.shape))


@dataclasses.dataclass(frozen=True)
class GAN:
  """The GAN's method and its two half-steps, named (tests and research code call them)."""
  method: Method
  d_update: Callable     # (state, real, rng, label=None) -> (state, d_loss)
  g_update: Callable     # (state, n, rng, label=None) -> (state, g_loss)


def build_parts(config, info) -> GAN:
  validate(config, info)
  m, nets = config.model, Networks(config, info)
  g_tx, d_tx = optim.make(config.optim, config.num_steps), optim.make(config.d_optim, config.num_steps)

  def d_update(state, real, rng, label=None):
    """One discriminator step: only d_params, d_stats and d_opt change."""
    (loss, d_stats), grads = jax.value_and_grad(nets.d_loss, has_aux=True)(
        state.d_params, state.d_stats, state.g_params, real, label, rng, state.step % m.r1_every == 0)
    d_params, d_opt = optim.apply_gradients(d_tx, state.d_params, state.d_opt, grads)
    return state.replace(d_params=d_params, d_opt=d_opt, d_stats=d_stats), loss

  def g_update(state, n, rng, label=None):
    """One generator step against the current discriminator: only g_params, g_opt, g_ema change.
    ema_decay 0 means no EMA: g_ema keeps its initial value and samples come from G (copying
    G into it every step cost a copy of every G leaf per step)."""
    loss, grads = jax.value_and_grad(nets.g_loss)(state.g_params, state.d_params, state.d_stats,
                                                  label, rng, n)
    g_params, g_opt = optim.apply_gradients(g_tx, state.g_params, state.g_opt, grads)
    g_ema = (optax.incremental_update(g_params, state.g_ema, 1.0 - m.ema_decay) if m.ema_decay
             else state.g_ema)
    return state.replace(g_params=g_params, g_opt=g_opt, g_ema=g_ema), loss

  def train_step(state, batch, rng):
    real, label = batch["x"], nets.labels_of(batch)
    for i in range(m.d_steps):   # unrolled: XLA's CPU convolutions run ~14x slower in a loop body
      state, d_loss = d_update(state, real, jax.random.fold_in(rng, i), label)
    state, g_loss = g_update(state, real.shape[0], jax.random.fold_in(rng, m.d_steps), label)
    return state.replace(step=state.step + 1), {"loss": d_loss, "g_loss": g_loss}

  def eval_step(state, batch, rng):
    """The discriminator's logit on held-out real data, and its sigmoid."""
    logits = nets.critic(state.d_params, state.d_stats, nets.labels_of(batch), precision.FLOAT32)(batch["x"])
    return {"d_real_logit": logits, "d_real_prob": jax.nn.sigmoid(logits)}

  def sample(state, rng, n, labels=None):
    """n samples of the EMA generator (G itself without an EMA), for the given classes
    (default 0, 1, ..., K-1, 0, ...)."""
    labels = jnp.arange(n) % max(nets.classes, 1) if labels is None else labels
    return nets.sample(state.g_ema if m.ema_decay else state.g_params, rng, labels)

  method = Method(init=functools.partial(init_state, nets, g_tx, d_tx), train_step=train_step,
                  eval_step=eval_step, sample=sample, sample_metrics=mode_coverage(config),
                  protocol=protocol(config), conditional=bool(nets.classes), mixed_precision=True)
  return GAN(method, d_update, g_update)


def init_state(nets: Networks, g_tx, d_tx, rng, batch) -> State:
  r_g, r_d = jax.random.split(rng)
  label = nets.labels_of(batch)
  label = None if label is None else label[:1]
  g_params = nets.gen_host.init(r_g, jnp.zeros((1, nets.model.latents)), label)["params"]
  d_vars = nets.disc.init(r_d, batch["x"][:1], label)
  d_params, d_stats = d_vars["params"], {k: v for k, v in d_vars.items() if k != "params"}
  return State(step=jnp.zeros((), jnp.int32), g_params=g_params, d_params=d_params,
               d_stats=d_stats, g_opt=g_tx.init(g_params), d_opt=d_tx.init(d_params),
               g_ema=g_params)


def mode_coverage(config):
  """The sample metric of the 2-D mixtures (modes covered, high-quality share), else None."""
  if config.data.name not in metrics.MIXTURES:
    return None
  modes, std = metrics.MIXTURES[config.data.name]
  return lambda samples: metrics.mode_coverage(np.asarray(samples), modes(), std)


def protocol(config):
  m = config.model
  return {"samples_from": (f"EMA of the generator (decay {m.ema_decay})" if m.ema_decay else
                           "the generator (no EMA)") +
                          (", BatchNorm with standing statistics of "
                           f"{STANDING_BATCH} noise draws" if m.arch == "conv" else ""),
          "latents_drawn_from": (f"N(0, I) truncated to [-{m.truncation}, {m.truncation}] per coordinate"
                                 if m.truncation else "N(0, I)"),
          "loss": m.loss, "r1_weight": m.r1_weight, **({"r1_stride": m.r1_stride, "r1_every": m.r1_every} if m.r1_weight else {}),
          "spectral_norm": bool(m.spectral_norm), "conditional": bool(m.conditional)}


def defaults(c):
  """The chapter's MLP GAN (W2); arch='conv' is DCGAN: g_hidden = (channels at H/4, channels at
  H/2), d_hidden = conv channels. `optim` trains G, `d_optim` D."""
  c.model.arch = "mlp"            # or 'conv' (DCGAN)
  c.model.conditional = False     # class-conditional: label embedding in G, projection D
  c.model.spectral_norm = False   # spectral normalisation of every layer of D
  c.model.latents = 100
  c.model.g_hidden = (256, 512, 1024)
  c.model.d_hidden = (1024, 512, 256)
  c.model.upsample = "subpixel"   # conv G's 2x upsampling: 'subpixel' or 'resize' (nearest + conv)
  c.model.g_kernel = 2            # conv G's upsampling kernel (k x k)
  c.model.g_dense = ()            # conv G: fully connected layers before the projection to H/4
  c.model.d_dense = ()            # conv D: fully connected layers between the convs and the logit
  c.model.loss = "ns"            # 'ns' (the seed's BCE), 'hinge' or 'wgan-gp'
  c.model.gp_weight = 10.0       # wgan-gp only
  c.model.r1_weight = 0.0        # gamma of the R1 penalty gamma/2 E||grad D(x)||^2 on real data (any loss)
  c.model.r1_every = 1           # lazy R1: on every r1_every-th step only, weighted r1_every gamma
  c.model.r1_stride = 1          # R1 on every r1_stride-th real example: an unbiased estimate at 1/r1_stride of its cost
  c.model.d_steps = 1            # discriminator updates per generator update
  c.model.ema_decay = 0.999      # samples come from the EMA of G
  c.model.truncation = 0.0       # samples' z: N(0, I) truncated to [-t, t] (0: untruncated)
  # Sample quality in a genjax classifier's feature space (classifier FID, precision/recall,
  # classifier score), run by experiments.evaluate; `classifier` is a classifier workdir.
  c.evals.quality = evaluator("sample_quality", every=-1, classifier="", num=10_000,
                              inception_weights="")
  c.d_optim = default_optim()


@register("gan", defaults=defaults)
def build(config, info) -> Method:
  return build_parts(config, info).method
