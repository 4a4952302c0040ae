"""W5 of ../shared/WORKLOADS.md as a training config: 784 x 500 RBM, CD-1 from the data with
the reconstruction probabilities v1 = p(v | h0) as the negative phase, plain SGD lr 0.01,
batch 100, on statically binarized MNIST.

python -m experiments.train --config=experiments/configs/rbm_cd1_binarized_mnist.py \
  --workdir=runs/rbm_cd1_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import base, rbm


def get_config(arg=None):
  c = rbm.get_config(arg)
  c.model.persistent, c.model.cd_k, c.model.mean_field_visible = False, 1, True
  c.optim.name, c.optim.lr, c.optim.momentum = "sgd", 0.01, 0.0
  return base.budget(c, arg, 50_000, 1_000, 10_000, 25_000)
