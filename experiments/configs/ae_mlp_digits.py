"""Autoencoder (mlp) on digits. `--config=experiments/configs/ae_mlp_digits.py:smoke` is the tiny variant."""
from experiments.configs import autoencoder


def get_config(arg=None):
  return autoencoder.get_config("digits", "mlp", arg)
