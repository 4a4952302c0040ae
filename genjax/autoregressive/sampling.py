"""Ancestral sampling, pixel by pixel in the model's order.

Every sampler draws pixel p (the p-th in sampling order) from its conditional with the key
`fold_in(rng, p)`, so two samplers of the same model draw the same images from the same key.

- `naive_sample` runs the whole network once per pixel (H*W full passes).
- `fast_pixelcnn_sample` / `fast_gated_sample` compute each layer only at the pixel being
  drawn (Fast PixelCNN++, Ramachandran et al. 2017): every activation at pixel p depends only
  on pixels before p, so it is computed once, when p is reached, from caches of the layers'
  inputs at earlier pixels; convolutions become one small matrix product per pixel.
- `fast_row_lstm_sample` does the same for the Row LSTM: the LSTM state at (r, s) reads the
  layer's inputs at (r, s - k//2 .. s) and the row above's states at s - 1, s, s + 1, all
  computed before pixel (r, s) is drawn.
- `fast_diagonal_sample`, for the Diagonal BiLSTM: the left-to-right LSTM's state at (r, s)
  reads its states at (r - 1, s) and (r, s - 1), computed pixel by pixel; the right-to-left
  one enters shifted down a row, so its states of row r - 1 are computed, right to left, when
  row r - 1 is complete.
- `nade_sample` keeps NADE's running pre-activation a = c + W_<d x_<d.
"""
import jax
import jax.numpy as jnp

from genjax.autoregressive.heads import to_input
from genjax.autoregressive.modules import gate, half_mask, lstm_cell


def patch(cache, r, s, rows, cols):
  return jax.lax.dynamic_slice(cache, (0, r, s, 0), (cache.shape[0], rows, cols, cache.shape[3]))


def at(cache, r, s):
  return patch(cache, r, s, 1, 1)[:, 0, 0]


def put(cache, value, r, s):
  return jax.lax.dynamic_update_slice(cache, value[:, None, None], (0, r, s, 0))


def naive_step(apply, head, x, levels, p, rng, order=None):
  """Draw the p-th pixel in `order` (flat pixel indices; default raster) given all of x."""
  n, h, w, _ = x.shape
  i = p if order is None else order[p]
  r, s = i // w, i % w
  out = apply(x).reshape(n, h * w, -1)
  pixel = head.sample(jax.lax.dynamic_index_in_dim(out, i, 1, keepdims=False), jax.random.fold_in(rng, p))
  return put(x, to_input(pixel, head.num_levels), r, s), put(levels, pixel, r, s)


def naive_sample(apply, head, shape, rng, n, order=None):
  """(n, H, W, C) int32 levels; `apply(x) -> (n, H, W, P)` is the whole network."""
  x = jnp.zeros((n,) + tuple(shape), jnp.float32)
  levels = jnp.zeros(x.shape, jnp.int32)
  body = lambda p, carry: naive_step(apply, head, *carry, p, rng, order)
  return jax.lax.fori_loop(0, shape[0] * shape[1], body, (x, levels))[1]


def conv_at(cache, r, s, kernel, bias, mask=None):
  """One output pixel of a convolution whose window starts at (r, s) of the padded cache."""
  w = kernel if mask is None else kernel * mask[:, :, None, None]
  window = patch(cache, r, s, kernel.shape[0], kernel.shape[1])
  return jnp.einsum("bhwi,hwio->bo", window, w) + bias


def dense(p, x):
  return x @ p["kernel"] + p["bias"]


def output_layers(params, act):
  """The two 1x1 layers every PixelCNN ends with, at one pixel."""
  return dense(params["out"], jax.nn.relu(dense(params["out_hidden"], jax.nn.relu(act))))


