"""Bits-back coding with ANS (BB-ANS; Townsend, Bird & Barber 2019) for a latent-variable
model with a diagonal Gaussian posterior q(z|x), a standard normal prior and a Bernoulli
likelihood p(x|z), one image per lane of the message:

  encode x:  pop z ~ q(z|x)        (the bits "borrowed back")
             push x under p(x|z)
             push z under p(z)
  decode:    pop z under p(z); pop x under p(x|z); push z under q(z|x)  (returns the bits)

so each image costs log q(z|x) - log p(x|z) - log p(z) bits on average: the negative ELBO of
the discretised latent. Each latent coordinate is discretised into 2^latent_bits buckets of
equal prior mass (the prior costs exactly latent_bits per coordinate; the decoder reads each
bucket's centre in prior quantiles). The coding distributions are integer frequencies
computed in float64 numpy from the model's float32 outputs, so the encoder and the decoder
agree as long as the model gives them the same floats for the same inputs.
"""
import dataclasses
from typing import Callable

import numpy as np
from scipy.special import ndtr, ndtri

from genjax.compression import ans


@dataclasses.dataclass(frozen=True)
class Codec:
  posterior: Callable      # x (lanes, D) bool -> (mean, std), each (lanes, latents)
  likelihood: Callable     # z (lanes, latents) float32 -> p(x_d = 1 | z), (lanes, D)
  latent_bits: int = 8     # buckets per latent coordinate: 2^latent_bits
  posterior_precision: int = 28   # far above latent_bits: each bucket's floor of one count is then negligible mass
  pixel_precision: int = 16


def bucket_edges(latent_bits: int) -> np.ndarray:
  """The 2^b + 1 edges of buckets of equal standard-normal mass, -inf and inf at the ends."""
  return ndtri(np.arange((1 << latent_bits) + 1) / (1 << latent_bits))


def bucket_centres(latent_bits: int) -> np.ndarray:
  """Each bucket's median under the prior: the z the decoder sees for it."""
  k = 1 << latent_bits
  return ndtri((np.arange(k) + 0.5) / k).astype(np.float32)


def posterior_freqs(mean, std, codec: Codec) -> np.ndarray:
  """q(z|x)'s mass on each bucket, as integer frequencies: (lanes, latents, 2^b)."""
  edges = bucket_edges(codec.latent_bits)
  mean, std = np.asarray(mean, np.float64)[..., None], np.asarray(std, np.float64)[..., None]
  cdf = ndtr((edges - mean) / std)
  return ans.categorical_freqs(np.maximum(np.diff(cdf, axis=-1), 0.0), codec.posterior_precision)


def encode(m: ans.Message, x, codec: Codec) -> None:
  """Push one binary image per lane: x (lanes, D) of 0/1."""
  x = np.asarray(x, bool)
  freqs = posterior_freqs(*codec.posterior(x), codec)
  z = np.stack([ans.pop_categorical(m, freqs[:, j], codec.posterior_precision)
                for j in range(freqs.shape[1])], 1)
  f1 = ans.bernoulli_freqs(codec.likelihood(bucket_centres(codec.latent_bits)[z]), codec.pixel_precision)
  for d in range(x.shape[1]):
    ans.push_bernoulli(m, x[:, d], f1[:, d], codec.pixel_precision)
  for j in range(z.shape[1]):
    ans.push_uniform(m, z[:, j], codec.latent_bits)


def decode(m: ans.Message, latents: int, dims: int, codec: Codec) -> np.ndarray:
  """Pop the last image of every lane: (lanes, D) bool."""
  z = np.zeros((m.lanes, latents), np.int64)
  for j in reversed(range(latents)):
    z[:, j] = ans.pop_uniform(m, codec.latent_bits)
  f1 = ans.bernoulli_freqs(codec.likelihood(bucket_centres(codec.latent_bits)[z]), codec.pixel_precision)
  x = np.zeros((m.lanes, dims), bool)
  for d in reversed(range(dims)):
    x[:, d] = ans.pop_bernoulli(m, f1[:, d], codec.pixel_precision)
  freqs = posterior_freqs(*codec.posterior(x), codec)
  for j in reversed(range(latents)):
    ans.push_categorical(m, z[:, j], freqs[:, j], codec.posterior_precision)
  return x
