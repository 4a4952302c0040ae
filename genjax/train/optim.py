"""Optimisers from config, shared by every family."""
import optax

from genjax.errors import ConfigError

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("constant", "cosine")


def validate(cfg, field="optim"):
  if cfg.name not in OPTIMIZERS:
    raise ConfigError(f"{field}.name", cfg.name, "one of " + ", ".join(OPTIMIZERS))
  if not cfg.lr > 0:
    raise ConfigError(f"{field}.lr", cfg.lr, "a positive learning rate")
  if cfg.schedule not in SCHEDULES:
    raise ConfigError(f"{field}.schedule", cfg.schedule, "one of " + ", ".join(SCHEDULES))
  if cfg.schedule == "cosine" and not cfg.decay_steps > 0:
    raise ConfigError(f"{field}.decay_steps", cfg.decay_steps, "a positive number of steps for the cosine decay")
  if cfg.grad_clip < 0:
    raise ConfigError(f"{field}.grad_clip", cfg.grad_clip, "a non-negative norm (0 disables clipping)")


def learning_rate(cfg):
  """A constant rate, or a cosine decay from lr to 0 over decay_steps."""
  if cfg.schedule == "cosine":
    return optax.cosine_decay_schedule(cfg.lr, cfg.decay_steps)
  return cfg.lr


def make(cfg) -> optax.GradientTransformation:
  lr = learning_rate(cfg)
  if cfg.name == "adam":
    opt = optax.adam(lr, b1=cfg.b1, b2=cfg.b2)
  elif cfg.name == "adamw":
    opt = optax.adamw(lr, b1=cfg.b1, b2=cfg.b2, weight_decay=cfg.weight_decay)
  else:
    opt = optax.sgd(lr, momentum=cfg.b1 or None)
  if cfg.grad_clip:
    opt = optax.chain(optax.clip_by_global_norm(cfg.grad_clip), opt)
  return opt