def fast_pixelcnn_sample(params, net, head, shape, rng, n):
  """PixelCNN (modules.PixelCNN) samples equal to naive_sample's, one pixel's work per pixel."""
  h, w, ch = shape
  a, b = net.first_size // 2, net.size // 2
  x_cache = jnp.zeros((n, h + a, w + 2 * a, ch), jnp.float32)
  caches = [jnp.zeros((n, h + b, w + 2 * b, net.hidden), jnp.float32) for _ in range(net.blocks)]
  first_mask, mask = half_mask(net.first_size, "A"), half_mask(net.size, "B")

  def pixel(p, carry):
    x_cache, caches, levels = carry
    r, s = p // w, p % w
    f = params["first"]
    act = conv_at(x_cache, r, s, f["kernel"], f["bias"], first_mask)
    new_caches = []
    for i, cache in enumerate(caches):
      t = jax.nn.relu(dense(params[f"block{i}_in"], jax.nn.relu(act)))
      cache = put(cache, t, r + b, s + b)
      c = params[f"block{i}_conv"]
      t = conv_at(cache, r, s, c["kernel"], c["bias"], mask)
      act = act + dense(params[f"block{i}_out"], jax.nn.relu(t))
      new_caches.append(cache)
    value = head.sample(output_layers(params, act), jax.random.fold_in(rng, p))
    x_cache = put(x_cache, to_input(value, head.num_levels), r + a, s + a)
    return x_cache, new_caches, put(levels, value, r, s)

  levels = jnp.zeros((n, h, w, ch), jnp.int32)
  return jax.lax.fori_loop(0, h * w, pixel, (x_cache, caches, levels))[2]


def row_conv(window, kernel, bias, width):
  """A whole output row of a vertical-stack convolution: window (n, kh, width + kw - 1, C)."""
  out = sum(jnp.einsum("bhwc,hco->bwo", window[:, :, j:j + width], kernel[:, j])
            for j in range(kernel.shape[1]))
  return out + bias


def fast_gated_sample(params, net, head, shape, rng, n, labels=None):
  """Gated PixelCNN (modules.GatedPixelCNN) samples equal to naive_sample's: at the start of
  each row the vertical stacks compute that row (it depends on the rows above only); the
  horizontal stacks then advance one pixel at a time."""
  h, w, ch = shape
  a, b, f = net.first_size // 2, net.size // 2, net.filters
  layer = lambda i: params[f"layer{i}"]
  cond = [layer(i)["class"]["embedding"][labels] if net.num_classes else 0.0 for i in range(net.layers)]
  x_cache = jnp.zeros((n, h + a + 1, w + 2 * a + 1, ch), jnp.float32)
  v_caches = [jnp.zeros((n, h + b, w + 2 * b, f), jnp.float32) for _ in range(net.layers - 1)]

  def vertical(r, x_cache, v_caches):
    """The vertical stacks at row r: pre-activations (for the horizontal stacks) per layer."""
    c = layer(0)["v_conv"]
    pre = [row_conv(patch(x_cache, r, 1, a + 1, w + 2 * a), c["kernel"], c["bias"], w)]
    new = []
    for i, cache in enumerate(v_caches):
      gated = gate(pre[-1] + (cond[i][:, None, :2 * f] if net.num_classes else 0.0))
      cache = jax.lax.dynamic_update_slice(cache, gated[:, None], (0, r + b, b, 0))
      c = layer(i + 1)["v_conv"]
      pre.append(row_conv(patch(cache, r, 0, b + 1, w + 2 * b), c["kernel"], c["bias"], w))
      new.append(cache)
    return pre, new

  def horizontal(s, r, x_cache, h_rows, v_pre):
    act = None
    for i in range(net.layers):
      p, strict = layer(i), i == 0
      cache, row = (x_cache, r + a + 1) if strict else (h_rows[i - 1], 0)
      h_pre = conv_at(cache, row, s, p["h_conv"]["kernel"], p["h_conv"]["bias"])
      h_pre = h_pre + dense(p["v_to_h"], v_pre[i][:, s])
      if net.num_classes:
        h_pre = h_pre + cond[i][:, 2 * f:]
      out = dense(p["h_out"], gate(h_pre))
      act = out if strict else act + out
      if i + 1 < net.layers:
        h_rows[i] = put(h_rows[i], act, 0, s + b)
    return act, h_rows

  def row(r, carry):
    x_cache, v_caches, levels = carry
    v_pre, v_caches = vertical(r, x_cache, v_caches)

    def pixel(s, carry):
      x_cache, h_rows, levels = carry
      act, h_rows = horizontal(s, r, x_cache, list(h_rows), v_pre)
      value = head.sample(output_layers(params, act), jax.random.fold_in(rng, r * w + s))
      x_cache = put(x_cache, to_input(value, head.num_levels), r + a + 1, s + a + 1)
      return x_cache, h_rows, put(levels, value, r, s)

    h_rows = [jnp.zeros((n, 1, w + b, f), jnp.float32) for _ in range(net.layers - 1)]
    x_cache, _, levels = jax.lax.fori_loop(0, w, pixel, (x_cache, h_rows, levels))
    return x_cache, v_caches, levels

  levels = jnp.zeros((n, h, w, ch), jnp.int32)
  return jax.lax.fori_loop(0, h, row, (x_cache, v_caches, levels))[2]


