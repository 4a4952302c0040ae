"""The deep belief network as a staged trainer method: stage k trains the k-th RBM of
`model.hiddens` (CD / PCD, as the 'rbm' method) on samples of the hidden units of the k - 1
frozen RBMs below it (`genjax.train.stages`: a finished stage is never retrained).

Evaluation, with the top RBM's log Z by AIS once per evaluation: stage 1 (a single RBM)
reports the test NLL F(v) + log Z; a deeper stage reports `nll_bound_nats`, minus the
variational lower bound on log p(v) (Salakhutdinov & Murray 2008), an upper bound on the NLL
up to AIS's error. Samples run the top RBM's Gibbs chain, then the directed layers down.
"""
import math

import jax
import jax.numpy as jnp
from flax import struct
from jax.sharding import PartitionSpec as P

from genjax.energy import dbn, method as rbm_method, rbm
from genjax.errors import ConfigError
from genjax.train import optim
from genjax.train.method import AXIS, Method, global_uniform, register


@struct.dataclass
class DBNState:
  step: jax.Array
  params: dict               # the top RBM, trained in this stage
  opt_state: object
  chains: jax.Array          # (chains, inputs) the top RBM's persistent chains
  data_mean: jax.Array       # running mean of the top RBM's inputs (AIS's base rate)
  below: tuple               # the frozen RBMs' parameters, bottom first


def defaults(c):
  c.model.hiddens = (500, 2000)        # hidden units per layer, bottom first: one stage each
  rbm_method.chain_defaults(c)
  c.model.bound_samples = 10           # evaluation: draws of h ~ q(h|v) per example for the bound


def validate(config, info):
  m = config.model
  rbm_method.validate_binary_data(config, info, "a DBN")
  hiddens = tuple(m.hiddens)
  if not hiddens or not all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in hiddens):
    raise ConfigError("model.hiddens", m.hiddens, "a tuple of positive layer widths, bottom first")
  if config.stage < 1:
    raise ConfigError("stages", None, f"stage1 .. stage{len(hiddens)}: a DBN trains one layer of "
                      f"model.hiddens per stage")
  if config.stage > len(hiddens):
    raise ConfigError("model.hiddens", hiddens, f"at least {config.stage} layers, one per stage")
  optim.validate_positive_ints("model", m, ("bound_samples",))
  rbm_method.validate_chains(config)


def protocol(config):
  m, out = config.model, rbm_method.protocol(config)
  if config.stage > 1:
    out["estimator"] = (f"nll_bound_nats = minus the variational lower bound on log p(v) of a "
                        f"{config.stage}-layer DBN (Salakhutdinov & Murray 2008), {m.bound_samples} draws "
                        "of h ~ q(h|v) per example, entropies in closed form, the top RBM's log Z by "
                        + out["estimator"].split("log Z by ", 1)[1])
  out["layers"] = tuple(m.hiddens[:config.stage])
  return out


def top_inputs(below, batch, rng, uniform):
  """The top RBM's inputs: the batch's pixels drawn up through the frozen layers `below`."""
  v = batch["x"].reshape(batch["x"].shape[0], -1)
  return dbn.up(below, v, rng, uniform)[-1] if below else v


@register("dbn", defaults=defaults)
def build(config, info) -> Method:
  validate(config, info)
  m, stage = config.model, config.stage
  tx = optim.make(config.optim, config.num_steps)
  visible = math.prod(info.shape)
  inputs = visible if stage == 1 else m.hiddens[stage - 2]

  def init(rng, batch, previous=None):
    k_params, k_chains, k_up = jax.random.split(rng, 3)
    below = () if previous is None else tuple(previous.below) + (previous.params,)
    if below and below[-1]["c"].shape[0] != inputs:
      raise ConfigError(f"stages.stage{stage}.model.hiddens", tuple(m.hiddens), f"layer {stage - 1} of "
                        f"{below[-1]['c'].shape[0]} units, as stage {stage - 1} trained it")
    x = top_inputs(below, batch, k_up, jax.random.uniform)
    params = rbm.init(k_params, inputs, m.hiddens[stage - 1], x.mean(0), m.init_scale)
    chains = rbm.bernoulli(k_chains, jnp.broadcast_to(x.mean(0), (m.chains, inputs)))
    return DBNState(step=jnp.zeros((), jnp.int32), params=params, opt_state=tx.init(params),
                    chains=chains, data_mean=jnp.zeros(inputs), below=below)

  def train_step(state, batch, rng):
    k_up, k_step = jax.random.split(rng)
    return rbm_method.update(state, top_inputs(state.below, batch, k_up, global_uniform), k_step, m, tx)

  def eval_step(state, batch, rng):
    v, log_z = batch["x"].reshape(batch["x"].shape[0], -1), batch["estimates"]["log_z"]
    if not state.below:
      nll = rbm.free_energy(state.params, v) + log_z
      return {"nll_nats": nll, "bits_per_dim": nll / (visible * math.log(2))}
    bound = dbn.lower_bound(state.below, state.params, log_z, v, rng, m.bound_samples, global_uniform)
    return {"nll_bound_nats": -bound, "bits_per_dim_bound": -bound / (visible * math.log(2))}

  def sample(state, rng, n, labels=None):
    """The top RBM's Gibbs chain from noise, then p(v | h_1) down the directed layers."""
    k_start, k_sweeps, k_last, k_top, k_down = jax.random.split(rng, 5)
    x = rbm.bernoulli(k_start, jnp.full((n, inputs), 0.5))
    sweep = lambda x, k: (rbm.gibbs_step(state.params, x, k)[0], None)
    x, _ = jax.lax.scan(sweep, x, jax.random.split(k_sweeps, m.sample_sweeps - 1))
    h = rbm.bernoulli(k_last, rbm.hidden_given_visible(state.params, x))
    p_top = rbm.visible_given_hidden(state.params, h)
    v = dbn.down(state.below, rbm.bernoulli(k_top, p_top), k_down) if state.below else p_top
    return v.reshape((n,) + tuple(info.shape))

  def pictures(state, x, rng):
    bottom = state.below[0] if state.below else state.params
    return {"filters": rbm_method.filter_tiles(bottom["W"], info.shape)}

  return Method(init=init, train_step=train_step, eval_step=eval_step, sample=sample, pictures=pictures,
                protocol=protocol(config), estimates=lambda state, rng: rbm_method.ais_estimates(state, rng, m),
                state_specs=lambda s: jax.tree.map(lambda _: P(), s).replace(
                    chains=P(AXIS) if m.persistent else P()),
                resumable_fields=("model.ais_runs", "model.ais_betas", "model.sample_sweeps",
                                  "model.bound_samples"))
