"""Classifier networks (Flax linen). `features` is the penultimate layer, what the
Fréchet distance and precision/recall compare; `__call__` gives the class logits."""
from typing import Sequence

import flax.linen as nn


class ConvClassifier(nn.Module):
  """[Conv 3x3 -> ReLU -> max-pool 2] per width, -> Dense(feature_dim) ReLU -> dropout -> Dense(classes)."""
  num_classes: int = 10
  widths: Sequence[int] = (32, 64)
  feature_dim: int = 128
  dropout: float = 0.5

  def setup(self):
    self.convs = [nn.Conv(w, (3, 3)) for w in self.widths]
    self.hidden = nn.Dense(self.feature_dim)
    self.drop = nn.Dropout(self.dropout)
    self.out = nn.Dense(self.num_classes)

  def features(self, x):
    h = x
    for conv in self.convs:
      h = nn.max_pool(nn.relu(conv(h)), (2, 2), (2, 2))
    return nn.relu(self.hidden(h.reshape(h.shape[0], -1)))

  def __call__(self, x, train: bool = False):
    return self.out(self.drop(self.features(x), deterministic=not train))


class MLPClassifier(nn.Module):
  """Dense(h) ReLU ... -> dropout -> Dense(classes); the last hidden layer is the feature layer."""
  num_classes: int = 10
  widths: Sequence[int] = (512, 128)
  dropout: float = 0.5

  def setup(self):
    self.layers = [nn.Dense(w) for w in self.widths]
    self.drop = nn.Dropout(self.dropout)
    self.out = nn.Dense(self.num_classes)

  def features(self, x):
    h = x.reshape(x.shape[0], -1)
    for layer in self.layers:
      h = nn.relu(layer(h))
    return h

  def __call__(self, x, train: bool = False):
    return self.out(self.drop(self.features(x), deterministic=not train))
