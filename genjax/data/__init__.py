"""Data: named data sets, deterministic batch order, preprocessing stated in the config."""
import os

from genjax.data.pipeline import (Batches, eval_batches, make_preprocess, protocol, take,
                                  to_unit_interval)
from genjax.data.sources import INFOS, Info, Rows, Split, info, load, split_names
from genjax.errors import ConfigError

BINARIZE = ("none", "dynamic", "threshold")
SCALES = ("[0,1]", "[-1,1]")


def validate(cfg) -> Info:
  """Checks config.data before anything is read; returns the data set's Info."""
  if cfg.name not in INFOS:
    raise ConfigError("data.name", cfg.name, "one of " + ", ".join(sorted(INFOS)))
  data_info = INFOS[cfg.name]
  if not 0.0 <= cfg.validation_fraction < 1.0:
    raise ConfigError("data.validation_fraction", cfg.validation_fraction,
                      "a fraction in [0, 1) of 'train' held out as 'validation' (0: none)")
  names = split_names(cfg.name, cfg)
  for field in ("train_split", "eval_split"):
    if any(part not in names for part in cfg[field].split("+")):
      raise ConfigError(f"data.{field}", cfg[field],
                        f"a split of {cfg.name} ({', '.join(names)}) or several joined by '+'")
  if set(cfg.train_split.split("+")) & set(cfg.eval_split.split("+")):
    raise ConfigError("data.eval_split", cfg.eval_split, f"a split the run does not train on "
                      f"(data.train_split={cfg.train_split!r}): monitor on 'validation'")
  if cfg.binarize not in BINARIZE:
    raise ConfigError("data.binarize", cfg.binarize, "one of " + ", ".join(BINARIZE))
  if cfg.scale not in SCALES:
    raise ConfigError("data.scale", cfg.scale, "one of " + ", ".join(SCALES))
  if data_info.binarization == "static" and (cfg.binarize != "none" or cfg.dequantize):
    raise ConfigError("data.binarize", cfg.binarize,
                      f"'none' and dequantize=False for {cfg.name}, which is already binary")
  if cfg.binarize != "none" and cfg.dequantize:
    raise ConfigError("data.dequantize", cfg.dequantize, "False when data.binarize is set")
  if not (isinstance(cfg.get("train_subset", 0), int) and cfg.get("train_subset", 0) >= 0):
    raise ConfigError("data.train_subset", cfg.train_subset, "a non-negative integer (0: the whole split)")
  if cfg.get("augment_with", "") and not os.path.isfile(cfg.augment_with):
    raise ConfigError("data.augment_with", cfg.augment_with, "an existing .npz file")
  m = cfg.get("real_per_batch", 0)
  if not (isinstance(m, int) and not isinstance(m, bool) and m >= 0):
    raise ConfigError("data.real_per_batch", m, "a non-negative integer (0: uniform over the union)")
  for field in ("real_per_batch", "augment_only"):
    if cfg.get(field) and not cfg.get("augment_with", ""):
      raise ConfigError(f"data.{field}", cfg[field], "its default: it needs data.augment_with")
  if m and cfg.get("augment_only", False):
    raise ConfigError("data.real_per_batch", m, "0 with data.augment_only (no original examples)")
  if cfg.manual_dir and not os.path.isdir(cfg.manual_dir):
    raise ConfigError("data.manual_dir", cfg.manual_dir, "an existing directory holding the raw files")
  if cfg.data_dir and os.path.exists(cfg.data_dir) and not os.path.isdir(cfg.data_dir):
    raise ConfigError("data.data_dir", cfg.data_dir, "a directory (new, or a TFDS data dir), not a file")
  for field in ("toy2d_train_size", "toy2d_test_size"):
    if not (isinstance(cfg[field], int) and cfg[field] > 0):
      raise ConfigError(f"data.{field}", cfg[field], "a positive integer")
  for field in ("subset_seed", "toy2d_seed"):
    if not (isinstance(cfg[field], int) and cfg[field] >= 0):
      raise ConfigError(f"data.{field}", cfg[field], "a non-negative integer")
  validate_storage(cfg)
  return data_info


STORAGES = ("memory", "disk")


def validate_storage(cfg):
  """data.storage='disk' memory-maps one of the data set's own splits as the training split."""
  storage = cfg.get("storage", "memory")
  if storage not in STORAGES:
    raise ConfigError("data.storage", storage, "one of " + ", ".join(STORAGES))
  if storage == "disk" and (cfg.train_split not in INFOS[cfg.name].splits or cfg.get("augment_with", "")):
    raise ConfigError("data.storage", storage, f"'memory' with data.train_split={cfg.train_split!r} and "
                      f"augment_with={cfg.get('augment_with', '')!r}: on disk the training split is one of "
                      f"{cfg.name}'s own ({', '.join(INFOS[cfg.name].splits)}), nothing appended")


__all__ = ["Batches", "Info", "Rows", "Split", "eval_batches", "info", "load", "make_preprocess",
           "protocol", "split_names", "take", "to_unit_interval", "validate"]