def fast_row_lstm_sample(params, net, head, shape, rng, n):
  """Row LSTM PixelRNN (modules.PixelRNN, kind 'row') samples equal to naive_sample's, one
  pixel's work per pixel. Per layer: `inputs`, the layer's input along the current row,
  left-padded for its 1 x (k//2 + 1) input-to-state convolution; `hs` and `cs`, the LSTM's
  h and c row by row, under a row of zeros and between two zero columns (for the width-3
  state-to-state convolution of the row above)."""
  h, w, ch = shape
  a, c, f = net.first_size // 2, net.size // 2, net.features
  x_cache = jnp.zeros((n, h + a, w + 2 * a, ch), jnp.float32)
  inputs = [jnp.zeros((n, 1, w + c, 2 * f), jnp.float32) for _ in range(net.layers)]
  hs = [jnp.zeros((n, h + 1, w + 2, f), jnp.float32) for _ in range(net.layers)]
  cs = [jnp.zeros((n, h + 1, w + 2, f), jnp.float32) for _ in range(net.layers)]
  first_mask = half_mask(net.first_size, "A")

  def pixel(p, carry):
    x_cache, inputs, hs, cs, levels = carry
    r, s = p // w, p % w
    act = conv_at(x_cache, r, s, params["first"]["kernel"], params["first"]["bias"], first_mask)
    inputs, hs, cs = list(inputs), list(hs), list(cs)
    for i in range(net.layers):
      q = params[f"layer{i}"]
      inputs[i] = put(inputs[i], act, 0, s + c)
      above = patch(hs[i], r, s, 1, 3).reshape(n, 3 * f)              # h at (r-1, s-1..s+1)
      gates = conv_at(inputs[i], 0, s, q["i2s"], 0.0) + above @ q["s2s"] + q["bias"]
      h_rs, c_rs = lstm_cell(gates, at(cs[i], r, s + 1))
      hs[i], cs[i] = put(hs[i], h_rs, r + 1, s + 1), put(cs[i], c_rs, r + 1, s + 1)
      act = act + dense(q["residual"], h_rs)
    value = head.sample(output_layers(params, act), jax.random.fold_in(rng, p))
    x_cache = put(x_cache, to_input(value, head.num_levels), r + a, s + a)
    return x_cache, inputs, hs, cs, put(levels, value, r, s)

  levels = jnp.zeros((n, h, w, ch), jnp.int32)
  return jax.lax.fori_loop(0, h * w, pixel, (x_cache, inputs, hs, cs, levels))[4]


def diagonal_cell(q, x, h_above, h_beside, c_beside):
  """One diagonal LSTM state (modules.DiagonalLSTM) from its input x and its two neighbours."""
  gates = dense(q["i2s"], x) + jnp.concatenate([h_above, h_beside], -1) @ q["s2s"]
  return lstm_cell(gates, c_beside)


