"""Named data sets, loaded whole into host memory as numpy.

Images are uint8 arrays (N, H, W, C) holding integer levels 0..num_levels-1; toy 2-D
densities are float32 arrays (N, 2) with num_levels = 0. Nothing here downloads unless
the config says `download=True`: offline, a data set is read from files the user points
`manual_dir` at (TFDS verifies them against its registered checksums) or from data
embedded in the installed packages.
"""
import dataclasses
import functools
import hashlib
import os
import shutil
import socket
import tempfile
from typing import Callable, Dict, Optional, Tuple

import numpy as np

from genjax.data import toy2d
from genjax.errors import DataError


@dataclasses.dataclass(frozen=True)
class Info:
  """What a model needs to know about a data set before any of it is read."""
  shape: Tuple[int, ...]       # one example, e.g. (28, 28, 1) or (2,)
  num_levels: int              # 256 for 8-bit images, 2 for binary, 0 for continuous
  num_classes: int             # 0 when the data set has no labels
  splits: Tuple[str, ...]
  binarization: str = "none"   # 'static' when the stored data is already a fixed binarisation

  @property
  def is_image(self) -> bool:
    return len(self.shape) == 3


class Rows:
  """Rows `index` of an array on disk (a memory map), read only when taken: indexing reads
  those rows (a batch); `select` narrows the index without reading (carving a validation
  split, a subset). So a training split need not fit in host memory."""

  def __init__(self, array: np.ndarray, index=None):
    self.array = array
    self.index = np.arange(len(array)) if index is None else np.asarray(index)

  def __len__(self):
    return len(self.index)

  @property
  def shape(self):
    return (len(self.index),) + self.array.shape[1:]

  @property
  def dtype(self):
    return self.array.dtype

  @property
  def nbytes(self):
    return len(self.index) * self.array[:1].nbytes

  def __getitem__(self, key) -> np.ndarray:
    return np.asarray(self.array[self.index[key]])

  def select(self, key) -> "Rows":
    return Rows(self.array, self.index[key])

  def __array__(self, dtype=None, copy=None):   # every row: for small (evaluation) splits
    return self[:] if dtype is None else self[:].astype(dtype)


def on_disk(cfg) -> bool:
  """Whether config.data keeps its training split on disk (data.storage='disk')."""
  return cfg.get("storage", "memory") == "disk"


def select(x, key):
  """x[key] without reading rows that stay on disk."""
  return x.select(key) if isinstance(x, Rows) else x[key]


@dataclasses.dataclass(frozen=True)
class Split:
  x: np.ndarray
  label: Optional[np.ndarray] = None
  appended_from: Optional[int] = None   # rows from here on came from data.augment_with

  def __len__(self):
    return len(self.x)


# Raw files TFDS expects in `manual_dir` for each data set it prepares offline.
_MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
_MANUAL_FILES = {
    "mnist": _MNIST_FILES,
    "fashion_mnist": _MNIST_FILES,
    "binarized_mnist": tuple(f"binarized_mnist_{s}.amat" for s in ("train", "valid", "test")),
    "cifar10": ("cifar-10-binary.tar.gz",),
}

# sha256 of the uint8 0/1 arrays of Larochelle & Murray's static binarisation: the .amat
# files TFDS registers, stored as `binarized_mnist.npz` (see ../shared/data/README.md).
BINARIZED_MNIST_NPZ = "binarized_mnist.npz"
_BINARIZED_MNIST_SHA256 = {
    "train": "43490d4d6ac9002727af4426d8748609fdb7e4094fa65ad8d681ea60082a7a5a",
    "valid": "069b4f0beb389b776478c3e872b4df71c95ac4be64d7cbe6d32e24ebac8e6d5e",
    "test": "ca0294c3b8d984c7a1dc891015a8eea6f37bae59a34e35ea0fc8c47110a8dd86",
}

INFOS: Dict[str, Info] = {
    "mnist": Info((28, 28, 1), 256, 10, ("train", "test")),
    "fashion_mnist": Info((28, 28, 1), 256, 10, ("train", "test")),
    "binarized_mnist": Info((28, 28, 1), 2, 0, ("train", "validation", "test"), "static"),
    "cifar10": Info((32, 32, 3), 256, 10, ("train", "test")),
    "digits": Info((8, 8, 1), 17, 10, ("train", "test")),
    "mnist_like": Info((28, 28, 1), 256, 10, ("train", "test")),
    "cifar_like": Info((32, 32, 3), 256, 10, ("train", "test")),
    "bars_and_stripes": Info((4, 4, 1), 2, 0, ("train", "test"), "static"),
    **{f"toy2d/{k}": Info((2,), 0, 0, ("train", "test")) for k in toy2d.SAMPLERS},
}


