"""Normalizing flows as a trainer method: an exact density by the change of variables.

Images are dequantised, x = (levels + u) / L in [0, 1]: uniformly (u ~ U[0, 1)^D, drawn by
the data pipeline), or variationally (u ~ q(u | levels), a flow of its own trained with the
model; dequantization.py). The flow starts with the logit transform
y = logit(alpha + (1 - 2 alpha) x), its log-determinant counted, so log p(x) is a density on
[0, 1]^D, and with nll_nats = -(log p(x) - log q(u | levels)) (log q = 0 when uniform) the
discrete data's bits/dim bound is
  bits_per_dim = (nll_nats + D log L) / (D ln 2).
2-D data is modelled as it is; where its density is known in closed form the evaluation
also reports kl_nats = log p_data(x) - log p_model(x) per test point, whose mean estimates
KL(data || model).
"""
import math

import jax
import jax.numpy as jnp

from genjax.data import toy2d
from genjax.errors import ConfigError
from genjax.flows import bijectors as bj
from genjax.flows import dequantization, flows, splines
from genjax.train import optim
from genjax.train.method import Method, NetworkState, global_normal, register

ARCHS = ("nice", "realnvp", "glow", "spline", "maf", "iaf")
DEQUANTIZATIONS = ("uniform", "variational")
MULTI_SCALE = ("realnvp", "glow", "spline")


def defaults(c):
  c.model.arch = "realnvp"
  c.model.width = 64           # conditioner filters (images) or hidden units (vectors, MADE)
  c.model.depth = 1            # conditioner: extra hidden layers (conv: 1x1 layers); MAF/IAF's MADE has one
  c.model.levels = 2           # multi-scale levels (realnvp, glow, spline on images)
  c.model.steps = 4            # per level: steps (glow, spline) / couplings (realnvp); nice: couplings; maf, iaf: MADE layers
  c.model.bins = 8             # spline: bins of each rational-quadratic spline
  c.model.bound = 3.0          # spline: the interval [-bound, bound] it acts on (identity outside)
  c.model.logit_alpha = 1e-6   # images: the logit transform's margin
  c.model.temperature = 1.0    # sampling: z ~ N(0, T^2 I)
  c.model.dequantization = "uniform"   # images: 'uniform' (data.dequantize=True) or 'variational' (Flow++)
  c.model.dequantizer_width = 32       # variational: q(u | x)'s conditioner filters
  c.model.dequantizer_steps = 4        # variational: q(u | x)'s checkerboard couplings


def validate(config, info):
  m, d = config.model, config.data
  if m.arch not in ARCHS:
    raise ConfigError("model.arch", m.arch, "one of " + ", ".join(ARCHS))
  optim.validate_positive_ints("model", m, ("width", "depth", "levels", "steps", "bins",
                                            "dequantizer_width", "dequantizer_steps"))
  if m.dequantization not in DEQUANTIZATIONS:
    raise ConfigError("model.dequantization", m.dequantization, "one of " + ", ".join(DEQUANTIZATIONS))
  if m.bins >= 1 / splines.MIN_BIN:
    raise ConfigError("model.bins", m.bins, f"fewer than {int(1 / splines.MIN_BIN)} (each bin keeps {splines.MIN_BIN} of the range)")
  for field in ("bound", "temperature"):
    if isinstance(m[field], bool) or not 0 < m[field] < math.inf:
      raise ConfigError(f"model.{field}", m[field], "a positive number")
  if info.is_image:
    validate_images(config, info)
  elif info.num_levels or len(info.shape) != 1:
    raise ConfigError("data.name", d.name, "images or vectors (e.g. toy2d/...)")
  else:
    if m.arch == "glow":
      raise ConfigError("model.arch", m.arch, "nice, realnvp, spline, maf or iaf for vector data")
    if d.dequantize:
      raise ConfigError("data.dequantize", True, f"False: {d.name} is continuous")
    if m.dequantization != "uniform":
      raise ConfigError("model.dequantization", m.dequantization, f"'uniform' (unused): {d.name} is continuous")
  optim.validate(config.optim)


def validate_images(config, info):
  m, d = config.model, config.data
  uniform = m.dequantization == "uniform"
  for field, value, expected in (("binarize", d.binarize, "none"), ("scale", d.scale, "[0,1]")):
    if value != expected:
      raise ConfigError(f"data.{field}", value, f"'{expected}': a flow is a density on dequantised [0, 1] images")
  if d.dequantize != uniform:
    raise ConfigError("data.dequantize", d.dequantize, f"{uniform} with model.dequantization='{m.dequantization}' "
                      f"({'the data pipeline draws the noise' if uniform else 'the model draws the noise itself'})")
  if not 0 < m.logit_alpha < 0.5:
    raise ConfigError("model.logit_alpha", m.logit_alpha, "in (0, 0.5)")
  if m.arch == "iaf":
    raise ConfigError("model.arch", m.arch, "maf for images: IAF's density (training) direction "
                      f"takes {math.prod(info.shape)} sequential passes per layer")
  squeezes = m.levels - 1 if m.arch == "realnvp" else m.levels   # RealNVP's last level does not squeeze
  if m.arch in MULTI_SCALE and any(s % 2 ** squeezes for s in info.shape[:2]):
    raise ConfigError("model.levels", m.levels, f"at most {'1 + ' if m.arch == 'realnvp' else ''}the number "
                      f"of times {info.shape[:2]} halves evenly")


