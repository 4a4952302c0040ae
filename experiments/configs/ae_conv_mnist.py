"""Autoencoder (conv) on mnist. `--config=experiments/configs/ae_conv_mnist.py:smoke` is the tiny variant."""
from experiments.configs import autoencoder


def get_config(arg=None):
  return autoencoder.get_config("mnist", "conv", arg)