VALIDATION_SEED = 20_161_126   # the fixed draw of carved validation examples


def info(name: str) -> Info:
  return INFOS[name]


def split_names(name: str, cfg=None) -> Tuple[str, ...]:
  """The splits a run can name: the data set's own, and 'validation' carved from 'train'
  where it has none (unless data.validation_fraction is 0)."""
  own = INFOS[name].splits
  carve = cfg is None or cfg.get("validation_fraction", 0.0) > 0
  return own + (("validation",) if "validation" not in own and carve else ())


def load(cfg) -> Dict[str, Split]:
  """All splits of the data set `cfg.name`, as {'train': Split, 'test': Split, ...}, plus the
  concatenations the config names ('train+validation')."""
  if cfg.name.startswith("toy2d/"):
    splits = _toy2d(cfg.name.split("/", 1)[1], cfg)
  else:
    splits = _LOADERS.get(cfg.name, _tfds)(cfg)
  if on_disk(cfg) and not isinstance(splits[cfg.train_split].x, Rows):
    splits[cfg.train_split] = split_on_disk(cfg, cfg.train_split, splits[cfg.train_split])
  if "validation" not in splits and cfg.get("validation_fraction", 0.0) > 0:
    splits["train"], splits["validation"] = carve_validation(splits["train"], cfg.validation_fraction)
  for joined in {cfg.train_split, cfg.eval_split}:
    if "+" in joined:
      splits[joined] = concatenate(*(splits[p] for p in joined.split("+")))
  train = splits[cfg.train_split]
  if cfg.get("train_subset", 0):
    train = subset(train, cfg.train_subset, cfg.get("subset_seed", 0))
  if cfg.get("augment_with", ""):
    extra = read_npz(cfg.augment_with, INFOS[cfg.name])
    train = extra if cfg.get("augment_only", False) else dataclasses.replace(
        concatenate(train, extra), appended_from=len(train))
  splits[cfg.train_split] = train
  return splits


def carve_validation(train: Split, fraction: float):
  """(train, validation): a fixed random `fraction` of the training examples held out, the
  rest kept in their order. The same for every seed and run, so no run trains on another's
  validation examples."""
  n = max(1, int(round(fraction * len(train))))
  held = np.zeros(len(train), bool)
  held[np.random.default_rng(VALIDATION_SEED).permutation(len(train))[:n]] = True
  take = lambda mask: Split(select(train.x, mask), None if train.label is None else train.label[mask])
  return take(~held), take(held)


def subset(split: Split, n: int, seed: int) -> Split:
  """n examples drawn without replacement, the same number from each class when labelled
  (n must then be a multiple of the number of classes), in a seeded random order."""
  rng = np.random.default_rng([seed, n])
  if split.label is None:
    idx = rng.choice(len(split), n, replace=False)
  else:
    classes = np.unique(split.label)
    per = n // len(classes)
    if per * len(classes) != n or min(np.sum(split.label == c) for c in classes) < per:
      raise DataError(f"data.train_subset={n} is invalid: expected a multiple of the "
                      f"{len(classes)} classes with at most {len(split)} examples")
    idx = np.concatenate([rng.choice(np.flatnonzero(split.label == c), per, replace=False)
                          for c in classes])
    idx = rng.permutation(idx)
  return Split(select(split.x, idx), None if split.label is None else split.label[idx])


def concatenate(*parts: Split) -> Split:
  labels = (None if any(p.label is None for p in parts)
            else np.concatenate([p.label for p in parts]))
  return Split(np.concatenate([p.x for p in parts]), labels)


def read_npz(path: str, data_info: Info) -> Split:
  """Extra training examples (e.g. a GAN's samples): an .npz with 'x' of the data set's
  shape and dtype uint8 (levels as stored), and 'label' when the data set is labelled."""
  try:
    with np.load(path) as f:
      x, label = f["x"], (f["label"] if "label" in f else None)
  except (OSError, ValueError, KeyError) as e:
    raise DataError(f"data.augment_with={path!r} is unreadable ({e}): expected an .npz with "
                    f"arrays 'x' and 'label'") from None
  if x.dtype != np.uint8 or x.shape[1:] != data_info.shape:
    raise DataError(f"data.augment_with={path!r} holds x {x.dtype}{x.shape}: expected uint8 "
                    f"images of shape (N, {', '.join(map(str, data_info.shape))})")
  if data_info.num_classes and (label is None or label.shape != (len(x),) or label.min() < 0
                                or label.max() >= data_info.num_classes):
    raise DataError(f"data.augment_with={path!r} needs 'label', one integer in "
                    f"[0, {data_info.num_classes}) per image")
  return Split(x, None if label is None else label.astype(np.int32))


