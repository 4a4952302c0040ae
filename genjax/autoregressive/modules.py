"""The networks. Each maps images x (B, H, W, C) in [0, 1] (heads.to_input) to outputs
(B, H, W, P) whose values at pixel i depend only on the pixels before i in raster order
(all their channels): p(x) = prod_i p(x_i | x_<i) with each factor given by a head (heads.py).

Masked convolutions keep only the taps the mask lets through: a k x k mask's rows below
the centre are all zero, so the kernel is stored as its top k//2 + 1 rows and the centre
row's right part is masked (about half the work of a dense k x k convolution). 1x1
convolutions are `Pointwise` layers: nn.Dense's parameters, with a kernel gradient XLA's CPU
backend runs 5x faster (genjax/layers.py).
"""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from genjax.layers import Pointwise

NHWC = ("NHWC", "HWIO", "NHWC")


def half_mask(size: int, kind: str) -> np.ndarray:
  """The top size//2 + 1 rows of a size x size PixelCNN mask: 'A' hides the centre, 'B' keeps it."""
  c = size // 2
  m = np.ones((c + 1, size), np.float32)
  m[c, c + (kind == "B"):] = 0.0
  return m


def masked_conv(x, kernel, bias, kind):
  """conv(x, W * M) + b over the kept rows: output (r, s) sees rows r - k//2 .. r."""
  c = kernel.shape[1] // 2
  w = kernel * jnp.asarray(half_mask(kernel.shape[1], kind), kernel.dtype)[:, :, None, None]
  return jax.lax.conv_general_dilated(x, w, (1, 1), ((c, 0), (c, c)), dimension_numbers=NHWC) + bias


class MaskedConv(nn.Module):
  features: int
  size: int
  kind: str   # 'A' (first layer: excludes the centre pixel) or 'B'

  @nn.compact
  def __call__(self, x):
    c = self.size // 2
    kernel = self.param("kernel", nn.initializers.lecun_normal(), (c + 1, self.size, x.shape[-1], self.features))
    bias = self.param("bias", nn.initializers.zeros, (self.features,))
    return masked_conv(x, kernel, bias, self.kind)


class PixelCNN(nn.Module):
  """van den Oord et al. 2016: a 7x7 type-A masked convolution, residual blocks
  (1x1 down, 3x3 type-B, 1x1 up), then two 1x1 layers. W4 is the default."""
  out_features: int
  filters: int = 64
  hidden: int = 32
  blocks: int = 7
  first_size: int = 7
  size: int = 3
  out_hidden: int = 64

  @nn.compact
  def __call__(self, x, labels=None):
    h = MaskedConv(self.filters, self.first_size, "A", name="first")(x)
    for i in range(self.blocks):
      t = Pointwise(self.hidden, name=f"block{i}_in")(nn.relu(h))
      t = MaskedConv(self.hidden, self.size, "B", name=f"block{i}_conv")(nn.relu(t))
      h = h + Pointwise(self.filters, name=f"block{i}_out")(nn.relu(t))
    h = Pointwise(self.out_hidden, name="out_hidden")(nn.relu(h))
    return Pointwise(self.out_features, name="out")(nn.relu(h))


def shift_down(x, rows=1):
  return jnp.pad(x, ((0, 0), (rows, 0), (0, 0), (0, 0)))[:, :x.shape[1]]


def shift_right(x, cols=1):
  return jnp.pad(x, ((0, 0), (0, 0), (cols, 0), (0, 0)))[:, :, :x.shape[2]]


class StackConv(nn.Module):
  """A Gated PixelCNN stack's convolution. vertical: rows r - k//2 .. r, all of k columns;
  horizontal: columns s - k//2 .. s of row r. `strict` (the first layer) moves the window
  one row up / one column left so that the current row / pixel is excluded."""
  features: int
  size: int
  vertical: bool
  strict: bool = False

  @nn.compact
  def __call__(self, x):
    c = self.size // 2
    shape = (c + 1, self.size) if self.vertical else (1, c + 1)
    kernel = self.param("kernel", nn.initializers.lecun_normal(), shape + (x.shape[-1], self.features))
    bias = self.param("bias", nn.initializers.zeros, (self.features,))
    if self.strict:
      x = shift_down(x) if self.vertical else shift_right(x)
    padding = ((c, 0), (c, c)) if self.vertical else ((0, 0), (c, 0))
    return jax.lax.conv_general_dilated(x, kernel, (1, 1), padding, dimension_numbers=NHWC) + bias


