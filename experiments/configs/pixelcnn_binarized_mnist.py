"""PixelCNN (van den Oord et al. 2016), exactly W4's network (../shared/WORKLOADS.md): a 7x7
type-A masked convolution to 64 filters, 7 residual blocks (1x1 to 32, 3x3 type B, 1x1 to 64),
two 1x1 layers, Bernoulli logits. Trained at batch 16 with Adam 1e-3 decayed by a cosine (W4's
benchmark times batch 64 at a constant 1e-3). Published: 81.30 nats.

python -m experiments.train --config=experiments/configs/pixelcnn_binarized_mnist.py \
  --workdir=runs/pixelcnn_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import autoregressive, base


def get_config(arg=None):
  c = autoregressive.get_config("pixelcnn", arg=arg)
  # 24 000 steps of 16 (7.7 epochs): 45 CPU-minutes on one core. Chosen on validation: batch 64
  # over 11 000 steps 90.06 (62 minutes on 2 cores), Adam 3e-3 over 4 300 steps 90.44; batch 16
  # 89.58. A smaller batch is also faster per image on a CPU core (93 against 81 images/s,
  # 2026-11-28).
  if arg != "smoke":
    c.batch_size = 16
  base.budget(c, arg, 24_000, 500, 2_000, 12_000)
  c.optim.schedule = "cosine"
  return c
