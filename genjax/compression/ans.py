"""Range asymmetric numeral systems (rANS; Duda 2013) on many lanes at once.

A message is a head per lane, x in [2^32, 2^64) (uint64), over one shared stack of 32-bit
words. Coding a symbol of integer frequency f, start s (its cumulative frequency) at
precision p (the frequencies of all symbols sum to 2^p) moves log2(2^p / f) bits into x:

  push:  if x >= f 2^(64-p): put x's low 32 bits on the stack, x >>= 32
         x <- (x // f) 2^p + x mod f + s
  pop:   c = x mod 2^p (the symbol is the one with s <= c < s + f)
         x <- f (x >> p) + c - s;  if x < 2^32: x <- x 2^32 + a word from the stack

Pop is push's exact inverse, so decoding pops the symbols in the reverse order of their
pushes. Each step is one numpy operation over all lanes (each lane is an independent chain of
symbols); the lanes that overflow push their words in lane order, and popping takes them
back in the same order, so the stack needs no per-lane bookkeeping. Everything is integer
arithmetic: an encoder and a decoder that compute the same frequencies agree bit for bit.
"""
import dataclasses

import numpy as np

LOW = np.uint64(1 << 32)     # the head's lower bound: x in [LOW, 2^64)
WORD = np.uint64(32)
MASK32 = np.uint64(0xFFFFFFFF)


class DecodeError(ValueError):
  """The message ran out of words: it was truncated, or decoded with another model."""


@dataclasses.dataclass
class Message:
  head: np.ndarray               # (lanes,) uint64 in [2^32, 2^64)
  stack: np.ndarray              # uint32 words, stack[:size] in use (the top at size - 1)
  size: int = 0
  borrow: object = None          # encoder only: a numpy Generator lending words to an empty stack

  @property
  def lanes(self) -> int:
    return self.head.shape[0]

  def bits(self) -> int:
    """The length of the message as `to_words` writes it, in bits."""
    return 64 * self.lanes + 32 * self.size


def empty(lanes: int, seed: int = 0) -> Message:
  """A message of `lanes` heads with random low halves (written as 64 bits anyway), so the
  first symbol popped from it is a draw, not always the first symbol. Popping on (bits-back
  coding's first step) borrows pseudo-random words from a generator seeded by `seed`: the
  "clean bits" of BB-ANS. They stay in the message (each chain's first image gets no bits
  back) and are left over after decoding, where the decoder ignores them; they must look
  random so the symbols popped with them follow their distributions. Their cost is paid once
  per lane, so it shrinks as the chains grow."""
  borrow = np.random.default_rng(seed)
  return Message(head=LOW | borrow.integers(0, 1 << 32, lanes, dtype=np.uint64),
                 stack=np.zeros(1024, np.uint32), borrow=borrow)


def _push_words(m: Message, words: np.ndarray):
  if m.size + len(words) > len(m.stack):
    m.stack = np.concatenate([m.stack, np.zeros(max(len(m.stack), len(words)), np.uint32)])
  m.stack[m.size:m.size + len(words)] = words
  m.size += len(words)


def _pop_words(m: Message, n: int) -> np.ndarray:
  take = min(n, m.size)
  words = m.stack[m.size - take:m.size].copy()
  m.size -= take
  if take < n:
    if m.borrow is None:
      raise DecodeError("the compressed data ended early (truncated, or decoded with a different model)")
    words = np.concatenate([m.borrow.integers(0, 1 << 32, n - take, dtype=np.uint64).astype(np.uint32),
                            words])
  return words


