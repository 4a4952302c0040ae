"""A deep belief network 784-500-2000 on statically binarized MNIST (Hinton et al. 2006;
Salakhutdinov & Murray 2008), trained greedily in two stages: stage 1 the bottom RBM (PCD-1,
rbm_binarized_mnist's recipe over 300 000 steps instead of 500 000), stage 2 the top RBM on samples of its hidden units. Stage 2 reports
nll_bound_nats, minus the variational lower bound on log p(v), with the top RBM's log Z by
AIS. Published: 86.22 nats (bound; CD-25 in both layers, Salakhutdinov & Murray 2008).

python -m experiments.train --config=experiments/configs/dbn_binarized_mnist.py \
  --workdir=runs/dbn_bmnist --config.data.manual_dir=../shared/data/binarized_mnist
"""
from experiments.configs import dbn


def get_config(arg=None):
  c = dbn.get_config(arg)
  if arg != "smoke":
    c.log_every, c.checkpoint_every = 5_000, 50_000
    c.stages.stage1 = {"num_steps": 300_000, "evals": {"eval": {"every": 100_000}}}
    c.stages.stage2 = {"num_steps": 200_000, "evals": {"eval": {"every": 100_000}}}
  return c
