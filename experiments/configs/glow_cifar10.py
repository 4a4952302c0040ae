"""Glow on CIFAR-10 (the user's `cifar-10-binary.tar.gz` in data.manual_dir), uniformly
dequantised, logit transform of alpha + (1 - 2 alpha) x with alpha = 0.05 (RealNVP's margin
for CIFAR, applied symmetrically): three levels (16x16x12, 8x8x24, 4x4x48),
eight steps each, 128-filter conditioners. Published: 3.35 bits/dim (Glow, a far larger model).

python -m experiments.train --config=experiments/configs/glow_cifar10.py \
  --workdir=runs/glow_cifar10 --config.data.manual_dir=/path/to/cifar10
"""
from experiments.configs import base, flows


def get_config(arg=None):
  c = flows.get_config("glow", "cifar10", arg)
  c.model.levels = 3 if arg != "smoke" else 2
  c.model.logit_alpha = 0.05
  if arg != "smoke":
    c.model.width, c.model.depth, c.model.steps = 128, 1, 8
  c.optim.schedule = "cosine"
  return base.budget(c, arg, 50_000, 500, 2_000, 10_000)
