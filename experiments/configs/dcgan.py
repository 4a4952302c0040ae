"""DCGAN defaults (Radford et al. 2016, scaled for a CPU budget): G z(100) -> 7x7x128 (H/4)
-> 14x14x64 -> 28x28 tanh with BatchNorm; D 64 -> 128 stride-2 convs, LeakyReLU 0.2.
Non-saturating loss, Adam 2e-4 (0.5, 0.999), batch 64, EMA of G for sampling."""
from experiments.configs import gan


def get_config(dataset="mnist", arg=None):
  c = gan.get_config(dataset, arg)
  c.model.arch = "conv"
  c.model.g_hidden = (128, 64)
  c.model.d_hidden = (64, 128)
  if arg != "smoke":
    c.batch_size = 64
  return c
