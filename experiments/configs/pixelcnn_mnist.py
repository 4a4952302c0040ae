"""PixelCNN with a 256-way softmax over MNIST's grey levels (no binarisation, no
dequantisation): an exact discrete likelihood reported in bits/dim. Validation is the
last 10% of 'train' (carved deterministically).

python -m experiments.train --config=experiments/configs/pixelcnn_mnist.py \
  --workdir=runs/pixelcnn_mnist --config.data.manual_dir=../shared/data/mnist
"""
from experiments.configs import autoregressive, base


def get_config(arg=None):
  c = autoregressive.get_config("pixelcnn", "mnist", arg)
  c.model.head = "categorical"
  base.budget(c, arg, 20_000, 500, 2_000, 10_000)
  c.optim.schedule = "cosine"
  return c
