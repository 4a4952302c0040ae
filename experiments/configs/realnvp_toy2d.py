"""RealNVP on 2-D points: eight affine couplings over alternating coordinates, MLP
conditioners of two hidden layers of 128. Default 8 Gaussians; --config.data.name=toy2d/rings
or toy2d/25gaussians for the other sets with a known density. Evaluation reports the test NLL
and kl_nats, the mean of log p_data - log p_model over the test points (the data's entropy
is in the protocol).

python -m experiments.train --config=experiments/configs/realnvp_toy2d.py --workdir=runs/realnvp_8g
"""
from experiments.configs import base, flows


def get_config(arg=None):
  c = flows.get_config("realnvp", "toy2d/8gaussians", arg)
  if arg != "smoke":
    c.model.width, c.model.depth, c.model.steps = 128, 2, 8
  c.optim.schedule = "cosine"
  return base.budget(c, arg, 10_000, 500, 2_000)
