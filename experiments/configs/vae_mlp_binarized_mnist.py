"""W3's MLP VAE on statically binarized MNIST (Larochelle & Murray), Bernoulli likelihood.

Trained on the 60 000 train + validation images (the static set overfits quickly: more data
and a cosine learning-rate decay matter more than more epochs), evaluated on the 10 000 test
images. No model selection on the test split: the run's last state is the one reported.

python -m experiments.train --config=experiments/configs/vae_mlp_binarized_mnist.py \
  --workdir=runs/vae_mlp_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import base, vae


def get_config(arg=None):
  c = vae.get_config("binarized_mnist", "mlp", arg)
  c.data.train_split = "train+validation"
  base.budget(c, arg, 60_000, 1_000, 5_000, 10_000)   # 128 epochs of 60 000 images
  c.optim.schedule = "cosine"   # decays to 0 at num_steps (optim.decay_steps = 0)
  return c
