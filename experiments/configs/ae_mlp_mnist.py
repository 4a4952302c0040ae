"""Autoencoder (mlp) on mnist. `--config=experiments/configs/ae_mlp_mnist.py:smoke` is the tiny variant."""
from experiments.configs import autoencoder


def get_config(arg=None):
  return autoencoder.get_config("mnist", "mlp", arg)
