"""The autoregressive family: causality by exact Jacobians, normalisation by enumeration,
the fast samplers against the naive one, sampling against the enumerated model, training."""
import glob
import itertools
import math
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from genjax import data as gdata
from genjax.autoregressive import dense, heads, method, modules, sampling
from genjax.data.sources import Info
from genjax.train import parallel, trainer
from tests.conftest import REPO, embedded_smoke, load_config

CONFIGS = sorted(os.path.basename(p)[:-3] for pattern in
                 ("nade_*.py", "made_*.py", "pixelcnn_*.py", "gated_pixelcnn_*.py", "pixelrnn_*.py")
                 for p in glob.glob(str(REPO / "experiments/configs" / pattern)))


def perturb(params, seed, scale=0.4):
  """Every leaf plus scale * N(0, 1): zero-initialised biases and tiny initial weights can
  hide a wrong connection."""
  leaves, tree = jax.tree.flatten(params)
  keys = jax.random.split(jax.random.PRNGKey(seed), len(leaves))
  return jax.tree.unflatten(tree, [l + scale * jax.random.normal(k, l.shape) for l, k in zip(leaves, keys)])


def tame(params, out, factor=0.3):
  """The output layer rescaled and re-centred so that the logits `out` (…, P) it gave have
  mean 0 and a factor of their spread: perturbed deep nets give logits of +-10 with a large
  common offset, whose near-deterministic draws would exercise few conditionals."""
  mean = out.reshape(-1, out.shape[-1]).mean(0)
  last = params["out"]
  return {**params, "out": {"kernel": factor * last["kernel"], "bias": factor * (last["bias"] - mean)}}


