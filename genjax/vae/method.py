"""The VAE as a trainer method: ELBO (analytic or Monte-Carlo KL), beta-VAE, or IWAE-k.

Evaluation (per test example, nats): the negative ELBO, the IWAE-`eval_k` estimate of
-log p(x) (computed `eval_chunk` samples at a time), bits/dim from it, and the negative
ELBO in bits: the rate a bits-back coder would reach with this model.
"""
import functools
import math

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtri

from genjax.distributions import bernoulli_log_prob, discretized_logistic_log_prob
from genjax.errors import ConfigError
from genjax.train import optim, precision
from genjax.train.method import Method, NetworkState, global_normal, register
from genjax.vae import objectives
from genjax.vae.modules import ConvDecoder, ConvEncoder, MLPDecoder, MLPEncoder

LIKELIHOODS = {"bernoulli": 1, "logistic": 2}   # parameters per data dimension
OBJECTIVES = ("elbo", "iwae")


State = NetworkState


def validate(config, info):
  m = config.model
  if m.arch not in ("mlp", "conv"):
    raise ConfigError("model.arch", m.arch, "one of mlp, conv")
  if m.likelihood not in LIKELIHOODS:
    raise ConfigError("model.likelihood", m.likelihood, "one of " + ", ".join(LIKELIHOODS))
  if m.objective not in OBJECTIVES:
    raise ConfigError("model.objective", m.objective, "one of " + ", ".join(OBJECTIVES))
  if m.kl not in ("analytic", "mc"):
    raise ConfigError("model.kl", m.kl, "one of analytic, mc")
  for field in ("latents", "k", "eval_k", "eval_chunk"):
    if not (isinstance(m[field], int) and m[field] > 0):
      raise ConfigError(f"model.{field}", m[field], "a positive integer")
  if not (isinstance(m.eval_elbo_draws, int) and m.eval_elbo_draws > 0):
    raise ConfigError("model.eval_elbo_draws", m.eval_elbo_draws, "a positive number of draws")
  if m.eval_k % m.eval_chunk and m.eval_k > m.eval_chunk:
    raise ConfigError("model.eval_chunk", m.eval_chunk, f"a divisor of model.eval_k={m.eval_k}")
  if not m.beta > 0:
    raise ConfigError("model.beta", m.beta, "a positive KL weight")
  if m.objective == "iwae" and m.beta != 1.0:
    raise ConfigError("model.beta", m.beta, "1.0 with objective='iwae' (beta weights the ELBO's KL)")
  if not info.is_image:
    raise ConfigError("data.name", config.data.name, "an image data set for the VAE")
  binary = info.binarization == "static" or config.data.binarize != "none"
  if m.likelihood == "bernoulli" and not binary:
    raise ConfigError("model.likelihood", m.likelihood,
                      "'logistic' for grey-level data, or binary data (data.binarize='dynamic')")
  if m.likelihood == "logistic" and (binary or config.data.dequantize or config.data.scale != "[0,1]"):
    raise ConfigError("model.likelihood", m.likelihood,
                      "'bernoulli' for binary data (the logistic needs integer levels, scale [0,1])")
  optim.validate_widths("model.hidden", m.hidden, 2 if m.arch == "conv" else None)
  if m.arch == "conv" and (info.shape[0] % 4 or info.shape[1] % 4):
    raise ConfigError("model.arch", m.arch, f"'mlp' for {info.shape[:2]} images (sides divisible by 4)")
  optim.validate(config.optim)


def networks(config, info):
  m, d = config.model, math.prod(info.shape)
  p = LIKELIHOODS[m.likelihood]
  if m.arch == "mlp":
    return MLPEncoder(m.latents, tuple(m.hidden)), MLPDecoder(d * p, tuple(m.hidden))
  return ConvEncoder(m.latents, tuple(m.hidden)), ConvDecoder(tuple(info.shape), p, tuple(m.hidden))


