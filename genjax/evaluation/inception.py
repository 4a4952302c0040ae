"""The standard FID's feature network, optional: Inception-v3 as the FID code of Heusel et
al. (TTUR) and pytorch-fid define it, in Flax, for user-supplied weights.

genjax never downloads weights and nothing depends on this path: the in-repo classifier's
FID is the default. To compute the standard FID, convert pytorch-fid's
`pt_inception-2015-12-05-6726825d.pth` once with `experiments/reference/convert_inception.py`
and pass `--inception_weights=FILE.npz` to `experiments.evaluate`.

The .npz holds one array per variable, named `params/<module path>/<name>` or
`batch_stats/<module path>/<name>`, the module paths being torchvision's (`Mixed_5b/branch1x1/conv/kernel`,
`.../bn/scale`, `.../bn/mean`). Images are resized to 299x299 (bilinear), scaled to [-1, 1],
and the 2048-d average-pooled output of Mixed_7c is the feature vector.
"""
from typing import Dict, Tuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax import traverse_util

from genjax.errors import InputError


class BasicConv(nn.Module):
  """conv (no bias) -> BatchNorm (eps 1e-3, stored statistics) -> ReLU."""
  features: int
  kernel: Tuple[int, int]
  strides: Tuple[int, int] = (1, 1)
  padding: Tuple[int, int] = (0, 0)

  @nn.compact
  def __call__(self, x):
    pad = [(p, p) for p in self.padding]
    x = nn.Conv(self.features, self.kernel, self.strides, padding=pad, use_bias=False, name="conv")(x)
    x = nn.BatchNorm(use_running_average=True, epsilon=1e-3, name="bn")(x)
    return nn.relu(x)


def _avg_pool_exclude_pad(x):
  """3x3 stride-1 average pool, padding 1, averaging over the real pixels only."""
  pad = ((1, 1), (1, 1))
  total = nn.pool(x, 0.0, jax.lax.add, (3, 3), (1, 1), pad)
  count = nn.pool(jnp.ones_like(x[:1, ..., :1]), 0.0, jax.lax.add, (3, 3), (1, 1), pad)
  return total / count


def _max_pool(x, stride):
  pad = ((1, 1), (1, 1)) if stride == 1 else "VALID"
  return nn.max_pool(x, (3, 3), (stride, stride), padding=pad)


class InceptionA(nn.Module):
  pool_features: int

  @nn.compact
  def __call__(self, x):
    b1 = BasicConv(64, (1, 1), name="branch1x1")(x)
    b5 = BasicConv(48, (1, 1), name="branch5x5_1")(x)
    b5 = BasicConv(64, (5, 5), padding=(2, 2), name="branch5x5_2")(b5)
    b3 = BasicConv(64, (1, 1), name="branch3x3dbl_1")(x)
    b3 = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(b3)
    b3 = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_3")(b3)
    bp = BasicConv(self.pool_features, (1, 1), name="branch_pool")(_avg_pool_exclude_pad(x))
    return jnp.concatenate([b1, b5, b3, bp], -1)


class InceptionB(nn.Module):
  @nn.compact
  def __call__(self, x):
    b3 = BasicConv(384, (3, 3), strides=(2, 2), name="branch3x3")(x)
    bd = BasicConv(64, (1, 1), name="branch3x3dbl_1")(x)
    bd = BasicConv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
    bd = BasicConv(96, (3, 3), strides=(2, 2), name="branch3x3dbl_3")(bd)
    return jnp.concatenate([b3, bd, _max_pool(x, 2)], -1)