def binary_images(h, w, c=1, levels=2):
  """Every (h, w, c) image over `levels` levels, (levels ** (h w c), h, w, c) int32."""
  n = h * w * c
  digits = (np.arange(levels ** n)[:, None] // levels ** np.arange(n)) % levels
  return jnp.asarray(digits.reshape(-1, h, w, c), jnp.int32)


def chi_square(counts, probs):
  """Pearson's statistic, cells with expected count < 5 pooled; (statistic, dof)."""
  expected = probs * counts.sum()
  small = expected < 5
  obs = np.append(counts[~small], counts[small].sum())
  exp = np.append(expected[~small], expected[small].sum())
  if small.sum() == 0:
    obs, exp = obs[:-1], exp[:-1]
  return float(((obs - exp) ** 2 / exp).sum()), len(obs) - 1


def image_index(levels):
  """Binary (n, H, W, 1) -> its index among binary_images(H, W)."""
  flat = np.asarray(levels).reshape(len(levels), -1)
  return (flat << np.arange(flat.shape[1])).sum(1)


def make_net(name, p, shape, seed=0):
  """A tiny network with p outputs per pixel: (apply(params, x) -> (B, H, W, p), perturbed
  params, MADE's (ranks (H*W,), hidden degrees) or None)."""
  h, w, c = shape
  x0 = jnp.zeros((1,) + tuple(shape))
  key = jax.random.PRNGKey(seed)
  mask_set = None
  if name == "nade":
    net = dense.NADE(p, hidden=8)
    apply = lambda params, x: net.apply({"params": params}, x)
    params = net.init(key, x0)["params"]
  elif name.startswith("made"):
    hidden = (24, 24)
    mask_set = dense.mask_set(jax.random.PRNGKey(seed + 7), h * w, hidden, name == "made_agnostic")
    mask_list = dense.masks(*mask_set)
    net = dense.MADE(p, hidden, direct=name == "made_direct")
    apply = lambda params, x: net.apply({"params": params}, x, mask_list)
    params = net.init(key, x0, mask_list)["params"]
  else:
    net = {"pixelcnn": lambda: modules.PixelCNN(p, filters=8, hidden=4, blocks=2, first_size=3, size=3, out_hidden=8),
           "gated": lambda: modules.GatedPixelCNN(p, filters=4, layers=3, size=3, first_size=3, out_hidden=8),
           "row_lstm": lambda: modules.PixelRNN(p, "row", features=4, layers=2, out_hidden=8),
           "diagonal_bilstm": lambda: modules.PixelRNN(p, "diagonal", features=4, layers=2, out_hidden=8)}[name]()
    apply = lambda params, x: net.apply({"params": params}, x)
    params = net.init(key, x0)["params"]
  return apply, perturb(params, seed + 1), mask_set


NETS = ["nade", "made", "made_agnostic", "made_direct", "pixelcnn", "gated", "row_lstm", "diagonal_bilstm"]


def dependence(f, x):
  """dep[i, j]: whether any output of pixel i has a non-zero derivative with respect to any
  channel of pixel j (raster indices), from the exact Jacobian (jax.jacfwd) at x (H, W, C);
  for a batch x (N, H, W, C), whether it does at any of the N points."""
  if x.ndim == 4:
    jac = jax.jit(jax.vmap(jax.jacfwd(f)))(x)
    jac = jnp.abs(jac).max(0)
    x = x[0]
  else:
    jac = jnp.abs(jax.jit(jax.jacfwd(f))(x))                # (H, W, P, H, W, C)
  h, w, c = x.shape
  jac = np.asarray(jac).reshape(h * w, -1, h * w, c)
  return jac.max((1, 3)) > 0


def made_reach(ranks, degrees):
  """reach[d, j]: whether MADE's connectivity rule (Germain et al. 2015) leaves a path from
  input j to output d: hidden unit k of layer l takes unit j below when m_l(k) >= m_{l-1}(j),
  output d takes unit k of the last layer when rank(d) > m_L(k)."""
  below = np.eye(len(ranks), dtype=bool)               # which inputs reach each unit below
  values = np.asarray(ranks)
  for m in degrees:
    m = np.asarray(m)
    below = (m[:, None] >= values[None, :]).astype(int) @ below > 0
    values = m
  return (np.asarray(ranks)[:, None] > values[None, :]).astype(int) @ below > 0


CAUSAL_CASES = [(name, (3, 5, 1)) for name in NETS] + [("row_lstm", (5, 3, 1)), ("diagonal_bilstm", (5, 3, 1))]


@pytest.mark.parametrize("name,shape", CAUSAL_CASES, ids=[f"{n}-{s[0]}x{s[1]}" for n, s in CAUSAL_CASES])
def test_outputs_at_a_pixel_have_zero_gradient_wrt_that_pixel_and_every_later_one(name, shape):
  """Causality: d out_i / d x_j == 0 exactly for every j not before i in the model's order
  (raster; MADE's mask ranks, a random permutation when order-agnostic). Not vacuous: each
  pixel after the first depends on some earlier pixel; MADE's gradients are non-zero
  exactly where its connectivity rule leaves a path (with positive weights and inputs, so
  that every ReLU is on and paths cannot cancel: otherwise a unit can be off at every
  input tried). Non-square images, as the Diagonal BiLSTM skews its map by the height."""
  apply, params, mask_set = make_net(name, 2, shape)
  d = shape[0] * shape[1]
  xs = jax.random.uniform(jax.random.PRNGKey(3), (8,) + shape)          # inputs in [0, 1]
  dep = dependence(lambda x: apply(params, x[None])[0], xs)
  order = np.arange(d) if mask_set is None else np.asarray(mask_set[0])
  before = order[None, :] < order[:, None]                  # before[i, j]: j precedes i
  assert not dep[~before].any(), np.argwhere(dep & ~before)
  if mask_set is None:
    assert all(dep[i, :i].any() for i in range(1, d))
  else:
    if name == "made_agnostic":
      assert not np.array_equal(order, np.arange(1, d + 1))  # a genuinely different order
    reach = made_reach(*mask_set)
    if name == "made_direct":   # the direct weights connect every earlier input as well
      assert (before & ~reach).any()
      reach = reach | before
    positive = jax.tree.map(lambda v: jnp.abs(v) + 0.1, params)
    dep = dependence(lambda x: apply(positive, x[None])[0], jnp.abs(xs))
    np.testing.assert_array_equal(dep, reach)
    assert reach[np.argmax(order)].sum() >= d // 2           # the last output sees most inputs


@pytest.mark.parametrize("name", ["row_lstm", "diagonal_bilstm"])
def test_a_pixelrnn_on_28x28_images_hides_a_pixel_from_itself_and_every_earlier_one(name):
  """At MNIST's size, which the smoke runs no longer train on (the Diagonal BiLSTM's skewed
  maps are 28 x 55): flipping pixel (14, 9) changes no output at it or before it in raster
  order, and changes later ones."""
  apply, params, _ = make_net(name, 1, (28, 28, 1))
  x = jax.random.bernoulli(jax.random.PRNGKey(0), 0.5, (2, 28, 28, 1)).astype(jnp.float32)
  flipped = x.at[:, 14, 9].set(1.0 - x[:, 14, 9])
  out = jax.jit(lambda v: apply(params, v).reshape(2, 28 * 28, -1))
  change = np.abs(np.asarray(out(x) - out(flipped))).max((0, 2))
  i = 14 * 28 + 9
  assert change[:i + 1].max() == 0 and change[i + 1:].max() > 1e-4


def colour_net(name, components=2, levels=256):
  head = heads.LogisticMixture(3, levels, components)
  if name == "pixelcnn":
    net = modules.PixelCNN(head.num_params, filters=8, hidden=4, blocks=2, first_size=3, size=3, out_hidden=8)
  else:
    net = modules.GatedPixelCNN(head.num_params, filters=4, layers=3, size=3, first_size=3, out_hidden=8)
  return net, head


@pytest.mark.parametrize("name", ["pixelcnn", "gated"])
def test_colour_channels_are_autoregressive_within_a_pixel_and_causal_across_pixels(name):
  """The network at pixel i sees no channel of pixels >= i; the mixture's mean for channel
  c at pixel i depends on pixel i's channels c' < c (all of them) and on no c' >= c."""
  shape = (3, 4, 3)
  net, head = colour_net(name)
  params = perturb(net.init(jax.random.PRNGKey(0), jnp.zeros((1,) + shape))["params"], 1)
  x = jax.random.uniform(jax.random.PRNGKey(2), shape)       # the network's input in [0, 1]
  out = lambda x: net.apply({"params": params}, x[None])[0]
  dep = dependence(out, x)
  assert not np.triu(dep).any() and all(dep[i, :i].any() for i in range(1, 12))

  def means(x):                                               # (H, W, K, C)
    _, m, _, coeffs = head.split(out(x))
    return head.channel_means(m, coeffs, 2.0 * x - 1.0)       # the logistic's coordinates

  jac = np.abs(np.asarray(jax.jit(jax.jacfwd(means))(x)))     # (H, W, K, C, H, W, C)
  jac = jac.reshape(12, 2, 3, 12, 3).max(1)                   # (i, c, j, c')
  for i in range(12):
    assert not jac[i, :, i + 1:].any()                        # later pixels: nothing
    own = jac[i, :, i, :] > 0                                 # (c, c') at pixel i
    np.testing.assert_array_equal(own, np.tril(np.ones((3, 3), bool), -1))


def pixelcnn_field(h, w, first_size, size, blocks):
  """The pixels each output of a PixelCNN can see, by composing the masks' taps: a type-A
  k x k mask keeps rows r - k//2 .. r - 1 (all columns s - k//2 .. s + k//2) and (r, s' < s);
  type B also keeps (r, s). Returns seen[i, j] over raster indices."""
  def taps(k, centre):
    c = k // 2
    return [(dr, ds) for dr in range(-c, 1) for ds in range(-c, c + 1) if dr < 0 or ds < 0 or (centre and ds == 0)]

  def compose(field, k, centre):      # field[(r, s)]: the inputs seen by the layer below at (r, s)
    out = {}
    for r, s in itertools.product(range(h), range(w)):
      out[r, s] = set().union(*[field.get((r + dr, s + ds), set()) for dr, ds in taps(k, centre)
                                if 0 <= r + dr < h and 0 <= s + ds < w])
    return out

  field = compose({(r, s): {(r, s)} for r in range(h) for s in range(w)}, first_size, False)
  for _ in range(blocks):
    block = compose(field, size, True)    # the residual adds the block's input back in
    field = {p: field[p] | block[p] for p in field}
  seen = np.zeros((h * w, h * w), bool)
  for (r, s), pixels in field.items():
    for a, b in pixels:
      seen[r * w + s, a * w + b] = True
  return seen


def test_pixelcnn_has_the_blind_spot_its_masks_predict_and_gated_pixelcnn_has_none():
  """Blind spot: PixelCNN's gradients are non-zero exactly on the pixels its stacked masks
  reach (with positive weights and inputs, so that every ReLU is on and paths cannot
  cancel), which miss some earlier pixels, e.g. (r - 1, s + 2); Gated PixelCNN's vertical
  and horizontal stacks see every earlier pixel."""
  h, w = 4, 6
  xs = jax.random.uniform(jax.random.PRNGKey(3), (4, h, w, 1))
  apply, params, _ = make_net("pixelcnn", 2, (h, w, 1))
  positive = jax.tree.map(lambda v: jnp.abs(v) + 0.1, params)
  dep = dependence(lambda x: apply(positive, x[None])[0], jnp.abs(xs))
  seen = pixelcnn_field(h, w, 3, 3, 2)
  np.testing.assert_array_equal(dep, seen)
  r, s = 2, 1
  assert not seen[r * w + s, (r - 1) * w + s + 2]                   # the blind spot is real
  assert seen[r * w + s, (r - 2) * w + s + 2] and seen[r * w + s, (r - 1) * w + s + 1]   # above it: seen
  assert not dependence(lambda x: apply(params, x[None])[0], xs)[r * w + s, (r - 1) * w + s + 2]

  gated = modules.GatedPixelCNN(2, filters=4, layers=5, size=3, first_size=3, out_hidden=8)
  gp = perturb(gated.init(jax.random.PRNGKey(0), jnp.zeros((1, h, w, 1)))["params"], 1)
  dep = dependence(lambda x: gated.apply({"params": gp}, x[None])[0], xs)
  np.testing.assert_array_equal(dep, np.tril(np.ones((h * w, h * w), bool), -1))


def test_a_wider_type_a_layer_shrinks_pixelcnns_blind_spot_by_its_half_width():
  """The first layer's width sets how far right a pixel sees in the row above: with a 7 x 7
  type-A layer under 3 x 3 blocks, (r, s) sees (r - 1, s + 3) but not (r - 1, s + 4), where a
  3 x 3 first layer stops at s + 1 (pixelcnn_binarized_mnist's 27 x 27 layer relies on it)."""
  h, w, (r, s) = 4, 9, (2, 1)
  xs = jnp.abs(jax.random.uniform(jax.random.PRNGKey(4), (4, h, w, 1)))
  net = modules.PixelCNN(2, filters=8, hidden=4, blocks=2, first_size=7, size=3, out_hidden=8)
  params = jax.tree.map(lambda v: jnp.abs(v) + 0.1, net.init(jax.random.PRNGKey(0), xs[:1])["params"])
  dep = dependence(lambda x: net.apply({"params": params}, x[None])[0], xs)
  np.testing.assert_array_equal(dep, pixelcnn_field(h, w, 7, 3, 2))
  assert dep[r * w + s, (r - 1) * w + s + 3] and not dep[r * w + s, (r - 1) * w + s + 4]
  assert not pixelcnn_field(h, w, 3, 3, 2)[r * w + s, (r - 1) * w + s + 2]


def made_model(num_masks, order_agnostic, shape=(3, 3, 1), width=16, depth=2, seed=0):
  """A method-level MADE on binary images of `shape`, with perturbed parameters."""
  c = load_config("made_binarized_mnist")
  c.model.num_masks, c.model.order_agnostic = num_masks, order_agnostic
  c.model.width, c.model.depth = width, depth
  info = Info(shape=shape, num_levels=2, num_classes=0, splits=("train", "test"), binarization="static")
  model = method.Model(c, info)
  params = model.net.init(jax.random.PRNGKey(seed), jnp.zeros((1,) + shape), model.mask_set(0))["params"]
  return model, perturb(params, seed + 1)


@pytest.mark.parametrize("name", NETS + ["made_ensemble"])
def test_every_network_sums_to_one_over_all_512_binary_3x3_images(name):
  """Normalisation: exp(log p) summed over every 3x3 binary image is 1, through the
  Bernoulli head (which a non-causal network or a wrong head would break)."""
  images = binary_images(3, 3)
  if name == "made_ensemble":
    model, params = made_model(2, True)
    log_p = jax.jit(model.ensemble_log_prob)(params, images)
  else:
    head = heads.Bernoulli(1, 2)
    apply, params, _ = make_net(name, head.num_params, (3, 3, 1))
    out = jax.jit(apply)(params, heads.to_input(images, 2))
    log_p = head.log_prob(out.reshape(512, 9, -1), images.reshape(512, 9, 1))
  np.testing.assert_allclose(np.exp(np.asarray(log_p, np.float64)).sum(), 1.0, atol=1e-5)
  assert np.ptp(np.asarray(log_p)) > 1.0                    # not a uniform distribution


def test_nade_scan_over_blocks_and_one_batched_pass_give_the_same_outputs_and_gradients():
  """NADE's CPU path (a scan over blocks of dimensions, the running pre-activation carried,
  the body rematerialised) against its accelerator path (all (B, D, H) pre-activations at
  once): a wrong carry, block order or triangular mask would change the outputs. A 4x6 image
  gives 3 scan blocks of 8 that straddle its rows of 6, as 28-pixel rows and blocks of 8 do;
  3 outputs per pixel check the head axis."""
  x = (jax.random.uniform(jax.random.PRNGKey(0), (5, 4, 6, 1)) < 0.5).astype(jnp.float32)
  assert dense.block_size(24) == 8
  nets = [dense.NADE(3, hidden=7, scan=scan) for scan in (True, False)]
  params = perturb(nets[0].init(jax.random.PRNGKey(1), x)["params"], 2)
  out_scan, out_batched = [net.apply({"params": params}, x) for net in nets]
  np.testing.assert_allclose(out_scan, out_batched, rtol=1e-5, atol=1e-5)
  loss = lambda net: lambda p: jnp.sum(jnp.sin(net.apply({"params": p}, x)))
  grad_scan, grad_batched = [jax.grad(loss(net))(params) for net in nets]
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5), grad_scan, grad_batched)


