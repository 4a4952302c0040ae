"""Shared DBN settings: statically binarized MNIST, RBM layers trained by PCD-1 in stages."""
from experiments.configs import base


def get_config(arg=None):
  c = base.get_config("dbn")
  c.data.name = "binarized_mnist"
  c.batch_size = 100
  c.eval_batch_size = 500
  c.num_samples = 64
  c.optim.name, c.optim.lr, c.optim.momentum, c.optim.schedule = "sgd", 0.005, 0.9, "cosine"
  base.variant(c, arg)
  if arg == "smoke":
    c.model.hiddens, c.model.chains = (16, 12), 16
    c.model.ais_runs, c.model.ais_betas, c.model.sample_sweeps, c.model.bound_samples = 8, 50, 5, 2
    c.num_samples = 4
    c.stages.stage1 = {"num_steps": 4}
    c.stages.stage2 = {"num_steps": 4}
  return c
