"""GAN data augmentation on MNIST with 1 000 labels (python -m experiments.augment).

Per seed (0, 1, 2): 1 000 class-balanced labelled training images; the class-conditional
DCGAN of cgan_mnist trained on them alone (2 000 steps of 64 = 128 epochs); 10 000
class-balanced samples of its EMA generator (10:1 synthetic to real); the classifier of
classifier_mnist trained 1 000 steps of 128 on the 1 000 images alone and, separately, on
them plus the samples; both scored on the full 10 000-image test split.
"""
import ml_collections

from experiments.configs import base, cgan_mnist, classifier_mnist


def get_config(arg=None):
  c = ml_collections.ConfigDict()
  c.seeds = (0, 1, 2)
  c.real = 1000
  c.synthetic_per_real = 10
  c.gan = cgan_mnist.get_config(arg)
  c.classifier = classifier_mnist.get_config(arg)
  base.budget(c.gan, arg, 2_000, 500, 2_000)
  base.budget(c.classifier, arg, 1_000, 500, 1_000)
  if arg == "smoke":
    c.seeds, c.real, c.synthetic_per_real = (0, 1), 40, 2
  return c