@pytest.mark.parametrize("rows,cols", [(5, 4), (3, 6), (1, 4)])
def test_skew_moves_row_r_right_by_r_and_unskew_inverts_it(rows, cols):
  """The Diagonal BiLSTM's skew (one pad and two reshapes) against its definition written
  out row by row, on maps taller and wider than square and of one row: a wrong pad or
  read-back width would shear rows by the wrong amount or wrap pixels into the next row."""
  x = np.random.default_rng(0).normal(size=(2, rows, cols, 3)).astype(np.float32)
  expected = np.zeros((2, rows, cols + rows - 1, 3), np.float32)
  for r in range(rows):
    expected[:, r, r:r + cols] = x[:, r]
  np.testing.assert_array_equal(modules.skew(jnp.asarray(x)), expected)
  np.testing.assert_array_equal(modules.unskew(jnp.asarray(expected), cols), x)


def test_categorical_and_logistic_mixture_heads_sum_to_one_over_a_pixels_levels():
  """Each head is a distribution over one pixel's levels: 256 grey levels (softmax,
  1-channel mixture), and the 4^3 joint values of a 3-channel mixture (R -> G -> B)."""
  key = jax.random.PRNGKey(0)
  levels = jnp.arange(256, dtype=jnp.int32)[:, None, None]          # (256 images, 1 pixel, 1 channel)
  cat = heads.Categorical(1, 256)
  out = 3.0 * jax.random.normal(key, (1, 1, 256))
  total = np.exp(np.asarray(cat.log_prob(jnp.broadcast_to(out, (256, 1, 256)), levels), np.float64)).sum()
  np.testing.assert_allclose(total, 1.0, atol=1e-5)

  mix = heads.LogisticMixture(1, 256, 3)
  log_p = jax.jit(lambda out: mix.log_prob(jnp.broadcast_to(out, (256, 1, mix.num_params)), levels))
  for i, k in enumerate(jax.random.split(key, 4)):                # wide and narrow scales
    out = jax.random.normal(k, (1, 1, mix.num_params)) * jnp.array([1.0] * 3 + [0.5] * 3 + [2.0] * 3)
    out = out.at[..., 6:9].add(-2.0 * i)                          # log-scales down to about -8
    np.testing.assert_allclose(np.exp(np.asarray(log_p(out), np.float64)).sum(), 1.0, atol=1e-5)

  mix = heads.LogisticMixture(3, 4, 2)
  joint = binary_images(1, 1, 3, levels=4).reshape(64, 1, 3)
  out = jax.random.normal(jax.random.PRNGKey(5), (1, 1, mix.num_params))
  log_p = mix.log_prob(jnp.broadcast_to(out, (64, 1, mix.num_params)), joint)
  np.testing.assert_allclose(np.exp(np.asarray(log_p, np.float64)).sum(), 1.0, atol=1e-5)
  # The channels are dependent through the coefficients: p(R, G) is not p(R) p(G).
  p = np.exp(np.asarray(log_p, np.float64)).reshape(4, 4, 4)        # [B, G, R]
  rg = p.sum(0)
  assert np.abs(rg - rg.sum(0, keepdims=True) * rg.sum(1, keepdims=True)).max() > 1e-3


