"""rANS: round trips are bit-exact, code lengths match -log2 p, and BB-ANS's rate matches
the expected negative ELBO of its discretised latent, enumerated."""
import numpy as np
import pytest
from scipy.special import expit

from genjax.compression import ans, bbans


def test_round_trip_of_every_coder_is_exact_through_the_words():
  rng = np.random.default_rng(0)
  lanes, steps, prec = 5, 300, 12
  m = ans.empty(lanes)
  start = m.head.copy()
  pushed = []
  for t in range(steps):
    kind = t % 3
    if kind == 0:
      f1 = ans.bernoulli_freqs(rng.uniform(0, 1, lanes), prec)
      s = rng.uniform(size=lanes) < f1 / 2 ** prec
      ans.push_bernoulli(m, s, f1, prec)
    elif kind == 1:
      f1 = ans.categorical_freqs(rng.dirichlet(np.ones(7), lanes), prec)
      s = np.array([rng.choice(7, p=f / f.sum()) for f in f1.astype(float)])
      ans.push_categorical(m, s, f1, prec)
    else:
      f1, s = None, rng.integers(0, 2 ** 5, lanes)
      ans.push_uniform(m, s, 5)
    pushed.append((kind, f1, s))
  d = ans.from_words(ans.to_words(m), lanes)
  for kind, f1, s in reversed(pushed):
    got = (ans.pop_bernoulli(d, f1, prec) if kind == 0 else
           ans.pop_categorical(d, f1, prec) if kind == 1 else ans.pop_uniform(d, 5))
    np.testing.assert_array_equal(got, s)
  np.testing.assert_array_equal(d.head, start)   # back to the empty message
  assert d.size == 0


def test_bits_back_from_an_empty_message_then_every_precision_round_trips():
  """Symbols popped from an empty message (borrowing words, as BB-ANS's first image does)
  are draws, not always symbol 0; then pushes at every precision 1..32 with extreme
  frequencies (1 and 2^p - 1); decoding reverses all of it and returns the popped symbols."""
  rng = np.random.default_rng(8)
  lanes = 6
  m = ans.empty(lanes, seed=1)
  start_head = m.head.copy()
  freqs = ans.categorical_freqs(np.ones((lanes, 16)), 20)
  popped = [ans.pop_categorical(m, freqs, 20) for _ in range(40)]
  assert len(set(popped[0].tolist())) > 1
  pushed = []
  for p in range(1, 33):
    f = rng.choice(np.array([1, (1 << p) - 1, max(1, 1 << (p - 1))], np.uint64), lanes) if p > 1 else np.ones(lanes, np.uint64)
    start = np.array([rng.integers(0, (1 << p) - int(fi) + 1) for fi in f], np.uint64)
    ans.push(m, start, f, p)
    pushed.append((p, start, f))
  d = ans.from_words(ans.to_words(m), lanes)
  for p, start, f in reversed(pushed):
    np.testing.assert_array_equal(ans.peek(d, p) - start < f, True)
    ans.pop(d, start, f, p)
  for symbols in reversed(popped):
    ans.push_categorical(d, symbols, freqs, 20)
  np.testing.assert_array_equal(d.head, start_head)   # the borrowed words are left on the stack
  assert d.size > 0


def test_categorical_freqs_sum_to_the_precision_and_keep_every_symbol():
  probs = np.array([[1.0, 0.0, 0.0, 1e-12], [0.25, 0.25, 0.25, 0.25]])
  f = ans.categorical_freqs(probs, 10)
  np.testing.assert_array_equal(f.sum(-1), [1024, 1024])
  assert f.min() >= 1 and f[1].tolist() == [256, 256, 256, 256]
  tight = ans.categorical_freqs(np.full((3, 10), 0.1), 4)     # 10 symbols in 16 counts
  assert tight.astype(np.int64).min() >= 1 and tight.sum(-1).tolist() == [16, 16, 16]


def test_non_finite_probabilities_are_refused():
  with pytest.raises(ValueError, match="non-finite Bernoulli"):
    ans.bernoulli_freqs(np.array([0.5, np.nan]), 16)
  with pytest.raises(ValueError, match="non-finite categorical"):
    ans.categorical_freqs(np.array([[0.5, np.inf]]), 16)


def test_code_length_of_independent_bernoullis_is_their_information():
  """2 000 pixels per lane: the message grows by -log2 p(x) summed, to within the head's
  64 bits and a word's rounding per lane."""
  rng = np.random.default_rng(1)
  lanes, n, prec = 4, 2000, 16
  p1 = rng.uniform(0.02, 0.98, (n, lanes))
  x = rng.uniform(size=(n, lanes)) < p1
  m = ans.empty(lanes)
  f1 = ans.bernoulli_freqs(p1, prec)
  for t in range(n):
    ans.push_bernoulli(m, x[t], f1[t], prec)
  q1 = f1 / 2 ** prec
  ideal = -np.log2(np.where(x, q1, 1 - q1)).sum()
  assert ideal <= m.bits() - 32 * lanes <= ideal + (64 + 32) * lanes


