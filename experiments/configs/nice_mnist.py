"""NICE (Dinh et al. 2014): four additive couplings over alternating pixels, each conditioner
five hidden layers of 1 000 units, then a diagonal scaling; logit transform of uniformly
dequantised MNIST, a standard normal base (the paper used a logistic one).
Published: 4.34 bits/dim (pytorch-generative's NICE).

python -m experiments.train --config=experiments/configs/nice_mnist.py \
  --workdir=runs/nice_mnist --config.data.manual_dir=../shared/data/mnist
"""
from experiments.configs import base, flows


def get_config(arg=None):
  c = flows.get_config("nice", "mnist", arg)
  if arg != "smoke":
    c.model.width, c.model.depth, c.model.steps = 1000, 5, 4
    c.batch_size = 200
  c.optim.schedule = "cosine"
  return base.budget(c, arg, 20_000, 500, 5_000, 10_000)   # ~50 min here (7 steps/s)
