"""Convolutional VAE on statically binarized MNIST, Bernoulli likelihood."""
from experiments.configs import base, vae


def get_config(arg=None):
  c = vae.get_config("binarized_mnist", "conv", arg)
  c.model.hidden = (32, 64)
  return base.budget(c, arg, 50_000, 1_000, 5_000, 10_000)
