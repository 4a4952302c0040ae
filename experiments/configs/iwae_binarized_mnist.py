"""IWAE (k = 5 importance samples in the training bound) with W3's MLP, on statically binarized MNIST."""
from experiments.configs import base, vae


def get_config(arg=None):
  c = vae.get_config("binarized_mnist", "mlp", arg)
  c.model.objective = "iwae"
  c.model.k = 5 if arg != "smoke" else 2
  return base.budget(c, arg, 100_000, 1_000, 5_000, 10_000)
