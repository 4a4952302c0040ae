"""RBM, 500 hidden units, persistent CD-1 (Tieleman 2008) with 100 chains, on statically
binarized MNIST; test NLL by AIS (100 runs, 14 500 temperatures). SGD 0.005 with momentum 0.9
and cosine decay over 500 000 steps of 100 (1 000 epochs; 24 minutes here). Published: 86.34
nats (500 hidden, CD-25, Salakhutdinov & Murray 2008). The validation NLL fell 125.6, 115.2,
103.3, 92.6, 88.6 at steps 100k-500k: most of the gain comes as the learning rate decays
(a 60 000-step run of the same recipe reached 93.9).

python -m experiments.train --config=experiments/configs/rbm_binarized_mnist.py \
  --workdir=runs/rbm_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import base, rbm


def get_config(arg=None):
  c = rbm.get_config(arg)
  c.model.persistent, c.model.cd_k = True, 1
  c.optim.name, c.optim.lr, c.optim.momentum, c.optim.schedule = "sgd", 0.005, 0.9, "cosine"
  return base.budget(c, arg, 500_000, 5_000, 50_000, 100_000)
