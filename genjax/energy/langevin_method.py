"""The Langevin-trained energy-based model (Du & Mordatch 2019) as a trainer method: the
replay buffer lives in the state, split over devices by lanes (one lane per row of the
global batch); every random choice is this device's rows of one global draw, so 8 devices
train exactly as 1.

There is no likelihood: evaluation reports the mean energy of the evaluation images, and the
`sample_quality` evaluator scores samples (classifier FID, precision / recall) as for GANs.
Samples are buffer entries refined by `model.sample_steps` more Langevin steps, as Du &
Mordatch show theirs: distinct within one call of `sample` (`sample_chunk` samples, at most
the buffer's size), each call a fresh draw (ebm_mnist draws its 10 000 evaluation samples in
one call). `sample_init='noise'` starts from uniform noise instead.
"""
import functools
import math

import jax
import jax.numpy as jnp
from flax import struct
from jax.sharding import PartitionSpec as P

from genjax.energy import langevin
from genjax.errors import ConfigError
from genjax.train import optim
from genjax.train.defaults import evaluator
from genjax.train.method import AXIS, Method, apply_gradients, global_draw, global_normal, global_uniform, register

SAMPLE_INITS = ("buffer", "noise")


@struct.dataclass
class EBMState:
  step: jax.Array
  params: dict
  opt_state: object
  buffer: jax.Array          # (lanes = global batch, slots, H, W, C): earlier negatives


def defaults(c):
  c.model.widths = (32, 64, 64)       # channels of the stride-2 convolutions
  c.model.buffer_size = 10_240        # replay buffer images (a multiple of batch_size)
  c.model.reinit = 0.05               # probability a negative restarts from uniform noise
  c.model.langevin_steps = 20         # Langevin steps per negative
  c.model.step_size = 10.0            # Langevin: x -= step_size * dE/dx ... (Du & Mordatch's)
  c.model.noise = 0.005               # ... + noise * N(0, 1)
  c.model.alpha = 1.0                 # weight of the energy-magnitude regulariser
  c.model.sample_init = "buffer"      # samples start from distinct buffer entries, or 'noise'
  c.model.sample_steps = 20           # Langevin steps from there
  c.evals.quality = evaluator("sample_quality", every=-1, classifier="", num=10_000, inception_weights="")


def validate(config, info):
  m = config.model
  if not info.is_image:
    raise ConfigError("data.name", config.data.name, "an image data set (the energy network is convolutional)")
  if config.data.scale != "[0,1]" or config.data.binarize != "none":
    raise ConfigError("data.scale", config.data.scale, "'[0,1]' with binarize='none': Langevin dynamics "
                      "moves continuous pixels in [0, 1]")
  optim.validate_positive_ints("model", m, ("buffer_size", "langevin_steps", "sample_steps"))
  if not m.widths:
    raise ConfigError("model.widths", m.widths, "a tuple of positive channel counts")
  optim.validate_widths("model.widths", m.widths)
  if m.buffer_size % config.batch_size:
    raise ConfigError("model.buffer_size", m.buffer_size, f"a multiple of batch_size={config.batch_size} "
                      "(one buffer lane per row of the batch)")
  number = lambda x: isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
  if not (number(m.reinit) and 0.0 <= m.reinit <= 1.0):
    raise ConfigError("model.reinit", m.reinit, "a probability in [0, 1]")
  for field in ("step_size", "noise", "alpha"):
    if not (number(m[field]) and m[field] >= 0):
      raise ConfigError(f"model.{field}", m[field], "a finite non-negative number")
  if m.sample_init not in SAMPLE_INITS:
    raise ConfigError("model.sample_init", m.sample_init, "one of " + ", ".join(SAMPLE_INITS))
  if m.sample_init == "buffer" and config.sample_chunk > m.buffer_size:
    raise ConfigError("sample_chunk", config.sample_chunk, f"at most model.buffer_size={m.buffer_size}: one "
                      "call's samples are distinct buffer entries")
  optim.validate(config.optim)