def make_likelihood(config, info):
  """(log_prob(decoder_out, x) -> (B,), mean(decoder_out) -> x-shaped image in [0, 1])."""
  d = math.prod(info.shape)
  if config.model.likelihood == "bernoulli":
    def log_prob(out, x):
      return bernoulli_log_prob(out, x.reshape(x.shape[0], -1)).sum(-1)
    mean = jax.nn.sigmoid
  else:
    levels = info.num_levels

    def log_prob(out, x):
      out = out.reshape(x.shape[0], d, 2)
      x = 2.0 * x.reshape(x.shape[0], -1) - 1.0   # levels k/(L-1) in [0,1] -> bin centres in [-1,1]
      log_scale = jnp.maximum(out[..., 1], -7.0)
      return discretized_logistic_log_prob(x, out[..., 0], log_scale, levels).sum(-1)

    def mean(out):
      return jnp.clip((out.reshape(out.shape[0], d, 2)[..., 0] + 1.0) / 2.0, 0.0, 1.0)
  return log_prob, mean


def defaults(c):
  """W3's MLP (784-512-256 -> 32 latents -> 256-512-784), Bernoulli likelihood, the ELBO."""
  c.model.arch = "mlp"
  c.model.latents = 32
  c.model.hidden = (512, 256)    # mlp: encoder widths (decoder mirrors); conv: the two conv widths
  c.model.likelihood = "bernoulli"   # or 'logistic' (discretised, for grey levels)
  c.model.objective = "elbo"     # or 'iwae' (trains the IWAE-k bound)
  c.model.k = 1                  # importance samples for objective='iwae'
  c.model.beta = 1.0             # KL weight (beta-VAE); 1.0 is the ELBO
  c.model.kl = "analytic"        # or 'mc' (single-sample estimate)
  c.model.eval_k = 100           # IWAE samples in training-time evals; experiments.evaluate uses --k=5000
  c.model.eval_chunk = 100       # samples per chunk: memory is O(eval_chunk * eval_batch_size)
  c.model.eval_elbo_draws = 10   # the evaluated ELBO is the average of this many draws


