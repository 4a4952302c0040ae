"""IWAE (k = 5 importance samples in the training bound) with W3's MLP, on statically binarized MNIST."""
from experiments.configs import vae


def get_config(arg=None):
  c = vae.get_config("binarized_mnist", "mlp", arg)
  c.model.objective = "iwae"
  c.model.k = 5 if arg != "smoke" else 2
  if arg != "smoke":
    c.num_steps = 100_000
    c.log_every = 1_000
    c.checkpoint_every = 5_000
    c.eval_every = 10_000
  return c
