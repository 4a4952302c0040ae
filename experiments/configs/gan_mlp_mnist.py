"""The chapter's MLP GAN on MNIST (W2): G 100-256-512-1024-784 tanh, D 784-1024-512-256-1."""
from experiments.configs import base, gan


def get_config(arg=None):
  c = gan.get_config("mnist", arg)
  return base.budget(c, arg, 30_000, 500, 5_000)
