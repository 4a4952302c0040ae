"""MAF (Papamakarios et al. 2017) on uniformly dequantised MNIST, logit transform: five MADE
layers of 1 024 hidden units (masked direct input-to-output weights too), the order reversed
and an actnorm between layers. Density: one pass per layer; sampling: 784 passes.
Published: 1.89 bits/dim (MAF 5).

python -m experiments.train --config=experiments/configs/maf_mnist.py \
  --workdir=runs/maf_mnist --config.data.manual_dir=../shared/data/mnist
"""
from experiments.configs import base, flows


def get_config(arg=None):
  c = flows.get_config("maf", "mnist", arg)
  if arg != "smoke":
    c.model.width, c.model.steps = 1024, 5
    c.batch_size = 100
  c.optim.lr = 1e-4 if arg != "smoke" else 1e-3
  c.optim.schedule = "cosine"
  return base.budget(c, arg, 30_000, 500, 5_000, 10_000)   # ~50 min here (10 steps/s)
