"""A 2-latent VAE on the embedded 8x8 digits (17 grey levels, discretised logistic likelihood):
offline in seconds, and its decoded 2-D manifold is a picture."""
from experiments.configs import base, vae


def get_config(arg=None):
  c = vae.get_config("digits", "mlp", arg)
  c.model.latents = 2
  c.model.hidden = (256, 128)
  c.model.likelihood = "logistic"
  c.batch_size = 100 if arg != "smoke" else 16
  return base.budget(c, arg, 10_000, 500, 2_000)
