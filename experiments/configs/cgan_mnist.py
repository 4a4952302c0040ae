"""Class-conditional DCGAN on MNIST: G gets a learned 50-d label embedding beside z, D is a
projection discriminator with spectral normalisation and the hinge loss (Miyato & Koyama 2018)."""
from experiments.configs import base, dcgan


def get_config(arg=None):
  c = dcgan.get_config("mnist", arg)
  c.model.conditional = True
  c.model.spectral_norm = True
  c.model.loss = "hinge"
  c.model.r1_weight = 0.0     # dcgan's R1 was measured with its own D only, not with this one
  return base.budget(c, arg, 10_000, 500, 2_000)
