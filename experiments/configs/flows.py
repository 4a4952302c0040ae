"""Shared flow defaults: exact densities of uniformly dequantised images (bits/dim), or of
2-D points.

Images: trained on MNIST's 'train' split less its last 10% (validation, which training
monitors); experiments.evaluate scores the test split once, on the final state (nothing is
chosen on it).
"""
from experiments.configs import base


def get_config(arch, dataset="mnist", arg=None):
  c = base.get_config("flow")
  c.model.arch = arch
  c.data.name = dataset
  image = not dataset.startswith("toy2d/")
  c.data.dequantize = image
  c.batch_size = 64 if image else 256
  c.eval_batch_size = 500
  c.optim.lr = 1e-3
  c.optim.grad_clip = 100.0     # the first steps of a deep flow can have huge gradients
  c.num_samples = 64 if image else 2_500
  base.variant(c, arg)
  if arg == "smoke":
    c.model.width, c.model.depth, c.model.steps = 8, 1, 2
    c.num_samples = 4 if image else 64
  return c
