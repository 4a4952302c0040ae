"""The family-agnostic trainer: method contract, parallel steps, checkpoints, logging."""
from genjax.train.method import AXIS, Method, device_rng, register
from genjax.train.trainer import Diverged, Run, load_config, train, validate

__all__ = ["AXIS", "Diverged", "Method", "Run", "device_rng", "load_config", "register", "train",
           "validate"]
