"""RBM, 500 hidden units, persistent CD-1 (Tieleman 2008) with 100 chains, on statically
binarized MNIST; test NLL by AIS (100 runs, 14 500 temperatures). Published: 86.34 nats
(500 hidden, CD-25, Salakhutdinov & Murray 2008). The recipe is untuned.

python -m experiments.train --config=experiments/configs/rbm_binarized_mnist.py \
  --workdir=runs/rbm_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import base, rbm


def get_config(arg=None):
  c = rbm.get_config(arg)
  c.model.persistent, c.model.cd_k = True, 1
  c.optim.name, c.optim.lr, c.optim.momentum, c.optim.schedule = "sgd", 0.005, 0.9, "cosine"
  return base.budget(c, arg, 500_000, 5_000, 50_000, 100_000)