def sigmoid(x):
  return 1 / (1 + np.exp(-x))


def mixture_reference(out, levels, channels, num_levels, components):
  """PixelCNN++'s discretised logistic mixture by hand, in float64: out (P,) laid out as
  K logits, then per component C means, C log-scales (floored at -7), C(C-1)/2 coefficients
  (tanh); channel c's mean shifted by sum_{c'<c} a_{cc'} x_c'; the edge bins take the
  tails. Returns P(levels) for levels (C,) int."""
  out = np.asarray(out, np.float64)
  k, c = components, channels
  logits, rest = out[:k], out[k:].reshape(k, -1)
  weights = np.exp(logits - logits.max())
  weights /= weights.sum()
  x = 2.0 * np.asarray(levels) / (num_levels - 1) - 1.0
  half = 1.0 / (num_levels - 1)
  total = 0.0
  for j in range(k):
    means, scales = rest[j, :c], np.exp(np.maximum(rest[j, c:2 * c], -7.0))
    coeffs, p, i = np.tanh(rest[j, 2 * c:]), weights[j], 0
    for ch in range(c):
      mean = means[ch] + sum(coeffs[i + q] * x[q] for q in range(ch))
      i += ch
      upper = 1.0 if levels[ch] == num_levels - 1 else sigmoid((x[ch] + half - mean) / scales[ch])
      lower = 0.0 if levels[ch] == 0 else sigmoid((x[ch] - half - mean) / scales[ch])
      p *= upper - lower
    total += p
  return total


