"""PixelCNN (van den Oord et al. 2016), exactly W4 of ../shared/WORKLOADS.md: a 7x7 type-A
masked convolution to 64 filters, 7 residual blocks (1x1 to 32, 3x3 type B, 1x1 to 64), two
1x1 layers, Bernoulli logits. Published: 81.30 nats.

python -m experiments.train --config=experiments/configs/pixelcnn_binarized_mnist.py \
  --workdir=runs/pixelcnn_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import autoregressive, base


def get_config(arg=None):
  c = autoregressive.get_config("pixelcnn", arg=arg)
  base.budget(c, arg, 11_000, 500, 1_000, 5_500)   # 14 epochs: about 55 minutes on 2 CPU cores
  c.optim.schedule = "cosine"
  return c
