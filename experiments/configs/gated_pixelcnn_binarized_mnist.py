"""Gated PixelCNN (van den Oord et al. 2016b): vertical and horizontal stacks without a
blind spot, gated tanh * sigmoid units; here 10 layers of 16 filters and a 32-unit output
layer, trained at batch 16, sized for 60 CPU-minutes (`--config.model.width=64
--config.model.out_hidden=64` is the wider network earlier versions of this config had, ~4 s
a step of 64 on one CPU core). Quoted: 80.10 nats (the figure this project's tracker gives for
binarized MNIST; its source paper is not confirmed: van den Oord et al. 2016b report CIFAR-10
and ImageNet).

python -m experiments.train --config=experiments/configs/gated_pixelcnn_binarized_mnist.py \
  --workdir=runs/gated_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import autoregressive, base


def get_config(arg=None):
  c = autoregressive.get_config("gated_pixelcnn", arg=arg)
  # 34 000 steps of 16 (10.9 epochs): 56 CPU-minutes on one core. Chosen on validation
  # (2026-11-27/28): 32 filters, batch 64, 3 600 steps 88.27; 16 filters with a 32-unit output
  # layer, Adam 3e-3, batch 64, 4 400 steps 87.39; the same at Adam 2e-3 and batch 16, 24 000
  # steps 85.65 and 34 000 steps 85.26.
  if arg != "smoke":
    c.model.width, c.model.depth, c.model.out_hidden = 16, 10, 32
    c.batch_size, c.optim.lr = 16, 2e-3
  base.budget(c, arg, 34_000, 500, 2_000, 17_000)
  c.optim.schedule = "cosine"
  return c