def test_logistic_mixture_log_prob_equals_the_hand_computed_mixture_with_channel_coefficients():
  """The mixture head's likelihood, component by component and channel by channel (R -> G
  -> B through the coefficients), against a float64 hand computation of every joint value
  of one pixel (4 levels, 3 channels, 2 components)."""
  mix = heads.LogisticMixture(3, 4, 2)
  out = jax.random.normal(jax.random.PRNGKey(6), (mix.num_params,)) * 1.5
  joint = binary_images(1, 1, 3, levels=4).reshape(64, 1, 3)
  got = np.exp(np.asarray(mix.log_prob(jnp.broadcast_to(out, (64, 1, mix.num_params)), joint), np.float64))
  expected = [mixture_reference(out, np.asarray(v[0]), 3, 4, 2) for v in joint]
  # atol: a component's interior bin of mass under 1e-5 is the density times the bin width
  # by design (PixelCNN++'s underflow guard), not the CDF difference.
  np.testing.assert_allclose(got, expected, rtol=1e-4, atol=5e-6)


@pytest.mark.parametrize("head", [heads.Bernoulli(1, 2), heads.Categorical(1, 5), heads.LogisticMixture(3, 4, 2)],
                         ids=["bernoulli", "categorical", "logistic_mixture"])
def test_each_heads_sampler_draws_from_its_own_log_prob(head):
  """head.sample follows head.log_prob: 20000 draws of one pixel (all its channels jointly;
  the mixture's channels in order, each binned to a level) against the enumerated
  probabilities of its values, chi-square below the 0.999 quantile."""
  n, out = 20000, jax.random.normal(jax.random.PRNGKey(8), (head.num_params,))
  values = binary_images(1, 1, head.channels, levels=head.num_levels).reshape(-1, 1, head.channels)
  probs = np.exp(np.asarray(head.log_prob(jnp.broadcast_to(out, (len(values), 1, head.num_params)), values),
                            np.float64))
  draws = np.asarray(jax.jit(lambda o: head.sample(jnp.broadcast_to(o, (n, head.num_params)),
                                                   jax.random.PRNGKey(9)))(out))
  assert draws.dtype == np.int32 and draws.shape == (n, head.channels)
  index = (draws * head.num_levels ** np.arange(head.channels)).sum(1)
  stat, dof = chi_square(np.bincount(index, minlength=len(values)), probs)
  assert dof >= min(len(values) - 1, 10) and stat < stats.chi2.ppf(0.999, dof), (stat, dof)


