"""Shared GAN defaults: the chapter's MLP GAN (W2), Adam 2e-4 (0.5, 0.999) for each network.
arch='conv' is DCGAN: g_hidden = (channels at H/4, channels at H/2), d_hidden = conv channels."""
import ml_collections

from experiments.configs import base


def get_config(dataset="mnist", arg=None):
  c = base.get_config()
  c.data.name = dataset
  c.data.scale = "[-1,1]"
  c.model.name = "gan"
  c.model.arch = "mlp"            # or 'conv' (DCGAN)
  c.model.conditional = False     # class-conditional: label embedding in G, projection D
  c.model.spectral_norm = False   # spectral normalisation of every layer of D
  c.model.latents = 100
  c.model.g_hidden = (256, 512, 1024)
  c.model.d_hidden = (1024, 512, 256)
  c.model.loss = "ns"            # 'ns' (the seed's BCE), 'hinge' or 'wgan-gp'
  c.model.gp_weight = 10.0       # wgan-gp only
  c.model.d_steps = 1            # discriminator updates per generator update
  c.model.ema_decay = 0.999      # samples come from the EMA of G
  c.model.eval_samples = 2500
  # evaluate's default feature network (classifier FID, precision/recall, classifier score)
  c.model.classifier = f"runs/classifier_{dataset}" if dataset in ("mnist", "fashion_mnist") else ""
  c.batch_size = 128
  c.optim.lr, c.optim.b1, c.optim.b2 = 2e-4, 0.5, 0.999          # generator
  c.d_optim = ml_collections.ConfigDict(c.optim.to_dict())       # discriminator
  if arg == "smoke":
    base.smoke(c)
    c.model.eval_samples = 64
  elif arg:
    raise ValueError(f"config argument {arg!r} is not known: expected 'smoke' or nothing")
  return c
