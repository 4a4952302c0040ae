"""GAN data augmentation on MNIST as a study (python -m experiments.augment): label budgets
100, 300, 1 000 and 3 000 (class-balanced), synthetic ratios 0, 0.5, 1, 3 and 10, seeds 0-2.

Per budget n and seed: cgan_mnist's class-conditional DCGAN (dcgan_mnist's recipe at a
quarter of dcgan's width, R1, a projection discriminator) trained on the n labelled images
alone, 5 000 steps of 64 for every n (half of cgan_mnist's budget on all 54 000); its
classifier-FID, precision/recall and class agreement against the test split (5 000
samples, runs/classifier_mnist's feature space); then for each ratio r a small CNN
classifier (classifier_mnist's with 16 and 32 channels and 64 features, to fit the study's
72 classifier runs in a CPU budget) trained 1 000 steps (Adam 1e-3, cosine decay) on
batches of 16 real images plus 16 r samples (the real images in the same order for every r,
so each is seen equally often in every arm; its share of a batch's loss is 1 / (1 + r)), and
on 10 n samples alone (CAS); each scored once on the full 10 000-image test split. The
classifier's budget is fixed by rule (1 000 steps, 16 real images each, whatever n), not
tuned.
"""
import ml_collections

from experiments.configs import base, cgan_mnist, classifier_mnist


def get_config(arg=None):
  c = ml_collections.ConfigDict()
  c.seeds = (0, 1, 2)
  c.budgets = (100, 300, 1000, 3000)
  c.ratios = (0, 0.5, 1, 3, 10)
  c.real_per_batch = 16
  c.quality_classifier = "runs/classifier_mnist"   # '' skips the GAN's quality numbers
  c.quality_samples = 5_000
  c.gan = cgan_mnist.get_config(arg)
  c.classifier = classifier_mnist.get_config(arg)
  c.classifier.model.widths, c.classifier.model.feature_dim = (16, 32), 64
  base.budget(c.gan, arg, 5_000, 500, 1_000)
  base.budget(c.classifier, arg, 1_000, 500, 1_000)
  if arg == "smoke":
    c.seeds, c.budgets, c.ratios, c.real_per_batch = (0, 1), (20,), (0, 1), 16
    c.quality_classifier, c.quality_samples = "", 100
  return c
