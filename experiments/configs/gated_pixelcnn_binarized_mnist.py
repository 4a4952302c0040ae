"""Gated PixelCNN (van den Oord et al. 2016b): vertical and horizontal stacks without a
blind spot, gated tanh * sigmoid units, 10 layers of 64 filters. Quoted: 80.10 nats (the
figure this project's tracker gives for binarized MNIST; its source paper is not confirmed:
van den Oord et al. 2016b report CIFAR-10 and ImageNet).

python -m experiments.train --config=experiments/configs/gated_pixelcnn_binarized_mnist.py \
  --workdir=runs/gated_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import autoregressive, base


def get_config(arg=None):
  c = autoregressive.get_config("gated_pixelcnn", arg=arg)
  if arg != "smoke":
    c.model.width, c.model.depth, c.model.out_hidden = 64, 10, 64
  base.budget(c, arg, 20_000, 500, 2_000, 10_000)
  c.optim.schedule = "cosine"
  return c
