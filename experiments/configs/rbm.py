"""Shared RBM defaults: Bernoulli-Bernoulli, 500 hidden units, statically binarized MNIST.

Trained on the 50 000 training images; training monitors the AIS test-style NLL on the
10 000 validation images; experiments.evaluate scores the test split once, on the final state.
"""
from experiments.configs import base


def get_config(arg=None):
  c = base.get_config("rbm")
  c.data.name = "binarized_mnist"
  c.data.train_split = "train"
  c.batch_size = 100
  c.eval_batch_size = 500
  c.num_samples = 64
  base.variant(c, arg)
  if arg == "smoke":
    c.model.hidden, c.model.chains = 16, 16
    c.model.ais_runs, c.model.ais_betas, c.model.sample_sweeps = 16, 200, 20
    c.num_samples = 4
  return c
