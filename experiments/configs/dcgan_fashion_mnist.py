"""DCGAN on Fashion-MNIST: dcgan's full-width network (dcgan_mnist is a quarter as wide)."""
from experiments.configs import base, dcgan


def get_config(arg=None):
  c = dcgan.get_config("fashion_mnist", arg)
  return base.budget(c, arg, 5_000, 500, 1_000)
