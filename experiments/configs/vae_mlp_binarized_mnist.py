"""W3's MLP VAE on statically binarized MNIST (Larochelle & Murray), Bernoulli likelihood.

python -m experiments.train --config=experiments/configs/vae_mlp_binarized_mnist.py \
  --workdir=runs/vae_mlp_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import vae


def get_config(arg=None):
  c = vae.get_config("binarized_mnist", "mlp", arg)
  if arg != "smoke":
    c.num_steps = 100_000         # 256 epochs of the 50 000 training images
    c.log_every = 1_000
    c.checkpoint_every = 5_000
    c.eval_every = 10_000
  return c
