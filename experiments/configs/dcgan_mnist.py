"""DCGAN on MNIST, trained within 30 CPU-minutes (one core)."""
from experiments.configs import base, dcgan


def get_config(arg=None):
  c = dcgan.get_config("mnist", arg)
  return base.budget(c, arg, 5_000, 500, 1_000)
