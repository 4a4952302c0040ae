"""The Bernoulli-Bernoulli RBM as a trainer method: CD-k or persistent CD, and the test NLL
F(v) + log Z with log Z from annealed importance sampling (once per evaluation).

Persistent chains live in the state, split over the devices (`state_specs`); each device's
noise is its rows of one draw for all chains (or the global batch), so 8 devices train
exactly as 1. The
base-rate model of AIS is the running mean of the training data's pixels, kept in the state.
"""
import math

import jax
import jax.numpy as jnp
import optax
from flax import struct
from jax.sharding import PartitionSpec as P

from genjax.energy import rbm
from genjax.errors import ConfigError
from genjax.train import optim
from genjax.train.method import AXIS, Method, global_uniform, pmean, register


@struct.dataclass
class RBMState:
  step: jax.Array
  params: dict
  opt_state: object
  chains: jax.Array          # (chains, V) persistent negative particles (PCD)
  data_mean: jax.Array       # (V,) running mean of the training pixels seen


def defaults(c):
  c.model.hidden = 500
  chain_defaults(c)


def chain_defaults(c):
  """The training and evaluation settings of an RBM (shared with each layer of a DBN)."""
  c.model.cd_k = 1                     # Gibbs sweeps per negative sample
  c.model.persistent = True            # PCD: negatives continue the chains in the state
  c.model.chains = 100                 # PCD: persistent chains (a multiple of the devices)
  c.model.mean_field_visible = False   # the negative's last half-step keeps p(v|h) (W5, Hinton's CD-1)
  c.model.init_scale = 0.01
  c.model.ais_runs = 100               # evaluation: AIS chains
  c.model.ais_betas = 14_500           # evaluation: AIS temperatures (Salakhutdinov & Murray)
  c.model.sample_sweeps = 1_000        # Gibbs sweeps from noise for samples


def validate_binary_data(config, info, model: str):
  """Binary visible units need binary data in {0, 1}."""
  if not (info.binarization == "static" or config.data.binarize != "none"):
    raise ConfigError("data.binarize", config.data.binarize, f"'dynamic' or 'threshold' ({model} "
                      "needs binary data), or a statically binarized data set")
  if config.data.scale != "[0,1]":
    raise ConfigError("data.scale", config.data.scale, "'[0,1]': visible units are 0/1")


def validate(config, info):
  m = config.model
  validate_binary_data(config, info, "a Bernoulli RBM")
  optim.validate_positive_ints("model", m, ("hidden",))
  validate_chains(config)


def validate_chains(config):
  m = config.model
  optim.validate_positive_ints("model", m, ("cd_k", "chains", "ais_runs", "ais_betas", "sample_sweeps"))
  if m.persistent and m.mean_field_visible:
    raise ConfigError("model.mean_field_visible", True, "False with persistent=True: chains hold samples")
  validate_chain_split(m.chains, m.persistent)
  optim.validate(config.optim)


def validate_chain_split(chains: int, split: bool):
  """Persistent chains split over the devices need a multiple of the devices."""
  if split and chains % jax.device_count():
    raise ConfigError("model.chains", chains, f"a multiple of the {jax.device_count()} devices")


def negatives(params, v, rng, m):
  """k Gibbs sweeps from each row of v. The noise is this device's rows of one draw for the
  whole global batch (or all chains), so 8 devices draw what 1 does."""
  for s in range(m.cd_k):
    last_mean_field = m.mean_field_visible and s == m.cd_k - 1
    v, _ = rbm.gibbs_step(params, v, jax.random.fold_in(rng, s), mean_field_visible=last_mean_field,
                          uniform=global_uniform)
  return v


def update(state, v, rng, m, tx):
  """One CD / PCD step of the RBM in `state` (fields step, params, opt_state, chains,
  data_mean) on this device's rows v of the global batch. Returns (state, metrics)."""
  start = state.chains if m.persistent else v
  v_model = negatives(state.params, start, rng, m)
  grads = rbm.cd_gradients(state.params, v, jax.lax.stop_gradient(v_model))
  # one all-reduce for the gradients and the batch's pixel means together
  grads, batch_mean = pmean((grads, v.mean(0)))
  updates, opt_state = tx.update(grads, state.opt_state, state.params)
  params = optax.apply_updates(state.params, updates)
  data_mean = state.data_mean + (batch_mean - state.data_mean) / (state.step + 1)
  new = state.replace(step=state.step + 1, params=params, opt_state=opt_state, data_mean=data_mean,
                      chains=v_model if m.persistent else state.chains)
  # W5's monitor: the squared distance of the negatives to the data (for CD-1 with
  # mean-field visibles, the reconstruction error)
  return new, {"loss": ((v - v_model) ** 2).sum(-1).mean()}