def test_truncated_message_is_a_decode_error():
  m = ans.empty(2)
  for _ in range(200):
    ans.push_uniform(m, np.array([3, 9]), 8)
  words = ans.to_words(m)
  d = ans.from_words(np.concatenate([words[:2], words[-4:]]), 2)   # most of the stack dropped
  with pytest.raises(ans.DecodeError, match="ended early"):
    for _ in range(200):
      ans.pop_uniform(d, 8)


def toy_codec(latent_bits=6):
  """A 1-latent model: q(z|x) = N(a.x - 1, 0.3^2), p(x_d | z) = sigmoid(w_d z + b_d)."""
  rng = np.random.default_rng(2)
  a, w, b = rng.normal(0, 0.4, 12), rng.normal(0, 2.0, 12), rng.normal(0, 0.5, 12)
  posterior = lambda x: ((x @ a - 1.0)[:, None], np.full((len(x), 1), 0.3))
  likelihood = lambda z: expit(z[:, :1] * w + b).astype(np.float32)
  return bbans.Codec(posterior, likelihood, latent_bits=latent_bits), (a, w, b)


def expected_bits(x, codec):
  """The exact mean and variance of BB-ANS's cost for image x: the discretised negative ELBO,
  summed over every bucket with the coder's own integer probabilities."""
  q = bbans.posterior_freqs(*codec.posterior(x[None]), codec)[0, 0] / 2 ** codec.posterior_precision
  centres = bbans.bucket_centres(codec.latent_bits)[:, None]
  f1 = ans.bernoulli_freqs(codec.likelihood(centres), codec.pixel_precision) / 2 ** codec.pixel_precision
  log_px = np.log2(np.where(x[None], f1, 1 - f1)).sum(-1)
  cost = -log_px + codec.latent_bits + np.log2(q)
  mean = (q * cost).sum()
  return mean, (q * (cost - mean) ** 2).sum()


def test_bbans_round_trip_and_rate_equals_the_discretised_negative_elbo():
  codec, _ = toy_codec()
  rng = np.random.default_rng(3)
  lanes, n = 4, 400
  x = rng.uniform(size=(n, 12)) < 0.4
  m = ans.empty(lanes, seed=5)
  ans.encode_chain(m, x, lambda m, b: bbans.encode(m, b, codec))
  words = ans.to_words(m)
  np.testing.assert_array_equal(ans.decode_chain(ans.from_words(words, lanes), n,
                                                    lambda m: bbans.decode(m, 1, 12, codec)), x)
  means, variances = zip(*(expected_bits(xi, codec) for xi in x))
  excess = 32 * len(words) - sum(means) - 64 * lanes        # the final heads hold 64 bits each
  assert abs(excess) < 3 * np.sqrt(sum(variances)) + 32 * lanes


def test_generic_codecs_report_the_size_of_what_they_decompress_to():
  import bz2, io
  from PIL import Image
  from genjax.compression import baselines
  rng = np.random.default_rng(6)
  images = (rng.uniform(size=(40, 8, 8)) < 0.1).astype(np.uint8)
  rates = baselines.generic_bits_per_dim(images)
  packed = np.packbits(images.reshape(-1)).tobytes()
  assert rates["bz2"] == min(len(bz2.compress(packed, 9)), len(bz2.compress(images.tobytes(), 9))) * 8 / images.size
  png = baselines.png_bytes(images)
  np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png))).reshape(40, 8, 8), images)
  assert rates["png"] == len(png) * 8 / images.size


def test_exact_coding_round_trips_and_costs_the_models_information():
  """A tiny autoregressive model (logistic regression on the pixels before each, in a random
  order): the decoder's conditionals come from partial images, and its code length is the
  model's -log2 p(x)."""
  from genjax.compression import exact
  rng = np.random.default_rng(7)
  d, lanes, n = 10, 3, 60
  order = rng.permutation(d)
  rank = np.argsort(order)
  w = np.tril(rng.normal(0, 1.5, (d, d)), -1)[rank][:, rank]   # pixel i sees the pixels before it in order
  b = rng.normal(0, 1, d)
  conditionals = lambda x: expit(x.astype(np.float32) @ w.T.astype(np.float32) + b.astype(np.float32))
  x = np.zeros((n, d), bool)
  for i in order:
    x[:, i] = rng.uniform(size=n) < conditionals(x)[:, i]
  m = ans.empty(lanes)
  ans.encode_chain(m, x, lambda m, b: exact.encode(m, b, conditionals, order))
  words = ans.to_words(m)
  np.testing.assert_array_equal(ans.decode_chain(ans.from_words(words, lanes), n,
                                                    lambda m: exact.decode(m, d, conditionals, order)), x)
  q1 = ans.bernoulli_freqs(conditionals(x), 16) / 2 ** 16
  ideal = -np.log2(np.where(x, q1, 1 - q1)).sum()
  assert ideal <= 32 * len(words) - 32 * lanes <= ideal + (64 + 32) * lanes
