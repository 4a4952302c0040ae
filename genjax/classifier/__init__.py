"""Classifiers: the feature networks genjax's sample-quality metrics use (classifier FID,
precision/recall, classifier score), trained by the same trainer as every generative model."""
from genjax.classifier.method import State, build
from genjax.classifier.modules import ConvClassifier, MLPClassifier

__all__ = ["ConvClassifier", "MLPClassifier", "State", "build"]
