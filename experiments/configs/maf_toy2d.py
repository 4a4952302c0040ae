"""MAF on 2-D points: five MADE layers of 128 hidden units, the coordinates reversed and an
actnorm between them. Default 8 Gaussians; --config.data.name=toy2d/rings or toy2d/25gaussians.
Evaluation reports the test NLL and kl_nats (see realnvp_toy2d).

python -m experiments.train --config=experiments/configs/maf_toy2d.py --workdir=runs/maf_8g
"""
from experiments.configs import base, flows


def get_config(arg=None):
  c = flows.get_config("maf", "toy2d/8gaussians", arg)
  if arg != "smoke":
    c.model.width, c.model.steps = 128, 5
  c.optim.schedule = "cosine"
  return base.budget(c, arg, 10_000, 500, 2_000)
