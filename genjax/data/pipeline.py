"""Batch order and preprocessing.

Order: the batch at global step s is a pure function of (seed, epoch, step), so a resumed
run reads exactly the batches an uninterrupted one would; each process takes only its
slice of every global batch. Preprocessing runs on device, inside the compiled step, on
the uint8 levels the host sends.
"""
import functools
from typing import Dict

import jax
import jax.numpy as jnp
import numpy as np

from genjax.data.sources import Info, Split


class Batches:
  """`batches(step)` -> this process's part of the global batch at that step (numpy).

  With `real_per_batch` m > 0 on a split with appended examples (`data.augment_with`),
  every batch is m of the original examples, in the order a batch of m from them alone
  would take, followed by the rest drawn from the appended ones: a fixed mixing proportion,
  and each original example seen as often as without the appended ones. An epoch is then a
  pass over the original examples. Each process (and device) takes a contiguous slice of
  the global batch, so the original rows sit on the first shards: the losses average over
  the global batch, but per-device statistics would see unmixed shards.
  """

  def __init__(self, split: Split, global_batch: int, seed: int,
               process_index: int = 0, process_count: int = 1, shuffle: bool = True,
               real_per_batch: int = 0):
    self.split, self.global_batch, self.seed, self.shuffle = split, global_batch, seed, shuffle
    if real_per_batch and (split.appended_from is None or not shuffle):
      raise ValueError("real_per_batch needs a split with appended examples, shuffled")
    self.real_per_batch = real_per_batch
    first = split.appended_from if real_per_batch else len(split)
    self.steps_per_epoch = first // (self.real_per_batch or global_batch)
    local = global_batch // process_count
    self._rows = slice(process_index * local, (process_index + 1) * local)

  @functools.lru_cache(maxsize=2)
  def permutation(self, epoch: int) -> np.ndarray:
    """The epoch's order of rows: steps_per_epoch consecutive global batches."""
    if not self.shuffle:  # The benchmark workloads' rule: sequential, the same every epoch.
      return np.arange(len(self.split))
    if self.real_per_batch:
      return self._mixed(epoch)
    return self._order(len(self.split), epoch)

  def _order(self, n: int, epoch: int) -> np.ndarray:
    return np.random.default_rng([self.seed, epoch]).permutation(n)

  def _mixed(self, epoch: int) -> np.ndarray:
    """Original rows as their own permutation orders them, then appended rows, taken from
    a stream of seeded permutations of them, so each is used equally often across epochs."""
    n_real, m, steps = self.split.appended_from, self.real_per_batch, self.steps_per_epoch
    real = self._order(n_real, epoch)[:steps * m]     # what a run on the originals alone reads
    n_extra, k = len(self.split) - n_real, self.global_batch - m
    pos = np.arange(epoch * steps * k, (epoch + 1) * steps * k)
    first, last = pos[0] // n_extra, pos[-1] // n_extra
    stream = np.concatenate([np.random.default_rng([self.seed, c, 1]).permutation(n_extra)
                             for c in range(first, last + 1)])
    extra = n_real + stream[pos - first * n_extra]
    return np.concatenate([real.reshape(steps, m), extra.reshape(steps, k)], 1).reshape(-1)

  def indices(self, step: int) -> np.ndarray:
    epoch, i = divmod(step, self.steps_per_epoch)
    batch = self.permutation(epoch)[i * self.global_batch:(i + 1) * self.global_batch]
    return batch[self._rows]

  def __call__(self, step: int) -> Dict[str, np.ndarray]:
    return take(self.split, self.indices(step))


def take(split: Split, idx) -> Dict[str, np.ndarray]:
  out = {"x": split.x[idx]}
  if split.label is not None:
    out["label"] = split.label[idx]
  return out


def eval_batches(split: Split, global_batch: int, process_index: int = 0, process_count: int = 1):
  """The whole split in order, the last batch padded; yields (batch, mask) with mask 1 on real rows."""
  local = global_batch // process_count
  n = len(split)
  for start in range(0, n, global_batch):
    idx = np.arange(start, start + global_batch)[process_index * local:(process_index + 1) * local]
    mask = (idx < n).astype(np.float32)
    yield take(split, np.minimum(idx, n - 1)), mask


def make_preprocess(cfg, info: Info):
  """Returns preprocess(x, rng) -> float32, as the config states it.

  Images are first mapped to [0, 1]: with uniform dequantisation, (x + u) / L, u ~ U[0, 1)
  (a continuous density on [0, 1] whose bits/dim bound the discrete model's); without, x / (L - 1).
  Then optionally binarised, dynamically (x' ~ Bernoulli(x), fresh every step) or by a
  fixed 0.5 threshold, and finally scaled to [-1, 1] if asked.
  """
  levels = info.num_levels

  def preprocess(x, rng, uniform=jax.random.uniform):
    """`uniform(key, shape)` draws the dequantisation and binarisation noise (inside a
    per-device step: a slice of the global batch's draw)."""
    if levels == 0:
      return x.astype(jnp.float32)
    rng_deq, rng_bin = jax.random.split(rng)
    shape = x.shape  # Elementwise work on a flat view: XLA's CPU kernels are slow on (B, H, W, 1).
    x = x.reshape(shape[0], -1).astype(jnp.float32)
    if cfg.dequantize:
      x = (x + uniform(rng_deq, x.shape)) / levels
    else:
      x = x / (levels - 1)
    if cfg.binarize == "dynamic":
      x = (uniform(rng_bin, x.shape) < x).astype(jnp.float32)
    elif cfg.binarize == "threshold":
      x = (x >= 0.5).astype(jnp.float32)
    if cfg.scale == "[-1,1]":
      x = 2.0 * x - 1.0
    return x.reshape(shape)

  preprocess.levels = integer_levels(cfg, info)
  return preprocess


def integer_levels(cfg, info: Info):
  """levels(raw, x) -> int32 categorical targets of a batch, or None for continuous data.

  An autoregressive model's targets: the stored levels 0..num_levels-1 (dequantised or not,
  the integers are what `x` was made from), or 0/1 when the config binarises, taken from the
  binarised `x` itself so targets and inputs agree."""
  if info.num_levels == 0:
    return lambda raw, x: None
  if cfg.binarize == "none":
    return lambda raw, x: raw.astype(jnp.int32)
  threshold = 0.0 if cfg.scale == "[-1,1]" else 0.5
  return lambda raw, x: (x > threshold).astype(jnp.int32)


def to_unit_interval(x, cfg):
  """Model-space images back to [0, 1] for display."""
  x = np.asarray(x, np.float32)
  if cfg.scale == "[-1,1]":
    x = (x + 1.0) / 2.0
  return np.clip(x, 0.0, 1.0)


def protocol(cfg, info: Info) -> Dict[str, object]:
  """The preprocessing facts a likelihood number depends on, for every report."""
  if info.binarization == "static":
    binarization = ("static (Larochelle & Murray 2011, fixed)" if cfg.name == "binarized_mnist"
                    else "none needed (binary by construction)")
  else:
    binarization = {"none": "none", "dynamic": "dynamic (resampled every step)",
                    "threshold": "threshold at 0.5 (fixed)"}[cfg.binarize]
  targets = ("none" if not info.num_levels else "0/1 (binarised)" if
             (info.binarization == "static" or cfg.binarize != "none") else f"levels 0..{info.num_levels - 1}")
  return {"dataset": cfg.name, "binarization": binarization, "integer_targets": targets,
          "dequantization": "uniform" if cfg.dequantize else "none",
          "scale": cfg.scale if info.num_levels else "raw", "num_levels": info.num_levels}