def gate(a):
  f = a.shape[-1] // 2
  return jnp.tanh(a[..., :f]) * jax.nn.sigmoid(a[..., f:])


class GatedLayer(nn.Module):
  """One gated layer (van den Oord et al. 2016b): the vertical stack sees the rows above,
  the horizontal stack the pixels to the left plus the vertical stack's features (1x1),
  so no pixel above or left is hidden (no blind spot)."""
  filters: int
  size: int
  first: bool
  num_classes: int = 0

  @nn.compact
  def __call__(self, v, h, labels=None):
    f = self.filters
    v_pre = StackConv(2 * f, self.size, True, self.first, name="v_conv")(v)
    h_pre = (StackConv(2 * f, self.size, False, self.first, name="h_conv")(h)
             + Pointwise(2 * f, name="v_to_h")(v_pre))
    if self.num_classes:
      cond = nn.Embed(self.num_classes, 4 * f, name="class")(labels)[:, None, None]
      v_pre, h_pre = v_pre + cond[..., :2 * f], h_pre + cond[..., 2 * f:]
    h_out = Pointwise(f, name="h_out")(gate(h_pre))
    return gate(v_pre), h_out if self.first else h + h_out


class GatedPixelCNN(nn.Module):
  out_features: int
  filters: int = 64
  layers: int = 10
  size: int = 3
  first_size: int = 7
  out_hidden: int = 256
  num_classes: int = 0

  @nn.compact
  def __call__(self, x, labels=None):
    v, h = x, x
    for i in range(self.layers):
      size = self.first_size if i == 0 else self.size
      v, h = GatedLayer(self.filters, size, i == 0, self.num_classes, name=f"layer{i}")(v, h, labels)
    h = Pointwise(self.out_hidden, name="out_hidden")(nn.relu(h))
    return Pointwise(self.out_features, name="out")(nn.relu(h))


def lstm_cell(gates, c_prev):
  """gates (…, 4F): input, forget, output, candidate."""
  i, f, o, g = jnp.split(gates, 4, -1)
  c = jax.nn.sigmoid(f) * c_prev + jax.nn.sigmoid(i) * jnp.tanh(g)
  return jax.nn.sigmoid(o) * jnp.tanh(c), c


def neighbours(h, offsets):
  """Copies of h (B, L, F) shifted along L by each offset (zero-filled): (B, L, len * F)."""
  n = h.shape[1]
  pad = jnp.pad(h, ((0, 0), (1, 1), (0, 0)))
  return jnp.concatenate([pad[:, 1 + o:1 + o + n] for o in offsets], -1)


class RowLSTMLayer(nn.Module):
  """Row LSTM (van den Oord et al. 2016a): rows are computed one at a time; the input-to-state
  part is a 1 x k type-B convolution along the row (columns s - k//2 .. s), the
  state-to-state part a width-3 convolution of the row above's hidden state."""
  features: int
  size: int = 3

  @nn.compact
  def __call__(self, x):
    f, c = self.features, self.size // 2
    kernel = self.param("i2s", nn.initializers.lecun_normal(), (1, c + 1, x.shape[-1], 4 * f))
    i2s = jax.lax.conv_general_dilated(x, kernel, (1, 1), ((0, 0), (c, 0)), dimension_numbers=NHWC)
    s2s = self.param("s2s", nn.initializers.lecun_normal(), (3 * f, 4 * f))
    bias = self.param("bias", nn.initializers.zeros, (4 * f,))

    def row(carry, i2s_row):
      h, cell = carry
      h, cell = lstm_cell(i2s_row + neighbours(h, (-1, 0, 1)) @ s2s + bias, cell)
      return (h, cell), h

    zeros = jnp.zeros((x.shape[0], x.shape[2], f), x.dtype)
    _, hs = jax.lax.scan(row, (zeros, zeros), jnp.moveaxis(i2s, 1, 0))
    return x + Pointwise(x.shape[-1], name="residual")(jnp.moveaxis(hs, 0, 1))


