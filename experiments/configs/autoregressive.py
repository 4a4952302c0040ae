"""Shared autoregressive defaults: exact likelihoods on statically binarized MNIST.

Trained on the 50 000 training images; training monitors the exact NLL on the 10 000
validation images; experiments.evaluate scores the test split once, on the final state
(nothing is chosen on it).
"""
from experiments.configs import base


def get_config(arch, dataset="binarized_mnist", arg=None):
  c = base.get_config("autoregressive")
  c.model.arch = arch
  c.data.name = dataset
  c.data.train_split = "train"
  c.batch_size = 64
  c.eval_batch_size = 500
  c.optim.lr = 1e-3
  c.num_samples = 64
  base.variant(c, arg)
  if arg == "smoke":
    c.model.width, c.model.depth, c.model.bottleneck, c.model.out_hidden = 8, 2, 4, 8
    c.num_samples = 4
  return c