@pytest.mark.parametrize("name", ["pixelcnn", "gated"])
def test_a_colour_model_with_a_mixture_head_sums_to_one_over_all_4096_images(name):
  """A whole 3-channel model over 4 levels on a 1x2 image: the network's causality and the
  head's channel order together normalise the likelihood of all 4^6 images."""
  net, head = colour_net(name, levels=4)
  images = binary_images(1, 2, 3, levels=4)                          # (4096, 1, 2, 3)
  params = perturb(net.init(jax.random.PRNGKey(0), jnp.zeros((1, 1, 2, 3)))["params"], 1)
  out = jax.jit(lambda p, x: net.apply({"params": p}, x))(params, heads.to_input(images, 4))
  log_p = head.log_prob(out.reshape(4096, 2, -1), images.reshape(4096, 2, 3))
  np.testing.assert_allclose(np.exp(np.asarray(log_p, np.float64)).sum(), 1.0, atol=1e-5)


SAMPLE_HEADS = {"bernoulli": heads.Bernoulli(1, 2), "categorical4": heads.Categorical(1, 4),
                "mixture3": heads.LogisticMixture(3, 4, 2)}
FAST_CASES = [(name, head) for name in ("pixelcnn", "gated_conditional", "nade") for head in ("bernoulli", "categorical4")
              ] + [("gated", "bernoulli"), ("pixelcnn", "mixture3"), ("gated_conditional", "mixture3"),
                   ("pixelcnn_k5", "mixture3"), ("gated_conditional_k5", "categorical4"),
                   ("row_lstm", "bernoulli"), ("row_lstm_k5", "categorical4"),
                   ("row_lstm", "mixture3"), ("diagonal_bilstm", "bernoulli"), ("diagonal_bilstm", "mixture3")]