def protocol(config):
  m = config.model
  start = ("distinct replay-buffer entries" if m.sample_init == "buffer" else "uniform noise")
  return {"estimator": "none (no likelihood): energy = mean E(x) of the evaluation images",
          "training": (f"contrastive divergence with {m.langevin_steps} Langevin steps (step {m.step_size}, "
                       f"noise {m.noise}) from a replay buffer of {m.buffer_size} ({m.reinit:g} restart "
                       f"from noise), energy regulariser {m.alpha}"),
          "samples": f"{start}, then {m.sample_steps} Langevin steps", "units": "energy (arbitrary)"}


@register("ebm", defaults=defaults)
def build(config, info) -> Method:
  validate(config, info)
  m = config.model
  tx = optim.make(config.optim, config.num_steps)
  net = langevin.EnergyNet(tuple(m.widths))
  shape = tuple(info.shape)
  run_langevin = functools.partial(langevin.langevin, step_size=m.step_size, noise=m.noise)

  def init(rng, batch):
    k_params, k_buffer = jax.random.split(rng)
    params = net.init(k_params, batch["x"][:1])
    lanes = config.batch_size
    buffer = jax.random.uniform(k_buffer, (lanes, m.buffer_size // lanes) + shape)
    return EBMState(step=jnp.zeros((), jnp.int32), params=params, opt_state=tx.init(params), buffer=buffer)

  def train_step(state, batch, rng):
    x = batch["x"]
    k_slot, k_reinit, k_fresh, k_run = jax.random.split(rng, 4)
    slots = global_draw(lambda k, n: jax.random.randint(k, (n,), 0, state.buffer.shape[1]), k_slot, x.shape[0])
    reinit = global_uniform(k_reinit, (x.shape[0],)) < m.reinit
    start = langevin.buffer_read(state.buffer, slots, global_uniform(k_fresh, x.shape), reinit)
    energy = lambda x: net.apply(state.params, x)
    negatives = jax.lax.stop_gradient(run_langevin(energy, start, k_run, m.langevin_steps, normal=global_normal))

    def loss_fn(params):
      e = net.apply(params, jnp.concatenate([x, negatives]))
      e_data, e_model = e[:x.shape[0]], e[x.shape[0]:]
      return langevin.contrastive_loss(e_data, e_model, m.alpha), (e_data.mean(), e_model.mean())

    (loss, (e_data, e_model)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    params, opt_state = apply_gradients(tx, state.params, state.opt_state, grads)
    new = state.replace(step=state.step + 1, params=params, opt_state=opt_state,
                        buffer=langevin.buffer_write(state.buffer, slots, negatives))
    return new, {"loss": loss, "energy_data": e_data, "energy_negatives": e_model}

  def eval_step(state, batch, rng):
    return {"energy": net.apply(state.params, batch["x"])}

  def sample(state, rng, n, labels=None):
    k_start, k_run = jax.random.split(rng)
    if m.sample_init == "buffer":
      stored = state.buffer.reshape((-1,) + shape)
      x = stored[jnp.resize(jax.random.permutation(k_start, stored.shape[0]), (n,))]
    else:
      x = jax.random.uniform(k_start, (n,) + shape)
    return run_langevin(lambda x: net.apply(state.params, x), x, k_run, m.sample_steps)

  def pictures(state, x, rng):
    """The first 8 slots of the first 8 lanes of the replay buffer."""
    return {"buffer": state.buffer[:8, :8]}

  return Method(init=init, train_step=train_step, eval_step=eval_step, sample=sample, pictures=pictures,
                protocol=protocol(config),
                state_specs=lambda s: jax.tree.map(lambda _: P(), s).replace(buffer=P(AXIS)),
                resumable_fields=("model.sample_init", "model.sample_steps"))