def ais_estimates(state, rng, m):
  """Once per evaluation: log Z of the RBM in `state` by AIS from the base-rate model of its
  inputs' running mean, and its standard error."""
  log_z, se = rbm.ais_log_z(state.params, rbm.base_rate_bias(state.data_mean), rng,
                            rbm.ais_betas(m.ais_betas), m.ais_runs)
  return {"log_z": log_z, "log_z_se": se}


def filter_tiles(w, shape, count=64):
  """The first (up to) `count` hidden units' weights w[:, j] as images, each scaled to [0, 1],
  on a square grid: (side, side, *shape)."""
  k = min(w.shape[1], count)
  side = math.ceil(math.sqrt(k))
  w = w[:, :k].T
  lo, hi = w.min(1, keepdims=True), w.max(1, keepdims=True)
  tiles = jnp.concatenate([(w - lo) / (hi - lo + 1e-8), jnp.ones((side * side - k, w.shape[1]))])
  return tiles.reshape((side, side) + tuple(shape))


def protocol(config):
  m = config.model
  return {"estimator": (f"test NLL = F(v) + log Z; log Z by annealed importance sampling (Salakhutdinov & "
                        f"Murray 2008): {m.ais_runs} runs, {m.ais_betas} temperatures (500 on [0, 0.5], "
                        "4 000 on [0.5, 0.9], 10 000 on [0.9, 1] at 14 500), one Gibbs sweep each, from the "
                        "base-rate RBM of the training pixels' means; log_z_se by the delta method"),
          "training": ("PCD" if m.persistent else "CD") + f"-{m.cd_k}", "units": "nats per image"}


@register("rbm", defaults=defaults)
def build(config, info) -> Method:
  validate(config, info)
  m = config.model
  tx = optim.make(config.optim, config.num_steps)
  visible = math.prod(info.shape)

  def init(rng, batch):
    k_params, k_chains = jax.random.split(rng)
    v = batch["x"].reshape(batch["x"].shape[0], -1)
    params = rbm.init(k_params, visible, m.hidden, v.mean(0), m.init_scale)
    chains = rbm.bernoulli(k_chains, jnp.broadcast_to(v.mean(0), (m.chains, visible)))
    return RBMState(step=jnp.zeros((), jnp.int32), params=params, opt_state=tx.init(params),
                    chains=chains, data_mean=jnp.zeros(visible))

  def train_step(state, batch, rng):
    return update(state, batch["x"].reshape(batch["x"].shape[0], -1), rng, m, tx)

  def eval_step(state, batch, rng):
    v = batch["x"].reshape(batch["x"].shape[0], -1)
    nll = rbm.free_energy(state.params, v) + batch["estimates"]["log_z"]
    return {"nll_nats": nll, "bits_per_dim": nll / (visible * math.log(2))}

  def sample(state, rng, n, labels=None):
    """Gibbs chains from uniform noise; the last half-step's p(v|h) is the picture."""
    k_start, k_sweeps, k_last = jax.random.split(rng, 3)
    v = rbm.bernoulli(k_start, jnp.full((n, visible), 0.5))
    step = lambda v, k: (rbm.gibbs_step(state.params, v, k)[0], None)
    v, _ = jax.lax.scan(step, v, jax.random.split(k_sweeps, m.sample_sweeps - 1))
    h = rbm.bernoulli(k_last, rbm.hidden_given_visible(state.params, v))
    return rbm.visible_given_hidden(state.params, h).reshape((n,) + tuple(info.shape))

  def pictures(state, x, rng):
    return {"filters": filter_tiles(state.params["W"], info.shape)}

  return Method(init=init, train_step=train_step, eval_step=eval_step, sample=sample, pictures=pictures,
                protocol=protocol(config), estimates=lambda state, rng: ais_estimates(state, rng, m),
                state_specs=lambda s: jax.tree.map(lambda _: P(), s).replace(
                    chains=P(AXIS) if m.persistent else P()),
                resumable_fields=("model.ais_runs", "model.ais_betas", "model.sample_sweeps"))
