"""Autoregressive models as a trainer method: p(x) = prod_i p(x_i | x_<i), an exact likelihood.

Training minimises the exact negative log-likelihood in nats per image. Evaluation reports
it per test image (`nll_nats`) and in bits per dimension. MADE with several mask sets
trains on one mask set drawn per step and is evaluated as the ensemble
log (1/M) sum_m p_m(x) (Germain et al. 2015).
"""
import math

import jax
import jax.numpy as jnp

from genjax.autoregressive import dense, heads, sampling
from genjax.autoregressive.modules import GatedPixelCNN, PixelCNN, PixelRNN
from genjax.errors import ConfigError
from genjax.train import optim, precision
from genjax.train.method import Method, NetworkState, register

ARCHS = ("nade", "made", "pixelcnn", "gated_pixelcnn", "pixelrnn_row", "pixelrnn_diagonal")


def num_levels(config, info):
  binary = info.binarization == "static" or config.data.binarize != "none"
  return 2 if binary else info.num_levels


def validate(config, info):
  m = config.model
  if m.arch not in ARCHS:
    raise ConfigError("model.arch", m.arch, "one of " + ", ".join(ARCHS))
  if m.head not in heads.HEADS:
    raise ConfigError("model.head", m.head, "one of " + ", ".join(heads.HEADS))
  if not info.is_image or not info.num_levels:
    raise ConfigError("data.name", config.data.name, "an image data set (integer levels)")
  if config.data.dequantize:
    raise ConfigError("data.dequantize", True, "False: an autoregressive model's likelihood is discrete")
  levels, channels = num_levels(config, info), info.shape[-1]
  if (m.head == "bernoulli") != (levels == 2):
    raise ConfigError("model.head", m.head, "'bernoulli' for binary data and only for it "
                      "('categorical' or 'logistic_mixture' for grey levels)")
  if m.head == "categorical" and channels != 1:
    raise ConfigError("model.head", m.head, "'logistic_mixture' for colour images")
  if m.arch in ("nade", "made") and channels != 1:
    raise ConfigError("model.arch", m.arch, "a convolutional or recurrent model for colour images")
  optim.validate_positive_ints("model", m, ("width", "depth", "bottleneck", "out_hidden", "components", "num_masks"))
  for field in ("kernel", "first_kernel"):
    if not (isinstance(m[field], int) and not isinstance(m[field], bool) and m[field] > 1 and m[field] % 2):
      raise ConfigError(f"model.{field}", m[field], "an odd kernel size >= 3")
  if m.arch != "made" and (m.num_masks != 1 or m.order_agnostic):
    raise ConfigError("model.num_masks", m.num_masks, "1 and order_agnostic=False except for MADE")
  if m.conditional and (m.arch != "gated_pixelcnn" or not info.num_classes):
    raise ConfigError("model.conditional", True, "False, or arch='gated_pixelcnn' on a labelled data set")
  optim.validate(config.optim)


def network(config, info, head):
  m, p = config.model, head.num_params
  if m.arch == "nade":
    return dense.NADE(p, m.width)
  if m.arch == "made":
    return dense.MADE(p, (m.width,) * m.depth, m.direct)
  if m.arch == "pixelcnn":
    return PixelCNN(p, m.width, m.bottleneck, m.depth, m.first_kernel, m.kernel, m.out_hidden)
  if m.arch == "gated_pixelcnn":
    return GatedPixelCNN(p, m.width, m.depth, m.kernel, m.first_kernel, m.out_hidden,
                         info.num_classes if m.conditional else 0)
  return PixelRNN(p, "row" if m.arch == "pixelrnn_row" else "diagonal", m.width, m.depth, m.out_hidden,
                  m.first_kernel, m.kernel)


