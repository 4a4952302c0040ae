"""DCGAN on MNIST, trained within 30 CPU-minutes (one core)."""
from experiments.configs import base, dcgan


def get_config(arg=None):
  c = dcgan.get_config("mnist", arg)
  return base.budget(c, arg, 10_000, 500, 2_000)
