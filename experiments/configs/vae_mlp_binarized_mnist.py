"""W3's MLP VAE on statically binarized MNIST (Larochelle & Murray), Bernoulli likelihood.

Trained on the 50 000 training images; training monitors the IWAE-100 bound on the 10 000
validation images every 5 000 steps; the test split is scored once, on the final state, by
experiments.evaluate (nothing is chosen on it).

python -m experiments.train --config=experiments/configs/vae_mlp_binarized_mnist.py \
  --workdir=runs/vae_mlp_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import base, vae


def get_config(arg=None):
  c = vae.get_config("binarized_mnist", "mlp", arg)
  c.data.train_split = "train"
  c.data.eval_split = "validation"
  base.budget(c, arg, 60_000, 1_000, 5_000, 5_000)   # 154 epochs of 50 000 images
  c.optim.schedule = "cosine"   # decays to 0 at num_steps (optim.decay_steps = 0)
  return c