def defaults(c):
  """W4's PixelCNN with a Bernoulli head; every architecture reads the same few fields."""
  c.model.arch = "pixelcnn"
  c.model.head = "bernoulli"       # 'categorical' (256-way softmax) or 'logistic_mixture' (PixelCNN++)
  c.model.components = 10          # logistic mixture components
  c.model.width = 64               # filters (PixelCNNs), LSTM features (PixelRNN), hidden units (NADE, MADE)
  c.model.depth = 7                # residual blocks / gated layers / LSTM layers / MADE hidden layers
  c.model.bottleneck = 32          # PixelCNN only: its residual block's 1x1 down to this width
  c.model.out_hidden = 64          # the 1x1 layer before the outputs (not NADE, MADE)
  c.model.kernel = 3               # PixelCNNs' later layers, the Row LSTM's input-to-state width
  c.model.first_kernel = 7         # the first, type-A layer (PixelCNNs, PixelRNNs)
  c.model.num_masks = 1            # MADE: mask sets (one drawn per step; the ensemble at evaluation)
  c.model.order_agnostic = False   # MADE: each mask set has its own random ordering
  c.model.mask_seed = 0
  c.model.direct = True            # MADE: masked input-to-output weights as well
  c.model.conditional = False      # Gated PixelCNN: class-conditional
  c.model.fast_sampling = True     # the cached sampler where the architecture has one


class Model:
  """The network and its head over integer levels: log_prob(params, levels, labels, mask_set)."""

  def __init__(self, config, info):
    m = config.model
    self.config, self.shape = config, tuple(info.shape)
    self.head = heads.make(m.head, info.shape[-1], num_levels(config, info), m.components)
    self.net = network(config, info, self.head)
    self.d = math.prod(info.shape[:2])

  def mask_degrees(self, k):
    """MADE's k-th mask set as (ranks, hidden degrees): a pure function of (mask_seed, k)."""
    m = self.config.model
    key = jax.random.fold_in(jax.random.PRNGKey(m.mask_seed), k)
    return dense.mask_set(key, self.d, (m.width,) * m.depth, m.order_agnostic)

  def mask_set(self, k):
    return dense.masks(*self.mask_degrees(k))

  def apply(self, params, x, labels=None, k=0, policy=precision.FLOAT32):
    if self.config.model.arch == "made":
      return policy.apply(self.net, {"params": params}, x, self.mask_set(k))
    return policy.apply(self.net, {"params": params}, x, labels)

  def log_prob(self, params, levels, labels=None, k=0, policy=precision.FLOAT32):
    """log p(x) in nats per image, (B,)."""
    x = heads.to_input(levels, self.head.num_levels)
    out = self.apply(params, x, labels, k, policy)
    b = out.shape[0]
    return self.head.log_prob(out.reshape(b, self.d, -1), levels.reshape(b, self.d, -1))

  def ensemble_log_prob(self, params, levels, labels=None):
    """MADE: log of the mean probability over all mask sets; otherwise log_prob."""
    masks = self.config.model.num_masks
    if self.config.model.arch != "made" or masks == 1:
      return self.log_prob(params, levels, labels)
    per_mask = jax.lax.map(lambda k: self.log_prob(params, levels, labels, k), jnp.arange(masks))
    return jax.nn.logsumexp(per_mask, 0) - math.log(masks)


# The cached samplers, by arch: (params, net, head, shape, rng, n, labels) -> levels.
FAST = {
    "pixelcnn": lambda p, net, head, shape, rng, n, labels:
        sampling.fast_pixelcnn_sample(p, net, head, shape, rng, n),
    "gated_pixelcnn": sampling.fast_gated_sample,
    "pixelrnn_row": lambda p, net, head, shape, rng, n, labels:
        sampling.fast_row_lstm_sample(p, net, head, shape, rng, n),
    "pixelrnn_diagonal": lambda p, net, head, shape, rng, n, labels:
        sampling.fast_diagonal_sample(p, net, head, shape, rng, n),
    "nade": lambda p, net, head, shape, rng, n, labels: sampling.nade_sample(p, head, shape, rng, n),
}
FAST_SAMPLERS = tuple(FAST)


