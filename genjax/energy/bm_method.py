"""The fully visible Boltzmann machine as a trainer method: exact maximum likelihood (the
model's moments by enumeration), CD-k or persistent CD; the test NLL is exact (log Z by
enumeration, once per evaluation).

As in the RBM's method, persistent chains are split over the devices and each device's Gibbs
noise is its rows of one draw for all chains (or the global batch), so 8 devices train
exactly as 1.
"""
import math

import jax
import jax.numpy as jnp
from flax import struct
from jax.sharding import PartitionSpec as P

from genjax.data import sources
from genjax.energy import boltzmann
from genjax.energy.method import validate_binary_data, validate_chain_split
from genjax.errors import ConfigError
from genjax.train import optim
from genjax.train.method import AXIS, Method, apply_gradients, global_uniform, pmean, register

GRADIENTS = ("exact", "cd", "pcd")


@struct.dataclass
class BMState:
  step: jax.Array
  params: dict
  opt_state: object
  chains: jax.Array          # (chains, n) persistent negative particles (PCD; unused otherwise)


def defaults(c):
  c.model.gradient = "exact"           # 'exact' (enumeration), 'cd' or 'pcd' (Gibbs negatives)
  c.model.cd_k = 1                     # Gibbs sweeps per negative sample (cd, pcd)
  c.model.chains = 100                 # pcd: persistent chains (a multiple of the devices)
  c.model.init_scale = 0.01
  c.model.sample_sweeps = 100          # Gibbs sweeps from noise for samples


def validate(config, info):
  m, n = config.model, math.prod(info.shape)
  validate_binary_data(config, info, "a Boltzmann machine")
  if n > boltzmann.MAX_UNITS:
    raise ConfigError("data.name", config.data.name, f"a data set of at most {boltzmann.MAX_UNITS} binary "
                      f"values per example (log Z enumerates 2^n states; this one has {n})")
  if m.gradient not in GRADIENTS:
    raise ConfigError("model.gradient", m.gradient, "one of " + ", ".join(GRADIENTS))
  optim.validate_positive_ints("model", m, ("cd_k", "chains", "sample_sweeps"))
  validate_chain_split(m.chains, m.gradient == "pcd")
  optim.validate(config.optim)


def protocol(config):
  m = config.model
  training = {"exact": "exact maximum likelihood (model moments by enumeration)",
              "cd": f"CD-{m.cd_k}", "pcd": f"PCD-{m.cd_k}"}[m.gradient]
  out = {"estimator": "exact NLL: log Z by enumeration of all 2^n states", "training": training,
         "units": "nats per example"}
  if config.data.name == "bars_and_stripes":
    out["data_entropy_nats"] = math.log(len(sources.bars_and_stripes_patterns()))
  return out


def negatives(params, x, rng, cd_k):
  """cd_k Gibbs sweeps from each row of x, with this device's rows of one global noise draw."""
  for s in range(cd_k):
    x = boltzmann.gibbs_sweep(params, x, jax.random.fold_in(rng, s), global_uniform)
  return x


@register("bm", defaults=defaults)
def build(config, info) -> Method:
  validate(config, info)
  m = config.model
  tx = optim.make(config.optim, config.num_steps)
  n = math.prod(info.shape)

  def init(rng, batch):
    k_params, k_chains = jax.random.split(rng)
    x = batch["x"].reshape(batch["x"].shape[0], -1)
    params = boltzmann.init(k_params, n, x.mean(0), m.init_scale)
    chains = (jax.random.uniform(k_chains, (m.chains, n)) < 0.5).astype(jnp.float32)
    return BMState(step=jnp.zeros((), jnp.int32), params=params, opt_state=tx.init(params), chains=chains)

  def train_step(state, batch, rng):
    x = batch["x"].reshape(batch["x"].shape[0], -1)
    data = pmean(boltzmann.moments(state.params, x))
    if m.gradient == "exact":
      negative, chains = boltzmann.model_moments(state.params), state.chains
    else:
      chains = negatives(state.params, state.chains if m.gradient == "pcd" else x, rng, m.cd_k)
      negative = pmean(boltzmann.moments(state.params, chains))
      chains = chains if m.gradient == "pcd" else state.chains
    grads = boltzmann.nll_gradients(data, negative)
    params, opt_state = apply_gradients(tx, state.params, state.opt_state, grads)
    new = state.replace(step=state.step + 1, params=params, opt_state=opt_state, chains=chains)
    return new, {"loss": -boltzmann.log_prob(state.params, x).mean()}

  def eval_step(state, batch, rng):
    x = batch["x"].reshape(batch["x"].shape[0], -1)
    nll = boltzmann.energy(state.params, x) + batch["estimates"]["log_z"]
    return {"nll_nats": nll, "bits_per_dim": nll / (n * math.log(2))}

  def sample(state, rng, count, labels=None):
    k_start, k_sweeps = jax.random.split(rng)
    x = (jax.random.uniform(k_start, (count, n)) < 0.5).astype(jnp.float32)
    sweep = lambda x, k: (boltzmann.gibbs_sweep(state.params, x, k), None)
    x, _ = jax.lax.scan(sweep, x, jax.random.split(k_sweeps, m.sample_sweeps))
    return x.reshape((count,) + tuple(info.shape))

  return Method(init=init, train_step=train_step, eval_step=eval_step, sample=sample,
                protocol=protocol(config), estimates=lambda state, rng: {"log_z": boltzmann.log_z(state.params)},
                state_specs=lambda s: jax.tree.map(lambda _: P(), s).replace(
                    chains=P(AXIS) if m.gradient == "pcd" else P()),
                resumable_fields=("model.sample_sweeps",))