def _toy2d(kind, cfg):
  # Disjoint seeds per split; the training set is large enough to act as the density.
  return {"train": Split(toy2d.generate(kind, cfg.toy2d_train_size, seed=2 * cfg.toy2d_seed)),
          "test": Split(toy2d.generate(kind, cfg.toy2d_test_size, seed=2 * cfg.toy2d_seed + 1))}


def _made_once(generate):
  """An embedded data set that ignores the config (generated from fixed seeds, or
  scikit-learn's bundled digits) is made once per process; each load gets its own copies."""
  made = functools.cache(lambda: generate(None))

  @functools.wraps(generate)
  def load(cfg):
    return {name: dataclasses.replace(split, x=split.x.copy(),
                                      label=None if split.label is None else split.label.copy())
            for name, split in made().items()}
  return load


@_made_once
def _digits(cfg):
  """scikit-learn's bundled 1 797 8x8 digits (levels 0..16): a fixed 1 500 / 297 split."""
  from sklearn.datasets import load_digits
  d = load_digits()
  x = d.images.astype(np.uint8)[..., None]
  y = d.target.astype(np.int32)
  order = np.random.default_rng(0).permutation(len(x))
  train, test = order[:1500], order[1500:]
  return {"train": Split(x[train], y[train]), "test": Split(x[test], y[test])}


def mnist_like_uint8(n=12800, seed=0, sample_seed=None):
  """The benchmark workloads' synthetic MNIST (../shared/WORKLOADS.md, normative): 10
  per-pixel logit prototypes plus noise, squashed to uint8. Returns (images, labels).
  With `sample_seed`, more images of the same prototypes (drawn from that seed)."""
  rng = np.random.default_rng(seed)
  protos = rng.standard_normal((10, 784), dtype=np.float32) * 2.0 - 1.0
  if sample_seed is not None:
    rng = np.random.default_rng(sample_seed)
  labels = rng.integers(0, 10, size=n)
  logits = protos[labels] + rng.standard_normal((n, 784), dtype=np.float32)
  u8 = np.rint(255.0 / (1.0 + np.exp(-logits.astype(np.float64)))).astype(np.uint8)
  return u8, labels


@_made_once
def _mnist_like(cfg):
  """Procedural and embedded: the 12 800 benchmark images as 'train', 500 more images of
  the same prototypes (noise and labels from seed 1) as 'test'."""
  def split(n, sample_seed):
    u8, labels = mnist_like_uint8(n, 0, sample_seed)
    return Split(u8.reshape(-1, 28, 28, 1), labels.astype(np.int32))
  return {"train": split(12800, None), "test": split(500, 1)}


@_made_once
def _cifar_like(cfg):
  """Procedural colour images (generated, nothing to read) with CIFAR-10's shape: 10 smooth prototype
  pictures (per-pixel logits at 8x8, upsampled) plus noise; 2 560 'train', 512 'test'."""
  rng = np.random.default_rng(0)
  protos = np.kron(rng.standard_normal((10, 8, 8, 3)) * 1.5, np.ones((1, 4, 4, 1)))

  def split(n, seed):
    r = np.random.default_rng(seed)
    labels = r.integers(0, 10, size=n)
    logits = protos[labels] + 0.5 * r.standard_normal((n, 32, 32, 3))
    return Split(np.rint(255.0 / (1.0 + np.exp(-logits))).astype(np.uint8), labels.astype(np.int32))
  return {"train": split(2560, 1), "test": split(512, 2)}


def bars_and_stripes_patterns(side: int = 4) -> np.ndarray:
  """The distinct bars-and-stripes images (MacKay 2003): every image whose rows are each all 0
  or all 1 (stripes), or whose columns are (bars); 2 * 2^side - 2 of them, (N, side, side, 1)."""
  codes = ((np.arange(2 ** side)[:, None] >> np.arange(side)) & 1).astype(np.uint8)
  stripes = np.repeat(codes[:, :, None], side, axis=2)
  patterns = np.unique(np.concatenate([stripes, stripes.transpose(0, 2, 1)]), axis=0)
  return patterns[..., None]