def sampler(model: Model, fast: bool):
  """sample_levels(params, rng, n, labels) -> (n, H, W, C) int32, in the model's order."""
  arch, net, head, shape = model.config.model.arch, model.net, model.head, model.shape
  if fast and arch in FAST:
    return lambda params, rng, n, labels: FAST[arch](params, net, head, shape, rng, n, labels)
  if arch == "made":
    return lambda params, rng, n, labels: made_sample(model, params, rng, n)
  return lambda params, rng, n, labels: sampling.naive_sample(
      lambda x: model.apply(params, x, labels), head, shape, rng, n)


def made_sample(model: Model, params, rng, n):
  """Draws from the ensemble: each image picks a mask set uniformly, then its pixels in that
  set's order."""
  m = model.config.model
  pick_key, rng = jax.random.split(rng)
  picks = jax.random.randint(pick_key, (n,), 0, m.num_masks)

  def one(k, key):
    ranks, degrees = model.mask_degrees(k)
    apply = lambda x: model.net.apply({"params": params}, x, dense.masks(ranks, degrees))
    return sampling.naive_sample(apply, model.head, model.shape, key, 1, order=jnp.argsort(ranks))[0]

  return jax.vmap(one)(picks, jax.random.split(rng, n))


def protocol(config):
  m = config.model
  estimator = "exact log-likelihood: sum over pixels of log p(x_i | x_<i)"
  if m.arch == "made" and m.num_masks > 1:
    estimator += f"; MADE ensemble of {m.num_masks} mask sets, log mean_m p_m(x)"
  return {"estimator": estimator, "architecture": m.arch,
          "likelihood": {"bernoulli": "Bernoulli", "categorical": "256-way softmax",
                         "logistic_mixture": f"discretised logistic mixture, {m.components} components"}[m.head],
          "units": "nats per image; bits_per_dim = nats / (H W C ln 2)"}


@register("autoregressive", defaults=defaults)
def build(config, info) -> Method:
  validate(config, info)
  m = config.model
  model = Model(config, info)
  tx = optim.make(config.optim, config.num_steps)
  dims = math.prod(info.shape)
  draw = sampler(model, m.fast_sampling)
  compute = precision.policy(config)       # the training step's; eval and sampling run in float32
  to_model_space = heads.to_input if config.data.scale == "[0,1]" else heads.to_unit

  def init(rng, batch):
    x = heads.to_input(batch["levels"][:1], model.head.num_levels)
    if m.arch == "made":
      params = model.net.init(rng, x, model.mask_set(0))["params"]
    else:
      params = model.net.init(rng, x, batch.get("label", jnp.zeros((x.shape[0],), jnp.int32))[:1])["params"]
    return NetworkState(step=jnp.zeros((), jnp.int32), params=params, opt_state=tx.init(params))

  def train_step(state, batch, rng):
    k = jax.random.randint(rng, (), 0, m.num_masks)     # the same mask set on every device

    def loss_fn(params):
      nll = -model.log_prob(params, batch["levels"], batch.get("label"), k, compute).mean()
      return nll, {"loss": nll, "bits_per_dim": nll / (dims * math.log(2))}

    grads, metrics = jax.grad(loss_fn, has_aux=True)(state.params)
    return state.apply_gradients(tx, grads), metrics

  def eval_step(state, batch, rng):
    log_px = model.ensemble_log_prob(state.params, batch["levels"], batch.get("label"))
    return {"nll_nats": -log_px, "bits_per_dim": -log_px / (dims * math.log(2))}

  def sample(state, rng, n, labels=None):
    if m.conditional and labels is None:
      labels = jnp.arange(n, dtype=jnp.int32) % info.num_classes
    return to_model_space(draw(state.params, rng, n, labels), model.head.num_levels)

  return Method(init=init, train_step=train_step, eval_step=eval_step, sample=sample,
                protocol=protocol(config), conditional=bool(m.conditional), mixed_precision=True)
