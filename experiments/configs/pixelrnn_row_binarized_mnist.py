"""PixelRNN with Row LSTM layers (van den Oord et al. 2016a): 7 residual layers of 16
features. Published: 80.54 nats.

python -m experiments.train --config=experiments/configs/pixelrnn_row_binarized_mnist.py \
  --workdir=runs/rowlstm_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import autoregressive, base


def get_config(arg=None, arch="pixelrnn_row"):
  c = autoregressive.get_config(arch, arg=arg)
  if arg != "smoke":
    c.model.width, c.model.depth = 16, 7
  base.budget(c, arg, 20_000, 500, 2_000, 10_000)
  c.optim.schedule = "cosine"
  return c
