"""PixelRNN with Diagonal BiLSTM layers (van den Oord et al. 2016a): 7 residual layers of
16 features, trained for what one CPU core does in about an hour. Published: 79.20 nats.

One step of 64 takes ~2.6 s on one core here (its skewed 28 x 55 maps, two directions per
layer), so the hour holds ~1 400 steps (1.8 epochs). Adam 3e-3 decayed to 0 over them
(cosine) reached validation 89.98 at step 700 and 87.24 at the end; the Row LSTM config's
1e-3 over 1 600 steps had reached 90.03 at 800 and 88.98 (2026-11-27).

python -m experiments.train --config=experiments/configs/pixelrnn_diag_binarized_mnist.py \
  --workdir=runs/diaglstm_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import base, pixelrnn_row_binarized_mnist


def get_config(arg=None):
  c = pixelrnn_row_binarized_mnist.get_config(arg, arch="pixelrnn_diagonal")
  c.optim.lr = 3e-3
  return base.budget(c, arg, 1_400, 50, 350, 700)
