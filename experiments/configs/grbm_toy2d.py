"""A Gaussian-Bernoulli RBM with 12 hidden units on 2-D points: a mixture of 2^12 Gaussians
with means b + W h and learned per-coordinate scales, trained by PCD-1; the test NLL is exact
(log Z by enumeration) and, on the sets with a closed-form density, kl_nats is the KL
divergence from the data. Default 8 Gaussians; --config.data.name=toy2d/rings etc.

python -m experiments.train --config=experiments/configs/grbm_toy2d.py --workdir=runs/grbm_8g
"""
from experiments.configs import base


def get_config(arg=None):
  c = base.get_config("grbm")
  c.data.name = "toy2d/8gaussians"
  c.batch_size = 256
  c.eval_batch_size = 2_000
  c.num_samples = 10_000
  c.optim.name, c.optim.lr, c.optim.schedule = "adam", 3e-3, "cosine"
  base.variant(c, arg)
  if arg == "smoke":
    c.model.hidden, c.model.chains, c.model.sample_sweeps = 4, 16, 10
    c.num_samples = 64
  return base.budget(c, arg, 10_000, 500, 2_000)
