"""Optimisers from config, shared by every family."""
import optax

from genjax.errors import ConfigError

OPTIMIZERS = ("adam", "adamw", "sgd")


def validate(cfg, field="optim"):
  if cfg.name not in OPTIMIZERS:
    raise ConfigError(f"{field}.name", cfg.name, "one of " + ", ".join(OPTIMIZERS))
  if not cfg.lr > 0:
    raise ConfigError(f"{field}.lr", cfg.lr, "a positive learning rate")
  if cfg.grad_clip < 0:
    raise ConfigError(f"{field}.grad_clip", cfg.grad_clip, "a non-negative norm (0 disables clipping)")


def make(cfg) -> optax.GradientTransformation:
  if cfg.name == "adam":
    opt = optax.adam(cfg.lr, b1=cfg.b1, b2=cfg.b2)
  elif cfg.name == "adamw":
    opt = optax.adamw(cfg.lr, b1=cfg.b1, b2=cfg.b2, weight_decay=cfg.weight_decay)
  else:
    opt = optax.sgd(cfg.lr, momentum=cfg.b1 or None)
  if cfg.grad_clip:
    opt = optax.chain(optax.clip_by_global_norm(cfg.grad_clip), opt)
  return opt