def layers(config, info):
  m, shape = config.model, tuple(info.shape)
  image = len(shape) == 3
  if m.arch == "nice":
    stack = flows.nice(shape, m.width, m.depth, m.steps)
  elif m.arch in ("maf", "iaf"):
    stack = flows.maf(shape, m.width, m.steps, reverse=m.arch == "iaf")
  elif m.arch == "spline" and not image:
    stack = flows.vector_splines(m.width, m.depth, m.steps, m.bins, m.bound)
  elif m.arch == "realnvp":
    stack = flows.realnvp(shape, m.width, m.depth, m.levels, m.steps)
  else:
    stack = flows.glow(shape, m.width, m.depth, m.levels, m.steps,
                       coupling="spline" if m.arch == "spline" else "affine", bins=m.bins, bound=m.bound)
  if image:
    stack = [bj.Logit(m.logit_alpha)] + stack
  return stack


def protocol(config, info):
  m = config.model
  out = {"estimator": "exact log-likelihood by the change of variables onto N(0, I)",
         "architecture": m.arch, "units": "nats per example"}
  if info.is_image:
    if m.dequantization == "variational":
      noise = (f"variational dequantisation (Flow++): (x + u) / {info.num_levels}, u ~ q(u | x), a flow of "
               f"{m.dequantizer_steps} checkerboard couplings conditioned on x, trained with the model")
    else:
      noise = f"uniform dequantisation (x + u) / {info.num_levels}, u ~ U[0, 1)"
    out["dequantization"] = m.dequantization   # the data pipeline's 'none' when the model draws u
    out["preprocessing"] = (f"{noise}, one draw of u per image; then logit(alpha + (1 - 2 alpha) x) "
                            f"with alpha = {m.logit_alpha}, log-det counted")
    out["units"] = ("nats per image, -(log p(x) - log q(u | x)) with log q = 0 when uniform; "
                    "bits_per_dim = (nats + D ln L) / (D ln 2), a bound on the discrete image's code length")
  return {**out, **toy2d.kl_protocol(config.data.name)}


@register("flow", defaults=defaults)
def build(config, info) -> Method:
  validate(config, info)
  m = config.model
  flow = flows.Chain(layers(config, info))
  tx = optim.make(config.optim, config.num_steps)
  dims = math.prod(info.shape)
  dequant_nats = dims * math.log(info.num_levels) if info.num_levels else 0.0
  kind = toy2d.density_kind(config.data.name)
  data_log_density = toy2d.LOG_DENSITIES[kind] if kind is not None else None
  variational = info.is_image and m.dequantization == "variational"
  dequantizer = dequantization.Dequantizer(m.dequantizer_width, m.dequantizer_steps)

  def flow_params(params):      # variational: {'flow': ..., 'dequantizer': ...}
    return params["flow"] if variational else params

  def log_density(state, x):
    return flows.log_prob(flow, flow_params(state.params), x)

  def init(rng, batch):
    if not variational:
      params = flow.init(rng, batch["x"])["params"]     # actnorm initialises from this batch
    else:
      r_deq, r_eps, r_flow = jax.random.split(rng, 3)
      eps = jax.random.normal(r_eps, batch["x"].shape)
      params = {"dequantizer": dequantizer.init(r_deq, batch["x"], eps)["params"]}
      x, _ = dequantization.dequantize(dequantizer, params["dequantizer"], batch, eps, info.num_levels)
      params["flow"] = flow.init(r_flow, x)["params"]
    return NetworkState(step=jnp.zeros((), jnp.int32), params=params, opt_state=tx.init(params))

  def per_example(params, batch, rng):
    x, log_q = batch["x"], 0.0
    if variational:
      x, log_q = dequantization.dequantize(dequantizer, params["dequantizer"], batch,
                                           global_normal(rng, batch["x"].shape), info.num_levels)
    nll = log_q - flows.log_prob(flow, flow_params(params), x)
    out = {"nll_nats": nll}
    if info.is_image:
      out["bits_per_dim"] = (nll + dequant_nats) / (dims * math.log(2))
    if data_log_density is not None:
      out["kl_nats"] = data_log_density(x) + nll
    return out

  def train_step(state, batch, rng):
    def loss_fn(params):
      metrics = {k: v.mean() for k, v in per_example(params, batch, rng).items()}
      return metrics["nll_nats"], dict(metrics, loss=metrics["nll_nats"])

    grads, metrics = jax.grad(loss_fn, has_aux=True)(state.params)
    return state.apply_gradients(tx, grads), metrics

  def eval_step(state, batch, rng):
    return per_example(state.params, batch, rng)

  def sample(state, rng, n, labels=None):
    x = flows.sample(flow, flow_params(state.params), rng, n, dims, m.temperature)
    return jnp.clip(x, 0.0, 1.0) if info.is_image else x

  return Method(init=init, train_step=train_step, eval_step=eval_step, sample=sample,
                protocol=protocol(config, info), log_density=log_density,
                resumable_fields=("model.temperature",))
