"""Glow (Kingma & Dhariwal 2018) on uniformly dequantised MNIST, logit transform: two levels
(14x14x4, then 7x7x8), each a squeeze and steps of actnorm (data-dependent init), an
LU-parameterised invertible 1x1 convolution and an affine channel coupling; half the
channels factored out after the first level. The `glow` benchmark workload.
Published: 1.05 bits/dim.

python -m experiments.train --config=experiments/configs/glow_mnist.py \
  --workdir=runs/glow_mnist --config.data.manual_dir=../shared/data/mnist
"""
from experiments.configs import base, flows


def get_config(arg=None):
  c = flows.get_config("glow", "mnist", arg)
  c.model.levels = 2
  if arg != "smoke":
    c.model.width, c.model.depth, c.model.steps = 64, 1, 8
  c.optim.schedule = "cosine"
  return base.budget(c, arg, 30_000, 500, 5_000, 10_000)   # ~50 min here (11 steps/s)
