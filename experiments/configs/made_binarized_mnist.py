"""MADE (Germain et al. 2015), one hidden layer of 500 units, 32 mask sets (connectivity
resampled per step; the ensemble of all 32 at evaluation) and masked direct input-to-output
weights, on statically binarized MNIST.
Published: 86.64 nats (32 masks). `--config.model.order_agnostic=True` also resamples the
ordering.

python -m experiments.train --config=experiments/configs/made_binarized_mnist.py \
  --workdir=runs/made_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import autoregressive, base


def get_config(arg=None):
  c = autoregressive.get_config("made", arg=arg)
  c.model.num_masks = 32 if arg != "smoke" else 2
  if arg != "smoke":
    c.model.width, c.model.depth = 500, 1
  if arg != "smoke":
    c.batch_size = 100
  base.budget(c, arg, 100_000, 2_000, 10_000, 20_000)   # 200 epochs of 50 000 images
  c.optim.schedule = "cosine"
  return c