def skew(x):
  """(B, H, W, F) -> (B, H, W + H - 1, F): row r moved right by r. Padding each row with H
  zeros and reading the flat rows back W + H - 1 at a time does it: pixel (r, c) keeps its
  flat index r (W + H) + c = r (W + H - 1) + (c + r)."""
  b, h, w, f = x.shape
  flat = jnp.pad(x, ((0, 0), (0, 0), (0, h), (0, 0))).reshape(b, h * (w + h), f)
  return flat[:, :h * (w + h - 1)].reshape(b, h, w + h - 1, f)


def unskew(x, w):
  """skew's inverse: (B, H, W + H - 1, F) -> (B, H, w, F), row r read from column r on."""
  b, h, skewed, f = x.shape
  flat = jnp.pad(x.reshape(b, h * skewed, f), ((0, 0), (0, h), (0, 0)))
  return flat.reshape(b, h, skewed + 1, f)[:, :, :w]


class DiagonalLSTM(nn.Module):
  """The diagonal LSTM of one direction over a skewed map: column j of the skewed map is one
  step; the state at (r, j) reads the states at (r, j-1) and (r-1, j-1), i.e. the pixels
  left of and above (r, s) in the image."""
  features: int

  @nn.compact
  def __call__(self, x):
    f, w = self.features, x.shape[2]
    s = skew(Pointwise(4 * f, name="i2s")(x))             # (B, H, W + H - 1, 4F)
    s2s = self.param("s2s", nn.initializers.lecun_normal(), (2 * f, 4 * f))

    def column(carry, i2s_col):   # i2s_col (B, H, 4F)
      h, cell = carry
      h, cell = lstm_cell(i2s_col + neighbours(h, (-1, 0)) @ s2s, cell)
      return (h, cell), h

    zeros = jnp.zeros((x.shape[0], x.shape[1], f), x.dtype)
    _, hs = jax.lax.scan(column, (zeros, zeros), jnp.moveaxis(s, 2, 0))
    return unskew(jnp.moveaxis(hs, 0, 2), w)


class DiagonalBiLSTMLayer(nn.Module):
  """Both directions; the right-to-left one is shifted down a row, so that it only brings
  in rows above (its own row's state would see pixels to the right)."""
  features: int

  @nn.compact
  def __call__(self, x):
    left = DiagonalLSTM(self.features, name="left")(x)
    right = DiagonalLSTM(self.features, name="right")(x[:, :, ::-1])[:, :, ::-1]
    return x + Pointwise(x.shape[-1], name="residual")(left + shift_down(right))


class PixelRNN(nn.Module):
  """A first_size x first_size type-A masked convolution, residual LSTM layers (Row LSTM,
  whose input-to-state convolution is 1 x size, or Diagonal BiLSTM), then two 1x1 layers."""
  out_features: int
  kind: str = "row"        # 'row' or 'diagonal'
  features: int = 16
  layers: int = 7
  out_hidden: int = 64
  first_size: int = 7
  size: int = 3

  @nn.compact
  def __call__(self, x, labels=None):
    h = MaskedConv(2 * self.features, self.first_size, "A", name="first")(x)
    for i in range(self.layers):
      if self.kind == "row":
        h = RowLSTMLayer(self.features, self.size, name=f"layer{i}")(h)
      else:
        h = DiagonalBiLSTMLayer(self.features, name=f"layer{i}")(h)
    h = Pointwise(self.out_hidden, name="out_hidden")(nn.relu(h))
    return Pointwise(self.out_features, name="out")(nn.relu(h))