def _bars_and_stripes(cfg):
  """Generated, nothing to read: 3 000 'train' and 1 000 'test' images drawn uniformly from the
  30 distinct 4x4 bars-and-stripes patterns (so the data's entropy is log 30 nats)."""
  patterns = bars_and_stripes_patterns()
  draw = lambda n, seed: Split(patterns[np.random.default_rng(seed).integers(0, len(patterns), n)])
  return {"train": draw(3000, 0), "test": draw(1000, 1)}


def _binarized_mnist(cfg):
  npz = os.path.join(cfg.manual_dir, BINARIZED_MNIST_NPZ) if cfg.manual_dir else ""
  if npz and os.path.exists(npz):
    return _binarized_mnist_npz(npz)
  return _tfds(cfg)


def _binarized_mnist_npz(path):
  try:
    with np.load(path, allow_pickle=False) as z:
      arrays = {k: z[k] for k in ("train", "valid", "test")}
  except Exception as e:  # zip/CRC errors, missing keys, pickled content
    raise DataError(f"{path} is not a readable binarized MNIST archive ({type(e).__name__}: "
                    f"{e}); expected an .npz with uint8 arrays train, valid, test") from None
  for split, a in arrays.items():
    digest = hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()
    if a.dtype != np.uint8 or a.ndim != 2 or a.shape[1] != 784 or digest != _BINARIZED_MNIST_SHA256[split]:
      raise DataError(f"{path}: split '{split}' ({a.dtype}{list(a.shape)}, sha256 {digest[:12]}…) "
                      f"is not Larochelle & Murray's static binarisation (expected uint8 (N, 784), "
                      f"sha256 {_BINARIZED_MNIST_SHA256[split][:12]}…)")
  as_images = lambda a: a.reshape(-1, 28, 28, 1)
  return {"train": Split(as_images(arrays["train"])),
          "validation": Split(as_images(arrays["valid"])),
          "test": Split(as_images(arrays["test"]))}


def _tfds(cfg):
  """A TFDS data set, prepared from `manual_dir` or (only if asked) downloaded."""
  import tensorflow_datasets as tfds  # Imported lazily: it pulls in TensorFlow.
  _hide_gpus_from_tensorflow()
  builder = tfds.builder(cfg.name, data_dir=cfg.data_dir or None)
  if not builder.is_prepared():
    _prepare(tfds, builder, cfg)
  out = {}
  for split in INFOS[cfg.name].splits:
    if on_disk(cfg) and split == cfg.train_split:
      out[split] = _tfds_on_disk(tfds, builder, split, cfg)
      continue
    arrays = tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1))
    out[split] = Split(np.asarray(arrays["image"], np.uint8),
                       np.asarray(arrays["label"], np.int32) if "label" in arrays else None)
  return out


def _tfds_on_disk(tfds, builder, split, cfg):
  """The split streamed from TFDS into its on-disk cache (once), 10 000 examples at a time."""
  def chunks():
    for arrays in tfds.as_numpy(builder.as_dataset(split=split, batch_size=10_000)):
      yield np.asarray(arrays["image"], np.uint8), arrays.get("label")
  n = builder.info.splits[split].num_examples
  return rows_on_disk(cache_path(cfg, f"{builder.name}-{builder.info.version}", split), n,
                      INFOS[cfg.name].shape, np.uint8, chunks)


# --- data.storage='disk': the training split memory-mapped from a cache file ----------------

def cache_path(cfg, source: str, split: str) -> str:
  """<data_dir or ~/tensorflow_datasets>/genjax_rows/<source>-<split>: the cache's prefix."""
  root = cfg.data_dir or os.path.join(os.path.expanduser("~"), "tensorflow_datasets")
  return os.path.join(root, "genjax_rows", f"{source}-{split}")


def split_on_disk(cfg, name: str, split: Split) -> Split:
  """A split already in memory (embedded or generated data) through the same on-disk cache,
  keyed by its contents."""
  digest = hashlib.sha256(np.ascontiguousarray(split.x).tobytes()).hexdigest()[:16]
  return rows_on_disk(cache_path(cfg, f"{cfg.name}-{digest}", name), len(split), split.x.shape[1:],
                      split.x.dtype, lambda: [(split.x, split.label)])


