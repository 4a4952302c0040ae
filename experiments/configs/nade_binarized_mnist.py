"""NADE (Larochelle & Murray 2011), 500 hidden units, on statically binarized MNIST.
Published: 88.33 nats (test NLL).

python -m experiments.train --config=experiments/configs/nade_binarized_mnist.py \
  --workdir=runs/nade_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import autoregressive, base


def get_config(arg=None):
  c = autoregressive.get_config("nade", arg=arg)
  if arg != "smoke":
    c.model.width = 500
  if arg != "smoke":
    c.batch_size = 100
  base.budget(c, arg, 20_000, 1_000, 5_000, 5_000)   # 40 epochs of 50 000 images
  c.optim.lr = 4e-3   # 2 000 steps at a constant rate: validation 90.99 at 4e-3, 99.62 at 1e-3
  c.optim.schedule = "cosine"
  return c
