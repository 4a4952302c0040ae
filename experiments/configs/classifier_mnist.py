"""The mnist feature classifier (CNN, 7.5 epochs): its test accuracy is reported beside every
classifier-FID computed with it."""
from experiments.configs import classifier


def get_config(arg=None):
  return classifier.get_config("mnist", arg)
