"""W3's MLP VAE on statically binarized MNIST (Larochelle & Murray), Bernoulli likelihood.

python -m experiments.train --config=experiments/configs/vae_mlp_binarized_mnist.py \
  --workdir=runs/vae_mlp_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import base, vae


def get_config(arg=None):
  c = vae.get_config("binarized_mnist", "mlp", arg)
  return base.budget(c, arg, 100_000, 1_000, 5_000, 10_000)   # 256 epochs of 50 000 images
