"""A neural spline flow (Durkan et al. 2019) on uniformly dequantised MNIST: Glow's multi-scale
architecture (actnorm, invertible 1x1 convolution) with rational-quadratic spline couplings,
8 bins on [-3, 3] (identity outside).

python -m experiments.train --config=experiments/configs/spline_flow_mnist.py \
  --workdir=runs/spline_flow_mnist --config.data.manual_dir=../shared/data/mnist
"""
from experiments.configs import base, flows


def get_config(arg=None):
  c = flows.get_config("spline", "mnist", arg)
  c.model.levels, c.model.bins, c.model.bound = 2, 8, 3.0
  if arg != "smoke":
    c.model.width, c.model.depth, c.model.steps = 64, 1, 4
  c.optim.schedule = "cosine"
  return base.budget(c, arg, 20_000, 500, 2_000, 10_000)
