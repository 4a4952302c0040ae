"""Exact coding with an autoregressive model of binary pixels: each image is pushed under
p(x_i | x_<i), last pixel first, so decoding pops the first pixel first and computes each
conditional from the pixels already decoded. The encoder reads all conditionals from one
pass over the whole image; the decoder, from one pass per pixel over the image decoded so
far (zeros after it). A causal network gives both the same floats: the pixels it must not
see enter only through weights that are exactly zero.
"""
from typing import Callable

import numpy as np

from genjax.compression import ans


def encode(m: ans.Message, x, conditionals: Callable, order, precision: int = 16) -> None:
  """x (lanes, D) of 0/1; conditionals(x) -> p(x_i = 1 | x_<i) for every i, (lanes, D);
  order: the model's pixel order (flat indices)."""
  x = np.asarray(x, bool)
  f1 = ans.bernoulli_freqs(conditionals(x), precision)
  for i in reversed(order):
    ans.push_bernoulli(m, x[:, i], f1[:, i], precision)


def decode(m: ans.Message, dims: int, conditionals: Callable, order, precision: int = 16) -> np.ndarray:
  x = np.zeros((m.lanes, dims), bool)
  for i in order:
    f1 = ans.bernoulli_freqs(conditionals(x)[:, i], precision)
    x[:, i] = ans.pop_bernoulli(m, f1, precision)
  return x
