"""RealNVP (Dinh et al. 2017) on uniformly dequantised MNIST, logit transform: two levels;
the first three checkerboard affine couplings at 28x28, a squeeze, three channel couplings,
half the channels factored out; the last four checkerboard couplings at 14x14. Conditioners:
3x3 conv (64), 1x1 conv, zero-initialised 3x3 conv.
Published: 1.06 bits/dim.

python -m experiments.train --config=experiments/configs/realnvp_mnist.py \
  --workdir=runs/realnvp_mnist --config.data.manual_dir=../shared/data/mnist
"""
from experiments.configs import base, flows


def get_config(arg=None):
  c = flows.get_config("realnvp", "mnist", arg)
  c.model.levels = 2
  if arg != "smoke":
    c.model.width, c.model.depth, c.model.steps = 64, 1, 3
  c.optim.schedule = "cosine"
  return base.budget(c, arg, 12_000, 500, 4_000, 4_000)   # ~40 min here (5 steps/s)
