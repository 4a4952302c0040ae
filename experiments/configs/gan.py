"""Shared GAN defaults: the chapter's MLP GAN (W2), Adam 2e-4 (0.5, 0.999) for each network.
arch='conv' is DCGAN: g_hidden = (channels at H/4, channels at H/2), d_hidden = conv channels."""
import ml_collections

from experiments.configs import base


def get_config(dataset="mnist", arg=None):
  c = base.get_config("gan")
  c.data.name = dataset
  c.data.scale = "[-1,1]"
  # evaluate's feature network (classifier FID, precision/recall, classifier score)
  c.evals.quality.classifier = f"runs/classifier_{dataset}" if dataset in ("mnist", "fashion_mnist") else ""
  c.batch_size = 128
  c.optim.lr, c.optim.b1, c.optim.b2 = 2e-4, 0.5, 0.999          # generator
  c.d_optim = ml_collections.ConfigDict(c.optim.to_dict())       # discriminator
  return base.variant(c, arg)
