"""A convolutional energy-based model of MNIST trained with Langevin dynamics and a replay
buffer (Du & Mordatch 2019, their step size 10 and noise 0.005): 20 Langevin steps per
negative from a buffer of 10 240 images, 5 % restarted from uniform noise; Adam 1e-4
(0, 0.999), 15 000 steps of 64. (JEM's step 1 and noise 0.01, tried first, left the chains
nearly still at this energy scale: after 7 500 steps the samples were still mostly noise.) Pixels are uniformly dequantised to [0, 1]. Evaluation: the mean energy of
validation images; experiments.evaluate adds classifier-FID / precision / recall of 10 000
samples (distinct buffer entries plus 20 Langevin steps) in runs/classifier_mnist's features.

python -m experiments.train --config=experiments/configs/ebm_mnist.py \
  --workdir=runs/ebm_mnist --config.data.manual_dir=../shared/data/mnist
"""
from experiments.configs import base


def get_config(arg=None):
  c = base.get_config("ebm")
  c.data.name = "mnist"
  c.data.dequantize = True
  c.batch_size = 64
  c.eval_batch_size = 500
  c.num_samples = 64
  c.sample_chunk = 10_000           # one call: samples are distinct buffer entries
  c.optim.name, c.optim.lr, c.optim.b1, c.optim.b2 = "adam", 1e-4, 0.0, 0.999
  c.evals.quality.classifier = "runs/classifier_mnist"
  base.variant(c, arg)
  if arg == "smoke":
    c.model.widths, c.model.buffer_size, c.model.langevin_steps, c.model.sample_steps = (4,), 64, 1, 1
    c.sample_chunk = 64
    c.num_samples = 4
  return base.budget(c, arg, 15_000, 250, 2_500, 5_000)