def rows_on_disk(prefix: str, n: int, shape, dtype, chunks) -> Split:
  """The split whose rows `chunks()` yields as (x, label or None) arrays, in order: written
  once to <prefix>.x.npy (and .label.npy) by a temporary file renamed when complete, then
  memory-mapped. A cache of the wrong shape or type is one line naming it."""
  x_path, label_path = prefix + ".x.npy", prefix + ".label.npy"
  if not os.path.exists(x_path):
    os.makedirs(os.path.dirname(prefix), exist_ok=True)
    tmp = f"{prefix}.{socket.gethostname()}.{os.getpid()}.tmp.x.npy"   # hosts may share the directory
    out, labels, i = np.lib.format.open_memmap(tmp, "w+", np.dtype(dtype), (n,) + tuple(shape)), [], 0
    for x, label in chunks():
      out[i:i + len(x)], i = x, i + len(x)
      if label is not None:
        labels.append(np.asarray(label, np.int32))
    if i != n:
      os.remove(tmp)
      raise DataError(f"the source of {x_path} gave {i} rows: expected {n}")
    out.flush()
    del out
    if labels:   # labels first, each file renamed whole: a complete .x.npy has its labels
      tmp_labels = tmp[:-len(".x.npy")] + ".label.npy"
      np.save(tmp_labels, np.concatenate(labels))
      os.replace(tmp_labels, label_path)
    os.replace(tmp, x_path)
  x = np.load(x_path, mmap_mode="r")
  if x.shape != (n,) + tuple(shape) or x.dtype != np.dtype(dtype):
    raise DataError(f"{x_path} holds {x.dtype}{x.shape}: expected {np.dtype(dtype)}{(n,) + tuple(shape)}; "
                    f"delete it and it is rebuilt")
  label = np.load(label_path) if os.path.exists(label_path) else None
  if label is not None and label.shape != (n,):
    raise DataError(f"{label_path} holds {label.shape[0]} labels: expected {n}; delete it and {x_path} "
                    f"and they are rebuilt")
  return Split(Rows(x), label)


def _prepare(tfds, builder, cfg):
  where = builder.data_dir
  if cfg.manual_dir:
    missing = [f for f in _MANUAL_FILES[cfg.name]
               if not os.path.exists(os.path.join(cfg.manual_dir, f))]
    if missing:
      extra = f" (or {BINARIZED_MNIST_NPZ})" if cfg.name == "binarized_mnist" else ""
      raise DataError(f"config.data.manual_dir={cfg.manual_dir!r} lacks {', '.join(missing)}{extra}: "
                      f"expected the raw files of '{cfg.name}'")
    download_config = tfds.download.DownloadConfig(manual_dir=cfg.manual_dir)
  elif cfg.download:
    download_config = tfds.download.DownloadConfig()
  else:
    raise DataError(f"data set '{cfg.name}' is not prepared under {where}: set "
                    f"--config.data.manual_dir=<folder with {', '.join(_MANUAL_FILES[cfg.name])}> "
                    f"to prepare it offline, or --config.data.download=True to download it")
  from tensorflow_datasets.core.download import download_manager
  # TFDS extracts manual files to <download_dir>/extracted/GZIP.<basename>: MNIST and
  # Fashion-MNIST share basenames, so with a shared download dir the second data set
  # prepared is silently built from the first one's pixels. Each preparation gets its own.
  root = cfg.data_dir or os.path.dirname(os.path.dirname(builder.data_dir.rstrip("/")))
  os.makedirs(root, exist_ok=True)
  download_dir = tempfile.mkdtemp(prefix=f"downloads.{cfg.name}.", dir=root)
  try:
    builder.download_and_prepare(download_dir=download_dir, download_config=download_config)
  except download_manager.NonMatchingChecksumError as e:
    bad = str(e).split("downloaded to ", 1)[-1].split(",", 1)[0]
    raise DataError(f"{bad} does not match the checksum TFDS registers for '{cfg.name}': "
                    f"the file is corrupt or not the original") from None
  finally:
    # After a failed checksum TFDS's other extraction threads may still be writing here,
    # so a strict removal can fail and hide the one-line error behind an OSError.
    shutil.rmtree(download_dir, ignore_errors=True)


def _hide_gpus_from_tensorflow():
  # TFDS runs on TensorFlow; keep TF off accelerators so it cannot take JAX's memory.
  try:
    import tensorflow as tf
    tf.config.set_visible_devices([], "GPU")
  except Exception:  # Already initialised, or a CPU-only build.
    pass


_LOADERS: Dict[str, Callable] = {"digits": _digits, "mnist_like": _mnist_like, "cifar_like": _cifar_like,
                                 "binarized_mnist": _binarized_mnist, "bars_and_stripes": _bars_and_stripes}
