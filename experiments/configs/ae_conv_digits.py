"""Autoencoder (conv) on digits. `--config=experiments/configs/ae_conv_digits.py:smoke` is the tiny variant."""
from experiments.configs import autoencoder


def get_config(arg=None):
  c = autoencoder.get_config("digits", "conv", arg)
  if arg != "smoke":
    # 1 500 training images of 8x8: 5 000 steps of 100 is ~330 epochs, about a minute on 2 CPU cores.
    c.batch_size = 100
    c.num_steps = 5_000
    c.log_every = 250
    c.checkpoint_every = 1_000
  c.model.latents = 16
  return c
