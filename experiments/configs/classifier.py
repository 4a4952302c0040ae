"""Shared classifier defaults: a small CNN whose 128-d penultimate layer is the feature space
of genjax's classifier FID, precision/recall and classifier score."""
from experiments.configs import base


def get_config(dataset="mnist", arg=None):
  c = base.get_config("classifier")
  c.data.name = dataset
  c.batch_size = 128
  c.optim.schedule = "cosine"
  base.budget(c, arg, 3_510, 468, 1_170)      # 8.3 epochs of the 54 000 left after validation
  return base.variant(c, arg)
