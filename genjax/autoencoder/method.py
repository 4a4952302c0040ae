"""The autoencoder as a trainer method.

Loss: the reconstruction error summed over pixels, averaged over the batch —
binary cross-entropy on logits (the Keras seed's sigmoid + BCE, fused) or squared error.
An autoencoder has no prior over codes; to *sample*, the state tracks a full-covariance
Gaussian fitted to the codes of the training data (running moments) and decodes draws from
it (through the code's ReLU for the MLP, whose codes are non-negative).
"""
import jax
import jax.numpy as jnp
import optax
from flax import struct

from genjax.autoencoder.modules import ConvAutoencoder, MLPAutoencoder
from genjax.distributions import bernoulli_log_prob
from genjax.errors import ConfigError
from genjax.train import optim, precision
from genjax.train.method import AXIS, Method, pmean, register

ARCHS = {"mlp": MLPAutoencoder, "conv": ConvAutoencoder}
LOSSES = ("bce", "mse")
CODE_MOMENTUM = 0.99


@struct.dataclass
class State:
  step: jax.Array
  params: dict
  opt_state: optax.OptState
  code_mean: jax.Array   # running mean of the training codes, (latents,)
  code_cov: jax.Array    # running covariance of the training codes, (latents, latents)


def reconstruction_loss(logits, x, kind):
  """Per-example reconstruction error, summed over all pixels: (B,). Works on flat views."""
  logits, x = logits.reshape(logits.shape[0], -1), x.reshape(x.shape[0], -1)
  if kind == "bce":
    err = -bernoulli_log_prob(logits, x)
  else:
    err = jnp.square(jax.nn.sigmoid(logits) - x)
  return err.sum(-1)


def validate(config, info):
  m = config.model
  if m.arch not in ARCHS:
    raise ConfigError("model.arch", m.arch, "one of " + ", ".join(ARCHS))
  if m.loss not in LOSSES:
    raise ConfigError("model.loss", m.loss, "one of " + ", ".join(LOSSES))
  if not (isinstance(m.latents, int) and m.latents > 0):
    raise ConfigError("model.latents", m.latents, "a positive integer")
  optim.validate_widths("model.hidden", m.hidden)
  if not info.is_image:
    raise ConfigError("data.name", config.data.name, "an image data set for the autoencoder")
  if m.arch == "conv" and len(m.hidden) not in (0, 2):
    raise ConfigError("model.hidden", m.hidden, "two conv widths (or () for (32, 64)) with arch='conv'")
  if m.arch == "conv" and (info.shape[0] % 4 or info.shape[1] % 4):
    raise ConfigError("model.arch", m.arch, f"'mlp' for {info.shape[:2]} images (conv needs sides divisible by 4)")
  if config.data.scale != "[0,1]":
    raise ConfigError("data.scale", config.data.scale, "'[0,1]': the decoder's sigmoid outputs [0, 1]")
  optim.validate(config.optim)


def make_network(config, info):
  m = config.model
  if m.arch == "mlp":
    return MLPAutoencoder(latents=m.latents, hidden=tuple(m.hidden), data_shape=info.shape)
  return ConvAutoencoder(latents=m.latents, features=tuple(m.hidden) or (32, 64), data_shape=info.shape)


def defaults(c):
  """The chapter's Keras model: 784 -> 32 (relu) -> 784 (sigmoid), binary cross-entropy."""
  c.model.arch = "mlp"
  c.model.latents = 32
  c.model.hidden = ()          # mlp: hidden widths around the code; conv: the two conv widths
  c.model.loss = "bce"         # binary cross-entropy on [0,1] targets (the seed's), or 'mse'


@register("autoencoder", defaults=defaults)
def build(config, info) -> Method:
  validate(config, info)
  net = make_network(config, info)
  tx = optim.make(config.optim, config.num_steps)
  compute = precision.policy(config)       # the training step's; eval runs in float32
  kind = config.model.loss

  def init(rng, batch):
    params = net.init(rng, batch["x"][:1])["params"]
    zeros = jnp.zeros((config.model.latents,), jnp.float32)
    return State(step=jnp.zeros((), jnp.int32), params=params, opt_state=tx.init(params),
                 code_mean=zeros, code_cov=jnp.eye(config.model.latents))

  def loss_fn(params, x):
    z = compute.apply(net, {"params": params}, x, method=net.encode)
    logits = compute.apply(net, {"params": params}, z, method=net.decode)
    return reconstruction_loss(logits, x, kind).mean(), z

  def train_step(state, batch, rng):
    (loss, z), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params, batch["x"])
    params, opt_state = optim.apply_gradients(tx, state.params, state.opt_state, grads)
    mean = pmean(z.mean(0))
    cov = pmean((z - mean).T @ (z - mean) / z.shape[0])
    code_mean = CODE_MOMENTUM * state.code_mean + (1 - CODE_MOMENTUM) * mean
    code_cov = CODE_MOMENTUM * state.code_cov + (1 - CODE_MOMENTUM) * cov
    new = state.replace(step=state.step + 1, params=params, opt_state=opt_state,
                        code_mean=code_mean, code_cov=code_cov)
    return new, {"loss": loss}

  def eval_step(state, batch, rng):
    x = batch["x"]
    logits = net.apply({"params": state.params}, x)
    return {"loss": reconstruction_loss(logits, x, kind),
            "mse": reconstruction_loss(logits, x, "mse")}

  def sample(state, rng, n, labels=None):
    k = config.model.latents
    scale = jnp.linalg.cholesky(state.code_cov + 1e-5 * jnp.eye(k))
    z = state.code_mean + jax.random.normal(rng, (n, k)) @ scale.T
    if config.model.arch == "mlp":
      z = jax.nn.relu(z)
    logits = net.apply({"params": state.params}, z, method=net.decode)
    return jax.nn.sigmoid(logits).reshape((n,) + info.shape)

  def pictures(state, x, rng):
    """Rows of 8 eval images, each followed by its reconstruction."""
    x_hat = jax.nn.sigmoid(net.apply({"params": state.params}, x)).reshape(x.shape)
    pairs = jnp.stack([x, x_hat], 1).reshape((-1, 16) + x.shape[1:])
    return {"reconstructions": pairs}

  return Method(init=init, train_step=train_step, eval_step=eval_step, sample=sample,
                pictures=pictures, mixed_precision=True)
