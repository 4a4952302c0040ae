"""A 2-latent VAE on the embedded 8x8 digits (17 grey levels, discretised logistic likelihood):
offline in seconds, and its decoded 2-D manifold is a picture."""
from experiments.configs import vae


def get_config(arg=None):
  c = vae.get_config("digits", "mlp", arg)
  c.model.latents = 2
  c.model.hidden = (256, 128)
  c.model.likelihood = "logistic"
  c.batch_size = 100 if arg != "smoke" else 16
  if arg != "smoke":
    c.num_steps = 10_000
    c.log_every = 500
    c.checkpoint_every = 2_000
  return c