def push(m: Message, start, freq, precision: int) -> None:
  """Code one symbol per lane: start and freq are (lanes,) integers, 1 <= freq, start +
  freq <= 2^precision, precision <= 32."""
  start, freq = np.asarray(start, np.uint64), np.asarray(freq, np.uint64)
  over = (m.head >> np.uint64(64 - precision)) >= freq     # x >= freq 2^(64 - p), without overflow
  if over.any():
    _push_words(m, (m.head[over] & MASK32).astype(np.uint32))
    m.head = np.where(over, m.head >> WORD, m.head)
  m.head = ((m.head // freq) << np.uint64(precision)) + m.head % freq + start


def peek(m: Message, precision: int) -> np.ndarray:
  """The cumulative-frequency slot c = x mod 2^p that names each lane's next symbol."""
  return m.head & np.uint64((1 << precision) - 1)


def pop(m: Message, start, freq, precision: int) -> None:
  """Remove the symbols (start, freq) that `peek` named, one per lane."""
  start, freq = np.asarray(start, np.uint64), np.asarray(freq, np.uint64)
  m.head = freq * (m.head >> np.uint64(precision)) + peek(m, precision) - start
  under = m.head < LOW
  if under.any():
    words = _pop_words(m, int(under.sum())).astype(np.uint64)
    head = m.head.copy()
    head[under] = (head[under] << WORD) | words
    m.head = head


def encode_chain(m: Message, images, encode) -> None:
  """images (n, D) with n a multiple of the lanes: lane l codes images l, l + lanes, ... in
  that order, each batch of one image per lane by `encode(m, batch)`."""
  for batch in np.asarray(images).reshape(-1, m.lanes, images.shape[-1]):
    encode(m, batch)


def decode_chain(m: Message, n: int, decode) -> np.ndarray:
  """The n images `encode_chain` pushed, in their original order; `decode(m)` pops the last
  batch of one image per lane."""
  batches = [decode(m) for _ in range(n // m.lanes)]
  return np.stack(batches[::-1]).reshape(n, -1)


def to_words(m: Message) -> np.ndarray:
  """The message as uint32 words: the stack (bottom first), then each head's high and low
  halves."""
  heads = np.stack([m.head >> WORD, m.head & MASK32], 1).astype(np.uint32).reshape(-1)
  return np.concatenate([m.stack[:m.size], heads])


def from_words(words: np.ndarray, lanes: int) -> Message:
  """The message `to_words` wrote (for decoding: it never borrows)."""
  words = np.asarray(words, np.uint32)
  if len(words) < 2 * lanes:
    raise DecodeError("the compressed data is shorter than its heads")
  heads = words[len(words) - 2 * lanes:].astype(np.uint64).reshape(lanes, 2)
  head = (heads[:, 0] << WORD) | heads[:, 1]
  if (head < LOW).any():
    raise DecodeError("a head is below 2^32: the compressed data is corrupt")
  stack = words[:len(words) - 2 * lanes].copy()
  return Message(head=head, stack=stack, size=len(stack))


# Distributions as integer frequencies, computed the same way on both sides.

def check_probabilities(p, what: str):
  """Coding needs finite probabilities (a NaN would silently become a nonsense frequency)."""
  if not np.isfinite(p).all():
    raise ValueError(f"the model gave non-finite {what} probabilities: cannot code with them")


def bernoulli_freqs(p1, precision: int) -> np.ndarray:
  """The frequency of a 1 for probabilities p1 (any shape): round(p1 2^p), clipped to
  [1, 2^p - 1] so both outcomes stay codable. A 0 has frequency 2^p minus it, start 0."""
  p1 = np.asarray(p1, np.float64)
  check_probabilities(p1, "Bernoulli")
  total = 1 << precision
  return np.clip(np.rint(p1 * total), 1, total - 1).astype(np.uint64)


def push_bernoulli(m: Message, bits, f1, precision: int) -> None:
  bits = np.asarray(bits, bool)
  f0 = np.uint64(1 << precision) - f1
  push(m, np.where(bits, f0, 0), np.where(bits, f1, f0), precision)


def pop_bernoulli(m: Message, f1, precision: int) -> np.ndarray:
  f0 = np.uint64(1 << precision) - f1
  bits = peek(m, precision) >= f0
  pop(m, np.where(bits, f0, 0), np.where(bits, f1, f0), precision)
  return bits


def categorical_freqs(probs, precision: int) -> np.ndarray:
  """Integer frequencies (..., K) summing to 2^p along the last axis, every symbol at least
  1: each gets 1 plus the floor of its share of the remaining 2^p - K, and the most probable
  symbol the floors' residue (between 0 and K)."""
  probs = np.asarray(probs, np.float64)
  check_probabilities(probs, "categorical")
  k, total = probs.shape[-1], 1 << precision
  if k > total or (probs < 0).any() or not (probs.sum(-1) > 0).all():
    raise ValueError(f"cannot code {k} symbols at {precision} bits with these probabilities")
  probs = probs / probs.sum(-1, keepdims=True)
  freqs = 1 + np.floor(probs * (total - k)).astype(np.int64)
  top = np.argmax(probs, -1)[..., None]
  residue = total - freqs.sum(-1, keepdims=True)
  np.put_along_axis(freqs, top, np.take_along_axis(freqs, top, -1) + residue, -1)
  return freqs.astype(np.uint64)


def push_categorical(m: Message, symbols, freqs, precision: int) -> None:
  """symbols (lanes,) ints, freqs (lanes, K) from `categorical_freqs`."""
  starts = np.cumsum(freqs, -1) - freqs
  idx = np.asarray(symbols)[:, None]
  push(m, np.take_along_axis(starts, idx, 1)[:, 0], np.take_along_axis(freqs, idx, 1)[:, 0], precision)


def pop_categorical(m: Message, freqs, precision: int) -> np.ndarray:
  ends = np.cumsum(freqs, -1)
  symbols = (peek(m, precision)[:, None] >= ends).sum(-1)
  idx = symbols[:, None]
  f = np.take_along_axis(freqs, idx, 1)[:, 0]
  pop(m, np.take_along_axis(ends, idx, 1)[:, 0] - f, f, precision)
  return symbols


def push_uniform(m: Message, symbols, precision: int) -> None:
  """symbols in [0, 2^p), each of probability 2^-p."""
  push(m, np.asarray(symbols, np.uint64), np.ones(len(symbols), np.uint64), precision)


def pop_uniform(m: Message, precision: int) -> np.ndarray:
  symbols = peek(m, precision)
  pop(m, symbols, np.ones(len(symbols), np.uint64), precision)
  return symbols