@pytest.mark.parametrize("name,head_name", FAST_CASES)
def test_each_fast_sampler_draws_the_naive_samplers_images_from_the_same_key(name, head_name):
  """The cached samplers (Fast PixelCNN++ style, the PixelRNNs', NADE's running pre-activation) compute the
  same conditionals as a full pass per pixel: identical images from the same key (colour
  images too, through the mixture head's channel order)."""
  head = SAMPLE_HEADS[head_name]
  shape, n, rng = (5, 6, head.channels), 12, jax.random.PRNGKey(11)
  x0 = jnp.zeros((1,) + shape)
  labels = None
  if name == "pixelcnn":
    net = modules.PixelCNN(head.num_params, filters=8, hidden=4, blocks=2, first_size=5, size=3, out_hidden=8)
  elif name == "pixelcnn_k5":   # other kernel sizes: the caches' padding follows them
    net = modules.PixelCNN(head.num_params, filters=8, hidden=4, blocks=1, first_size=3, size=5, out_hidden=8)
  elif name == "nade":
    net = dense.NADE(head.num_params, hidden=8)
  elif name.startswith("row_lstm"):
    first, size = (3, 5) if name.endswith("_k5") else (5, 3)
    net = modules.PixelRNN(head.num_params, "row", features=4, layers=2, out_hidden=8, first_size=first, size=size)
  elif name == "diagonal_bilstm":
    net = modules.PixelRNN(head.num_params, "diagonal", features=4, layers=2, out_hidden=8, first_size=5)
  else:
    classes = 3 if name.startswith("gated_conditional") else 0
    first, size = (3, 5) if name.endswith("_k5") else (5, 3)
    net = modules.GatedPixelCNN(head.num_params, filters=4, layers=3, size=size, first_size=first, out_hidden=8,
                                num_classes=classes)
    if classes:
      labels = jnp.arange(n, dtype=jnp.int32) % classes
  params = perturb(net.init(jax.random.PRNGKey(0), x0, None if labels is None else labels[:1])["params"], 1, 0.5)
  if name != "nade":
    x = jax.random.uniform(jax.random.PRNGKey(2), (n,) + shape)
    params = tame(params, net.apply({"params": params}, x, labels))
  naive = jax.jit(lambda p: sampling.naive_sample(lambda x: net.apply({"params": p}, x, labels), head, shape, rng, n))
  if name.startswith("pixelcnn"):
    fast = jax.jit(lambda p: sampling.fast_pixelcnn_sample(p, net, head, shape, rng, n))
  elif name == "nade":
    fast = jax.jit(lambda p: sampling.nade_sample(p, head, shape, rng, n))
  elif name.startswith("row_lstm"):
    fast = jax.jit(lambda p: sampling.fast_row_lstm_sample(p, net, head, shape, rng, n))
  elif name == "diagonal_bilstm":
    fast = jax.jit(lambda p: sampling.fast_diagonal_sample(p, net, head, shape, rng, n))
  else:
    fast = jax.jit(lambda p: sampling.fast_gated_sample(p, net, head, shape, rng, n, labels))
  # Full float32 products: a GPU's default (TF32) would round the two samplers' convolutions
  # and matrix products differently, and a draw near a boundary could then differ.
  with jax.default_matmul_precision("highest"):
    a, b = np.asarray(fast(params)), np.asarray(naive(params))
  assert a.dtype == b.dtype == np.int32 and a.shape == (n,) + shape
  np.testing.assert_array_equal(a, b)
  assert (np.bincount(a.ravel(), minlength=head.num_levels) > 0.05 * a.size).all()   # varied draws


def pixelcnn_model(shape, seed=0):
  """A method-level PixelCNN (Bernoulli head) on binary images of `shape`, tiny and perturbed."""
  c = load_config("pixelcnn_binarized_mnist")
  c.model.width, c.model.bottleneck, c.model.depth, c.model.out_hidden = 8, 4, 2, 8
  c.model.first_kernel, c.model.kernel = 3, 3
  info = Info(shape=shape, num_levels=2, num_classes=10, splits=("train", "test"), binarization="static")
  model = method.Model(c, info)
  params = model.net.init(jax.random.PRNGKey(seed), jnp.zeros((1,) + shape))["params"]
  return model, perturb(params, seed + 2, 0.6)


