"""Autoencoder (conv) on mnist. `--config=experiments/configs/ae_conv_mnist.py:smoke` is the tiny variant."""
from experiments.configs import autoencoder


def get_config(arg=None):
  c = autoencoder.get_config("mnist", "conv", arg)
  if arg != "smoke":
    # The Keras blog's budget: 50 epochs of 60 000 images in batches of 256.
    c.num_steps = 11_700
    c.log_every = 500
    c.checkpoint_every = 2_000
  return c
