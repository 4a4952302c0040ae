"""Convolutional VAE on statically binarized MNIST, Bernoulli likelihood."""
from experiments.configs import vae


def get_config(arg=None):
  c = vae.get_config("binarized_mnist", "conv", arg)
  c.model.hidden = (32, 64)
  if arg != "smoke":
    c.num_steps = 50_000
    c.log_every = 1_000
    c.checkpoint_every = 5_000
    c.eval_every = 10_000
  return c
