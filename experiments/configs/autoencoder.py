"""Shared autoencoder defaults: the chapter's Keras model, 784 -> 32 (relu) -> 784 (sigmoid)."""
from experiments.configs import base


def get_config(dataset="mnist", arch="mlp", arg=None):
  c = base.get_config("autoencoder")
  c.data.name = dataset
  c.model.arch = arch
  c.batch_size = 256
  if dataset == "digits":
    # 1 500 training images of 8x8: 5 000 steps of 100 is ~330 epochs, seconds on 2 CPU cores.
    c.batch_size = 100
    c.model.latents = 16
    base.budget(c, arg, 5_000, 250, 1_000)
  else:
    # The Keras blog's budget: 50 epochs of 60 000 images in batches of 256.
    base.budget(c, arg, 11_700, 500, 2_000)
  return base.variant(c, arg)
