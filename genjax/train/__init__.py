"""The family-agnostic trainer: method contract, parallel steps, checkpoints, logging."""
from genjax.train.method import AXIS, Method, device_rng, register
from genjax.train.trainer import Diverged, Run, Stopped, load_config, train, validate

__all__ = ["AXIS", "Diverged", "Stopped", "Method", "Run", "device_rng", "load_config", "register", "train",
           "validate"]