def fast_diagonal_sample(params, net, head, shape, rng, n):
  """Diagonal BiLSTM PixelRNN (modules.PixelRNN, kind 'diagonal') samples equal to
  naive_sample's. Per layer: `ins`, its input along the current row; `left` and `right`, the
  two LSTMs' (h, c), state (r, s) at [r + 1, s + 1] (left) or [r + 1, s] (right), under a row
  of zeros and beside a column of zeros (the neighbour before the row's first state)."""
  h, w, ch = shape
  a, f, layers = net.first_size // 2, net.features, range(net.layers)
  state = lambda: jnp.zeros((n, h + 1, w + 1, f), jnp.float32)
  left, right = [(state(), state()) for _ in layers], [(state(), state()) for _ in layers]
  ins = [jnp.zeros((n, 1, w, 2 * f), jnp.float32) for _ in layers]
  x_cache = jnp.zeros((n, h + a, w + 2 * a, ch), jnp.float32)
  first_mask, q = half_mask(net.first_size, "A"), lambda i: params[f"layer{i}"]

  def pixel(r, s, x_cache, ins, left, right, levels):
    act = conv_at(x_cache, r, s, params["first"]["kernel"], params["first"]["bias"], first_mask)
    for i in layers:
      ins[i] = put(ins[i], act, 0, s)
      hl, cl = left[i]
      h_rs, c_rs = diagonal_cell(q(i)["left"], act, at(hl, r, s + 1), at(hl, r + 1, s), at(cl, r + 1, s))
      left[i] = put(hl, h_rs, r + 1, s + 1), put(cl, c_rs, r + 1, s + 1)
      act = act + dense(q(i)["residual"], h_rs + at(right[i][0], r, s))   # right's state (r - 1, s)
    value = head.sample(output_layers(params, act), jax.random.fold_in(rng, r * w + s))
    x_cache = put(x_cache, to_input(value, head.num_levels), r + a, s + a)
    return x_cache, ins, left, put(levels, value, r, s)

  def right_row(r, q, row_in, hr, cr):
    """The right-to-left LSTM's states along row r, from s = w - 1 down to 0."""
    def step(k, carry):
      hr, cr = carry
      s = w - 1 - k
      h_rs, c_rs = diagonal_cell(q, at(row_in, 0, s), at(hr, r, s), at(hr, r + 1, s + 1), at(cr, r + 1, s + 1))
      return put(hr, h_rs, r + 1, s), put(cr, c_rs, r + 1, s)
    return jax.lax.fori_loop(0, w, step, (hr, cr))

  def row(r, carry):
    x_cache, ins, left, right, levels = carry
    x_cache, ins, left, levels = jax.lax.fori_loop(
        0, w, lambda s, c: pixel(r, s, c[0], list(c[1]), list(c[2]), right, c[3]),
        (x_cache, ins, left, levels))
    right = [right_row(r, q(i)["right"], ins[i], *right[i]) for i in layers]
    return x_cache, ins, left, right, levels

  levels = jnp.zeros((n, h, w, ch), jnp.int32)
  return jax.lax.fori_loop(0, h, row, (x_cache, ins, left, right, levels))[4]


def nade_sample(params, head, shape, rng, n):
  """NADE's own sampler: D steps, each one hidden layer's worth of work."""
  p = params
  d = p["W"].shape[0]

  def step(i, carry):
    a, levels = carry
    out = jax.nn.sigmoid(a) @ p["V"][i] + p["b"][i]
    value = head.sample(out, jax.random.fold_in(rng, i))
    a = a + to_input(value, head.num_levels)[:, :1] * p["W"][i]
    return a, levels.at[:, i].set(value[:, 0])

  a = jnp.broadcast_to(p["c"], (n, p["c"].shape[0]))
  levels = jax.lax.fori_loop(0, d, step, (a, jnp.zeros((n, d), jnp.int32)))[1]
  return levels.reshape((n,) + tuple(shape))
