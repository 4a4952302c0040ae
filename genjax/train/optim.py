"""Optimisers from config, shared by every family."""
import optax

from genjax.train import method

apply_gradients = method.apply_gradients   # the one optimiser update every family shares

from genjax.errors import ConfigError

OPTIMIZERS = ("adam", "adamw", "sgd")
MAX_LR = 10.0   # a rate above this is a typo (1e12 trains on with finite, meaningless losses)
SCHEDULES = ("constant", "cosine")


def validate(cfg, field="optim"):
  if cfg.name not in OPTIMIZERS:
    raise ConfigError(f"{field}.name", cfg.name, "one of " + ", ".join(OPTIMIZERS))
  if not 0 < cfg.lr <= MAX_LR:
    raise ConfigError(f"{field}.lr", cfg.lr, f"a positive learning rate of at most {MAX_LR:g}")
  if not (0.0 <= cfg.b1 < 1.0 and 0.0 <= cfg.b2 < 1.0):
    raise ConfigError(f"{field}.b1", (cfg.b1, cfg.b2), "Adam's b1 and b2 in [0, 1)")
  if cfg.weight_decay < 0:
    raise ConfigError(f"{field}.weight_decay", cfg.weight_decay, "a non-negative decay")
  if cfg.weight_decay and cfg.name != "adamw":
    raise ConfigError(f"{field}.weight_decay", cfg.weight_decay,
                      f"0 with {field}.name={cfg.name!r} (only 'adamw' decays weights)")
  if cfg.schedule not in SCHEDULES:
    raise ConfigError(f"{field}.schedule", cfg.schedule, "one of " + ", ".join(SCHEDULES))
  if cfg.decay_steps < 0:
    raise ConfigError(f"{field}.decay_steps", cfg.decay_steps, "a non-negative number of steps (0: num_steps)")
  if not 0.0 <= cfg.momentum < 1.0:
    raise ConfigError(f"{field}.momentum", cfg.momentum, "SGD momentum in [0, 1)")
  if cfg.grad_clip < 0:
    raise ConfigError(f"{field}.grad_clip", cfg.grad_clip, "a non-negative norm (0 disables clipping)")


def learning_rate(cfg, num_steps: int):
  """A constant rate, or a cosine decay from lr to 0 over decay_steps (0: the run's num_steps)."""
  if cfg.schedule == "cosine":
    return optax.cosine_decay_schedule(cfg.lr, cfg.decay_steps or num_steps)
  return cfg.lr


def validate_positive_ints(section, cfg, fields):
  """Each of cfg's `fields` a positive integer (booleans are not), named `section.field`."""
  for field in fields:
    if not (isinstance(cfg[field], int) and not isinstance(cfg[field], bool) and cfg[field] > 0):
      raise ConfigError(f"{section}.{field}", cfg[field], "a positive integer")


def validate_widths(field, widths, count=None):
  """Layer widths: a tuple of positive integers (of `count` entries if given)."""
  if (any(not (isinstance(w, int) and w > 0) for w in widths) or
      (count is not None and len(widths) != count)):
    expected = f"{count} positive integers" if count else "a tuple of positive integers"
    raise ConfigError(field, tuple(widths), expected)


def make(cfg, num_steps: int) -> optax.GradientTransformation:
  lr = learning_rate(cfg, num_steps)
  if cfg.name == "adam":
    opt = optax.adam(lr, b1=cfg.b1, b2=cfg.b2)
  elif cfg.name == "adamw":
    opt = optax.adamw(lr, b1=cfg.b1, b2=cfg.b2, weight_decay=cfg.weight_decay)
  else:
    opt = optax.sgd(lr, momentum=cfg.momentum or None)
  if cfg.grad_clip:
    opt = optax.chain(optax.clip_by_global_norm(cfg.grad_clip), opt)
  return opt
