"""Autoencoder (mlp) on fashion_mnist. `--config=experiments/configs/ae_mlp_fashion_mnist.py:smoke` is the tiny variant."""
from experiments.configs import autoencoder


def get_config(arg=None):
  return autoencoder.get_config("fashion_mnist", "mlp", arg)
