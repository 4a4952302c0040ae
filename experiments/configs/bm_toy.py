"""A fully visible Boltzmann machine on 4x4 bars and stripes (16 units, 30 equally likely
patterns: the data's entropy is log 30 = 3.401 nats), trained by exact maximum likelihood;
the test NLL is exact, so NLL - 3.401 is the KL divergence from the data to the model. A
pairwise model cannot represent bars and stripes exactly (it needs hidden units), so the
KL stays above zero.

python -m experiments.train --config=experiments/configs/bm_toy.py --workdir=runs/bm_toy
"""
from experiments.configs import base


def get_config(arg=None):
  c = base.get_config("bm")
  c.data.name = "bars_and_stripes"
  c.batch_size = 100
  c.eval_batch_size = 500
  c.num_samples = 64
  c.optim.name, c.optim.lr = "adam", 0.05
  base.variant(c, arg)
  return base.budget(c, arg, 2_000, 100, 1_000)
