"""A neural spline flow on 2-D points: eight rational-quadratic spline couplings (16 bins on
[-5, 5], identity outside) over alternating coordinates, actnorm before each, MLP
conditioners of two hidden layers of 128. Default 8 Gaussians; --config.data.name=toy2d/rings,
toy2d/25gaussians or toy2d/checkerboard. Evaluation reports kl_nats (see realnvp_toy2d).

python -m experiments.train --config=experiments/configs/spline_toy2d.py --workdir=runs/spline_8g
"""
from experiments.configs import base, flows


def get_config(arg=None):
  c = flows.get_config("spline", "toy2d/8gaussians", arg)
  c.model.bins, c.model.bound = 16, 5.0
  if arg != "smoke":
    c.model.width, c.model.depth, c.model.steps = 128, 2, 8
  c.optim.schedule = "cosine"
  return base.budget(c, arg, 10_000, 500, 2_000)
