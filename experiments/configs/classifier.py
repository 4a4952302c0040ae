"""Shared classifier defaults: a small CNN whose 128-d penultimate layer is the feature space
of genjax's classifier FID, precision/recall and classifier score."""
from experiments.configs import base


def get_config(dataset="mnist", arg=None):
  c = base.get_config()
  c.data.name = dataset
  c.model.name = "classifier"
  c.model.arch = "conv"
  c.model.widths = (32, 64)      # conv: channels per 3x3 conv + 2x2 max-pool; mlp: hidden widths
  c.model.feature_dim = 128
  c.model.dropout = 0.5
  c.batch_size = 128
  c.optim.schedule = "cosine"
  base.budget(c, arg, 3_510, 468, 1_170)      # 7.5 epochs of 60 000
  if arg == "smoke":
    base.smoke(c)
  elif arg:
    raise ValueError(f"config argument {arg!r} is not known: expected 'smoke' or nothing")
  return c
