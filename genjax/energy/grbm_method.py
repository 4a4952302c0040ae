"""The Gaussian-Bernoulli RBM as a trainer method, for real-valued data: CD-k or persistent CD
(all parameters, the visible scales included, by the gradient of the CD surrogate) and the
exact test NLL, log Z by enumerating at most 20 hidden units (once per evaluation). On the
2-D sets with a closed-form density it also reports kl_nats, as the flows do.
"""
import math

import jax
import jax.numpy as jnp
from flax import struct
from jax.sharding import PartitionSpec as P

from genjax.data import toy2d
from genjax.energy import gaussian_rbm as grbm
from genjax.energy.method import validate_chain_split
from genjax.errors import ConfigError
from genjax.train import optim
from genjax.train.method import AXIS, Method, apply_gradients, global_normal, global_uniform, register

MAX_HIDDEN = 20
MAX_ENUMERATION = 2 ** 26      # floats of the (2^hidden, visible) array the exact log Z builds


@struct.dataclass
class GRBMState:
  step: jax.Array
  params: dict
  opt_state: object
  chains: jax.Array          # (chains, V) persistent negative particles (PCD)


def defaults(c):
  c.model.hidden = 12
  c.model.cd_k = 1
  c.model.persistent = True
  c.model.chains = 100
  c.model.init_scale = 0.1
  c.model.sample_sweeps = 1_000


def validate(config, info):
  m = config.model
  if info.num_levels and not config.data.dequantize:
    raise ConfigError("data.dequantize", False, "True: a Gaussian-Bernoulli RBM is a density on real values")
  optim.validate_positive_ints("model", m, ("hidden", "cd_k", "chains", "sample_sweeps"))
  if m.hidden > MAX_HIDDEN or 2 ** m.hidden * math.prod(info.shape) > MAX_ENUMERATION:
    raise ConfigError("model.hidden", m.hidden, f"at most {MAX_HIDDEN}, with 2^hidden x {math.prod(info.shape)} "
                      f"visible values at most 2^26 (log Z enumerates the hidden states every step)")
  validate_chain_split(m.chains, m.persistent)
  optim.validate(config.optim)


def protocol(config):
  m = config.model
  return {"estimator": f"exact NLL: log Z by enumerating the {m.hidden} hidden units",
          "training": ("PCD" if m.persistent else "CD") + f"-{m.cd_k}", "units": "nats per example",
          **toy2d.kl_protocol(config.data.name)}


@register("grbm", defaults=defaults)
def build(config, info) -> Method:
  validate(config, info)
  m = config.model
  tx = optim.make(config.optim, config.num_steps)
  visible = math.prod(info.shape)
  kind = toy2d.density_kind(config.data.name)

  def init(rng, batch):
    k_params, k_chains = jax.random.split(rng)
    x = batch["x"].reshape(batch["x"].shape[0], -1)
    params = grbm.init(k_params, visible, m.hidden, x.mean(0), x.std(0) + 1e-3, m.init_scale)
    chains = x.mean(0) + x.std(0) * jax.random.normal(k_chains, (m.chains, visible))
    return GRBMState(step=jnp.zeros((), jnp.int32), params=params, opt_state=tx.init(params), chains=chains)

  def train_step(state, batch, rng):
    x = batch["x"].reshape(batch["x"].shape[0], -1)
    v = state.chains if m.persistent else x
    for s in range(m.cd_k):
      v = grbm.gibbs_step(state.params, v, jax.random.fold_in(rng, s), global_normal, global_uniform)
    grads = jax.grad(grbm.cd_loss)(state.params, x, v)
    params, opt_state = apply_gradients(tx, state.params, state.opt_state, grads)
    new = state.replace(step=state.step + 1, params=params, opt_state=opt_state,
                        chains=v if m.persistent else state.chains)
    return new, {"loss": -grbm.log_prob(state.params, x).mean()}

  def eval_step(state, batch, rng):
    x = batch["x"].reshape(batch["x"].shape[0], -1)
    nll = grbm.free_energy(state.params, x) + batch["estimates"]["log_z"]
    out = {"nll_nats": nll}
    if kind is not None:
      out["kl_nats"] = toy2d.LOG_DENSITIES[kind](x) + nll
    return out

  def sample(state, rng, n, labels=None):
    k_start, k_sweeps = jax.random.split(rng)
    v = state.params["b"] + jnp.exp(state.params["log_s"]) * jax.random.normal(k_start, (n, visible))
    sweep = lambda v, k: (grbm.gibbs_step(state.params, v, k), None)
    v, _ = jax.lax.scan(sweep, v, jax.random.split(k_sweeps, m.sample_sweeps))
    return v.reshape((n,) + tuple(info.shape))

  return Method(init=init, train_step=train_step, eval_step=eval_step, sample=sample,
                protocol=protocol(config), estimates=lambda state, rng: {"log_z": grbm.log_z(state.params)},
                log_density=lambda state, x: grbm.log_prob(state.params, x.reshape(x.shape[0], -1)),
                state_specs=lambda s: jax.tree.map(lambda _: P(), s).replace(chains=P(AXIS) if m.persistent else P()),
                resumable_fields=("model.sample_sweeps",))
