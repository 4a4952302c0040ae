"""Shared autoencoder defaults: the chapter's Keras model, 784 -> 32 (relu) -> 784 (sigmoid)."""
from experiments.configs import base


def get_config(dataset="mnist", arch="mlp", arg=None):
  c = base.get_config()
  c.data.name = dataset
  c.model.name = "autoencoder"
  c.model.arch = arch
  c.model.latents = 32
  c.model.hidden = ()          # mlp: hidden widths around the code; conv: the two conv widths
  c.model.loss = "bce"         # binary cross-entropy on [0,1] targets (the seed's), or 'mse'
  c.batch_size = 256
  if arg == "smoke":
    base.smoke(c)
  elif arg:
    raise ValueError(f"config argument {arg!r} is not known: expected 'smoke' or nothing")
  return c