@register("vae", defaults=defaults)
def build(config, info) -> Method:
  validate(config, info)
  m = config.model
  encoder, decoder = networks(config, info)
  log_prob, decoder_mean = make_likelihood(config, info)
  tx = optim.make(config.optim, config.num_steps)
  d = math.prod(info.shape)

  compute = precision.policy(config)      # the training step's; eval runs in float32

  def model(params, policy=precision.FLOAT32):
    return objectives.Model(
        encode=lambda x: policy.apply(encoder, {"params": params["encoder"]}, x),
        log_likelihood=lambda z, x: log_prob(policy.apply(decoder, {"params": params["decoder"]}, z), x))

  def init(rng, batch):
    r_enc, r_dec = jax.random.split(rng)
    params = {"encoder": encoder.init(r_enc, batch["x"][:1])["params"],
              "decoder": decoder.init(r_dec, jnp.zeros((1, m.latents)))["params"]}
    return State(step=jnp.zeros((), jnp.int32), params=params, opt_state=tx.init(params))

  def loss_fn(params, x, rng):
    # eps for the global batch, this device's rows: 8 devices train as 1 does
    eps = global_normal(rng, (x.shape[0], m.k, m.latents))
    if m.objective == "iwae":
      bound = objectives.iwae(model(params, compute), x, rng, m.k, eps=eps.transpose(1, 0, 2))
      return -bound.mean(), {"loss": -bound.mean()}
    bound, _, kl = objectives.elbo(model(params, compute), x, rng, m.beta, m.kl, eps=eps[:, 0])
    # log p(x|z)'s mean from the bound's and the KL's (bound = log p(x|z) - beta kl): a third
    # output reduced from the (B, D) likelihood terms kept XLA's CPU backend from fusing them
    # into their sum (~6 % of W3's step)
    loss, kl = -bound.mean(), kl.mean()
    return loss, {"loss": loss, "log_px_z": m.beta * kl - loss, "kl": kl}

  def train_step(state, batch, rng):
    grads, metrics = jax.grad(loss_fn, has_aux=True)(state.params, batch["x"], rng)
    return state.apply_gradients(tx, grads), metrics

  def eval_step(state, batch, rng):
    x, mdl = batch["x"], model(state.params)
    r_elbo, r_iwae = jax.random.split(rng)
    draws = jax.vmap(lambda key: objectives.elbo(mdl, x, key, eps=global_normal(key, (x.shape[0], m.latents))))(
        jax.random.split(r_elbo, m.eval_elbo_draws))
    bound, log_px_z, kl = (v.mean(0) for v in draws)    # the ELBO averaged over its draws
    chunk = min(m.eval_chunk, m.eval_k)
    log_px = objectives.iwae_chunked(mdl, x, r_iwae, m.eval_k, chunk, global_normal)
    return {"neg_elbo_nats": -bound, "nll_nats": -log_px, "kl_nats": kl,
            "neg_log_px_z_nats": -log_px_z, "bits_per_dim": -log_px / (d * math.log(2)),
            "neg_elbo_bits": -bound / math.log(2)}

  def decode_mean(params, z):
    out = decoder.apply({"params": params["decoder"]}, z)
    return decoder_mean(out).reshape((z.shape[0],) + tuple(info.shape))

  def sample(state, rng, n, labels=None):
    """Decoder means at z ~ p(z) (the usual picture; pixel noise would only add grain)."""
    return decode_mean(state.params, jax.random.normal(rng, (n, m.latents)))

  def pictures(state, x, rng):
    mean, _ = encoder.apply({"params": state.params["encoder"]}, x)
    return latent_pictures(functools.partial(decode_mean, state.params), x, mean)

  return Method(init=init, train_step=train_step, eval_step=eval_step, sample=sample,
                pictures=pictures, protocol=protocol(config),
                resumable_fields=("model.eval_k", "model.eval_chunk", "model.eval_elbo_draws"),
                mixed_precision=True)


def latent_pictures(decode, x, mean):
  """Reconstructions (rows of 8 image, reconstruction pairs), interpolations in 10 steps
  between pairs of codes, and for 2 latents the decoded manifold at the prior's quantiles."""
  n, latents = x.shape[0] - x.shape[0] % 2, mean.shape[-1]
  pics = {"reconstructions": _pairs(x, decode(mean))}
  t = jnp.linspace(0.0, 1.0, 10)[None, :, None]
  path = (1 - t) * mean[0:n:2, None] + t * mean[1:n:2, None]        # (n/2, 10, latents)
  pics["interpolations"] = decode(path.reshape(-1, latents)).reshape((n // 2, 10) + x.shape[1:])
  if latents == 2:
    q = ndtri(jnp.linspace(0.05, 0.95, 20))
    grid = jnp.stack(jnp.meshgrid(q, q[::-1], indexing="xy"), -1).reshape(-1, 2)
    pics["manifold"] = decode(grid).reshape((20, 20) + x.shape[1:])
  return pics


def _pairs(x, x_hat):
  """Rows of 8 (image, reconstruction) pairs: (rows, 16, H, W, C)."""
  both = jnp.stack([x, x_hat], 1).reshape((-1,) + x.shape[1:])
  return both.reshape((-1, 16) + x.shape[1:])


def protocol(config):
  """What the likelihood numbers are, for every report."""
  m = config.model
  return {"estimator": f"IWAE-{m.eval_k} importance-sampled log p(x), q(z|x) as proposal "
                       f"(Burda et al. 2016), {min(m.eval_chunk, m.eval_k)} samples per chunk",
          "k": m.eval_k, "elbo": f"reparameterised ELBO with analytic KL, averaged over "
                                 f"{m.eval_elbo_draws} draws per example",
          "units": "nats per example; bits_per_dim = nats / (D ln 2)",
          "likelihood": {"bernoulli": "Bernoulli", "logistic": "discretised logistic"}[m.likelihood]}
