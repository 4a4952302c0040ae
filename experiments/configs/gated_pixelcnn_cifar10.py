"""Gated PixelCNN on CIFAR-10 with PixelCNN++'s discretised logistic mixture (10 components;
within a pixel R -> G -> B through the mixture's coefficients), class-conditional.
Needs the user's `cifar-10-binary.tar.gz` in data.manual_dir (TFDS prepares it offline).

python -m experiments.train --config=experiments/configs/gated_pixelcnn_cifar10.py \
  --workdir=runs/gated_cifar10 --config.data.manual_dir=/path/to/cifar10
"""
from experiments.configs import autoregressive, base


def get_config(arg=None):
  c = autoregressive.get_config("gated_pixelcnn", "cifar10", arg)
  c.data.train_split = "train"
  c.model.head = "logistic_mixture"
  c.model.conditional = True
  if arg != "smoke":
    c.model.width, c.model.depth, c.model.out_hidden = 128, 15, 256
  if arg != "smoke":
    c.batch_size = 32
  base.budget(c, arg, 100_000, 500, 5_000, 20_000)
  c.optim.schedule = "cosine"
  return c
