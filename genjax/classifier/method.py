"""A classifier as a trainer method: softmax cross-entropy with dropout; evaluation reports
top-1 accuracy and the cross-entropy in nats. It has no `sample`: it is a feature network."""
import jax
import jax.numpy as jnp
import optax

from genjax.classifier.modules import ConvClassifier, MLPClassifier
from genjax.errors import ConfigError
from genjax.train import optim, precision
from genjax.train.method import Method, NetworkState, device_rng, register

ARCHS = ("conv", "mlp")


State = NetworkState


def validate(config, info):
  m = config.model
  if info.num_classes < 2:
    raise ConfigError("data.name", config.data.name, "a labelled data set for the classifier")
  if m.arch not in ARCHS:
    raise ConfigError("model.arch", m.arch, "one of " + ", ".join(ARCHS))
  optim.validate_widths("model.widths", m.widths)
  if not (isinstance(m.feature_dim, int) and m.feature_dim > 0):
    raise ConfigError("model.feature_dim", m.feature_dim, "a positive integer")
  if not 0.0 <= m.dropout < 1.0:
    raise ConfigError("model.dropout", m.dropout, "a rate in [0, 1)")
  if m.arch == "conv" and (not info.is_image or any(s % 2 ** len(m.widths) for s in info.shape[:2])):
    raise ConfigError("model.arch", m.arch, f"'mlp' for data of shape {info.shape}: each conv "
                      f"width halves height and width")
  optim.validate(config.optim)


def make_network(config, info):
  m = config.model
  if m.arch == "conv":
    return ConvClassifier(info.num_classes, tuple(m.widths), m.feature_dim, m.dropout)
  return MLPClassifier(info.num_classes, tuple(m.widths) + (m.feature_dim,), m.dropout)


def defaults(c):
  """A small CNN whose 128-d penultimate layer is the feature space of the sample-quality metrics."""
  c.model.arch = "conv"
  c.model.widths = (32, 64)      # conv: channels per 3x3 conv + 2x2 max-pool; mlp: hidden widths
  c.model.feature_dim = 128
  c.model.dropout = 0.5


@register("classifier", defaults=defaults)
def build(config, info) -> Method:
  validate(config, info)
  net = make_network(config, info)
  tx = optim.make(config.optim, config.num_steps)
  compute = precision.policy(config)       # the training step's; eval runs in float32

  def init(rng, batch):
    params = net.init(rng, batch["x"][:1])["params"]
    return State(step=jnp.zeros((), jnp.int32), params=params, opt_state=tx.init(params))

  def loss_fn(params, batch, rng):
    logits = compute.apply(net, {"params": params}, batch["x"], train=True, rngs={"dropout": rng})
    return optax.softmax_cross_entropy_with_integer_labels(logits, batch["label"]).mean()

  def train_step(state, batch, rng):
    loss, grads = jax.value_and_grad(loss_fn)(state.params, batch, device_rng(rng))
    return state.apply_gradients(tx, grads), {"loss": loss}

  def eval_step(state, batch, rng):
    logits = net.apply({"params": state.params}, batch["x"])
    return {"accuracy": (jnp.argmax(logits, -1) == batch["label"]).astype(jnp.float32),
            "nll": optax.softmax_cross_entropy_with_integer_labels(logits, batch["label"])}

  return Method(init=init, train_step=train_step, eval_step=eval_step,
                protocol={"accuracy": "top-1 on the eval split", "nll": "nats per example"},
                mixed_precision=True)