def test_fast_pixelcnn_samples_follow_the_enumerated_model():
  """Sampling follows the model: 4000 draws of the method's (fast) sampler of 2x2 binary
  images against Model.log_prob's exact probabilities of all 16 (chi-square below its
  0.999 quantile; the two must also encode pixels for the network alike), while the same
  draws are far from the product of the model's per-pixel marginals (the test can tell)."""
  model, params = pixelcnn_model((2, 2, 1))
  images = binary_images(2, 2)
  probs = np.exp(np.asarray(model.log_prob(params, images), np.float64))
  draw = method.sampler(model, fast=True)
  draws = jax.jit(lambda p: draw(p, jax.random.PRNGKey(4), 4000, None))(params)
  counts = np.bincount(image_index(draws), minlength=16)
  stat, dof = chi_square(counts, probs)
  assert dof >= 8 and stat < stats.chi2.ppf(0.999, dof), (stat, dof)
  bits = np.asarray(images).reshape(16, 4)
  marginal = (probs[:, None] * bits).sum(0)
  independent = np.prod(np.where(bits, marginal, 1 - marginal), 1)
  stat, dof = chi_square(counts, independent)
  assert stat > stats.chi2.ppf(0.999, dof), (stat, dof)


def test_made_ensemble_samples_follow_the_ensembles_likelihood():
  """MADE's sampler draws from the ensemble it is evaluated as: each image from a mask set
  picked uniformly, in that set's own order, matching exp(ensemble_log_prob) of all 16
  2x2 images; and not any single mask set's distribution."""
  model, params = made_model(2, True, shape=(2, 2, 1), width=16, depth=1, seed=3)
  images = binary_images(2, 2)
  probs = np.exp(np.asarray(model.ensemble_log_prob(params, images), np.float64))
  np.testing.assert_allclose(probs.sum(), 1.0, atol=1e-5)
  draws = jax.jit(lambda p: method.made_sample(model, p, jax.random.PRNGKey(4), 4000))(params)
  counts = np.bincount(image_index(draws), minlength=16)
  stat, dof = chi_square(counts, probs)
  assert dof >= 8 and stat < stats.chi2.ppf(0.999, dof), (stat, dof)
  for k in range(2):
    single = np.exp(np.asarray(model.log_prob(params, images, None, k), np.float64))
    stat, dof = chi_square(counts, single)
    assert stat > stats.chi2.ppf(0.999, dof), (k, stat, dof)


def test_made_ensemble_log_prob_is_the_log_mean_of_the_mask_sets_probabilities():
  """ensemble_log_prob == logsumexp_m log p_m(x) - log M over 3 order-agnostic mask sets,
  each p_m a normalised distribution, the ensemble too (512 3x3 images)."""
  model, params = made_model(3, True)
  images = binary_images(3, 3)
  per_mask = np.stack([np.asarray(model.log_prob(params, images, None, k), np.float64) for k in range(3)])
  for row in per_mask:
    np.testing.assert_allclose(np.exp(row).sum(), 1.0, atol=1e-5)
  assert np.abs(per_mask[0] - per_mask[1]).max() > 0.1 and np.abs(per_mask[1] - per_mask[2]).max() > 0.1
  ensemble = np.asarray(jax.jit(model.ensemble_log_prob)(params, images), np.float64)
  reference = np.logaddexp.reduce(per_mask, 0) - math.log(3)
  np.testing.assert_allclose(ensemble, reference, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(np.exp(ensemble).sum(), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", CONFIGS)
def test_smoke_config_trains_to_a_finite_likelihood_and_writes_samples(name, tmp_path):
  """Every config's smoke variant through the trainer, on one device (8 against 1 is
  tests/train/test_contract.py's; the samplers replicated on 8 faked devices cost 4x
  here): a finite exact NLL in nats, bits/dim its conversion, and a sample grid."""
  c = embedded_smoke(name)
  if name.startswith("pixelrnn"):
    # The binary, embedded 4x4 bars and stripes keep their runs small (a PixelRNN step on
    # 28x28 images takes seconds here).
    c.data.name, c.data.binarize = "bars_and_stripes", "none"
  results = trainer.train(c, str(tmp_path), mesh=parallel.make_mesh(jax.devices()[:1]))
  assert np.isfinite(results["nll_nats"]) and results["nll_nats"] > 0
  dims = math.prod(gdata.info(c.data.name).shape)
  np.testing.assert_allclose(results["bits_per_dim"], results["nll_nats"] / (dims * math.log(2)), rtol=1e-5)
  assert sorted(p.name for p in (tmp_path / "samples").glob("*.png")) == ["step_00000004.png"]