class InceptionC(nn.Module):
  channels_7x7: int

  @nn.compact
  def __call__(self, x):
    c7 = self.channels_7x7
    b1 = BasicConv(192, (1, 1), name="branch1x1")(x)
    b7 = BasicConv(c7, (1, 1), name="branch7x7_1")(x)
    b7 = BasicConv(c7, (1, 7), padding=(0, 3), name="branch7x7_2")(b7)
    b7 = BasicConv(192, (7, 1), padding=(3, 0), name="branch7x7_3")(b7)
    bd = BasicConv(c7, (1, 1), name="branch7x7dbl_1")(x)
    bd = BasicConv(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_2")(bd)
    bd = BasicConv(c7, (1, 7), padding=(0, 3), name="branch7x7dbl_3")(bd)
    bd = BasicConv(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_4")(bd)
    bd = BasicConv(192, (1, 7), padding=(0, 3), name="branch7x7dbl_5")(bd)
    bp = BasicConv(192, (1, 1), name="branch_pool")(_avg_pool_exclude_pad(x))
    return jnp.concatenate([b1, b7, bd, bp], -1)


class InceptionD(nn.Module):
  @nn.compact
  def __call__(self, x):
    b3 = BasicConv(192, (1, 1), name="branch3x3_1")(x)
    b3 = BasicConv(320, (3, 3), strides=(2, 2), name="branch3x3_2")(b3)
    b7 = BasicConv(192, (1, 1), name="branch7x7x3_1")(x)
    b7 = BasicConv(192, (1, 7), padding=(0, 3), name="branch7x7x3_2")(b7)
    b7 = BasicConv(192, (7, 1), padding=(3, 0), name="branch7x7x3_3")(b7)
    b7 = BasicConv(192, (3, 3), strides=(2, 2), name="branch7x7x3_4")(b7)
    return jnp.concatenate([b3, b7, _max_pool(x, 2)], -1)


class InceptionE(nn.Module):
  """FID's variants: Mixed_7b average-pools excluding padding, Mixed_7c max-pools."""
  pool: str

  @nn.compact
  def __call__(self, x):
    b1 = BasicConv(320, (1, 1), name="branch1x1")(x)
    b3 = BasicConv(384, (1, 1), name="branch3x3_1")(x)
    b3 = jnp.concatenate([BasicConv(384, (1, 3), padding=(0, 1), name="branch3x3_2a")(b3),
                          BasicConv(384, (3, 1), padding=(1, 0), name="branch3x3_2b")(b3)], -1)
    bd = BasicConv(448, (1, 1), name="branch3x3dbl_1")(x)
    bd = BasicConv(384, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
    bd = jnp.concatenate([BasicConv(384, (1, 3), padding=(0, 1), name="branch3x3dbl_3a")(bd),
                          BasicConv(384, (3, 1), padding=(1, 0), name="branch3x3dbl_3b")(bd)], -1)
    pooled = _avg_pool_exclude_pad(x) if self.pool == "avg" else _max_pool(x, 1)
    bp = BasicConv(192, (1, 1), name="branch_pool")(pooled)
    return jnp.concatenate([b1, b3, bd, bp], -1)


class InceptionV3(nn.Module):
  """(B, 299, 299, 3) in [-1, 1] -> (B, 2048) pool features."""

  @nn.compact
  def __call__(self, x):
    x = BasicConv(32, (3, 3), strides=(2, 2), name="Conv2d_1a_3x3")(x)
    x = BasicConv(32, (3, 3), name="Conv2d_2a_3x3")(x)
    x = BasicConv(64, (3, 3), padding=(1, 1), name="Conv2d_2b_3x3")(x)
    x = _max_pool(x, 2)
    x = BasicConv(80, (1, 1), name="Conv2d_3b_1x1")(x)
    x = BasicConv(192, (3, 3), name="Conv2d_4a_3x3")(x)
    x = _max_pool(x, 2)
    x = InceptionA(32, name="Mixed_5b")(x)
    x = InceptionA(64, name="Mixed_5c")(x)
    x = InceptionA(64, name="Mixed_5d")(x)
    x = InceptionB(name="Mixed_6a")(x)
    x = InceptionC(128, name="Mixed_6b")(x)
    x = InceptionC(160, name="Mixed_6c")(x)
    x = InceptionC(160, name="Mixed_6d")(x)
    x = InceptionC(192, name="Mixed_6e")(x)
    x = InceptionD(name="Mixed_7a")(x)
    x = InceptionE("avg", name="Mixed_7b")(x)
    x = InceptionE("max", name="Mixed_7c")(x)
    return jnp.mean(x, axis=(1, 2))


def expected_shapes() -> Dict[str, Tuple[int, ...]]:
  """Every variable the weights file must hold, flattened to 'collection/path/name'."""
  shapes = jax.eval_shape(InceptionV3().init, jax.random.PRNGKey(0), jnp.zeros((1, 299, 299, 3)))
  return {"/".join(k): tuple(v.shape) for k, v in traverse_util.flatten_dict(shapes).items()}


def load_weights(path: str):
  """The variables of a converted .npz, checked name by name and shape by shape."""
  try:
    with np.load(path) as f:
      arrays = {k: f[k] for k in f.files}
  except (OSError, ValueError) as e:
    raise InputError(f"--inception_weights={path} is unreadable ({e}): expected an .npz written "
                     f"by experiments/reference/convert_inception.py") from None
  expected = expected_shapes()
  missing = sorted(set(expected) - set(arrays))
  wrong = sorted(k for k in expected if k in arrays and arrays[k].shape != expected[k])
  if missing or wrong:
    k = (missing or wrong)[0]
    got = "missing" if missing else f"of shape {arrays[k].shape}"
    raise InputError(f"--inception_weights={path}: {k} is {got}, expected shape {expected[k]} "
                     f"({len(missing)} missing, {len(wrong)} misshapen of {len(expected)})")
  return traverse_util.unflatten_dict({tuple(k.split("/")): jnp.asarray(arrays[k], jnp.float32)
                                       for k in expected})


def make_features(variables):
  """uint8 images (B, H, W, 1 or 3) -> (B, 2048) Inception pool features."""
  net = InceptionV3()

  @jax.jit
  def features(x_uint8):
    x = x_uint8.astype(jnp.float32) / 255.0
    if x.shape[-1] == 1:
      x = jnp.repeat(x, 3, axis=-1)
    x = jax.image.resize(x, (x.shape[0], 299, 299, 3), "bilinear", antialias=False)
    return net.apply(variables, 2.0 * x - 1.0)

  def embed(x_uint8: np.ndarray, batch: int = 100) -> np.ndarray:
    return np.concatenate([np.asarray(features(x_uint8[i:i + batch]), np.float64)
                           for i in range(0, len(x_uint8), batch)])
  return embed
