"""Shared VAE defaults: W3's MLP (784-512-256 -> 32 latents -> 256-512-784), Adam 1e-3, batch 128."""
from experiments.configs import base


def get_config(dataset="binarized_mnist", arch="mlp", arg=None):
  c = base.get_config("vae")
  c.data.name = dataset
  c.model.arch = arch
  c.batch_size = 128
  c.eval_batch_size = 256
  c.optim.lr = 1e-3
  base.variant(c, arg)
  if arg == "smoke":
    c.model.eval_k, c.model.eval_chunk = 8, 4
  return c
