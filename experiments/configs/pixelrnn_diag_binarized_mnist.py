"""PixelRNN with Diagonal BiLSTM layers (van den Oord et al. 2016a): 7 residual layers of
16 features, trained as the Row LSTM config is. Published: 79.20 nats.

python -m experiments.train --config=experiments/configs/pixelrnn_diag_binarized_mnist.py \
  --workdir=runs/diaglstm_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import pixelrnn_row_binarized_mnist


def get_config(arg=None):
  return pixelrnn_row_binarized_mnist.get_config(arg, arch="pixelrnn_diagonal")
