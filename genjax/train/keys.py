"""Named key streams: every random draw of a run comes from `stream(seed key, name)`.

Training step s uses fold_in(stream(key, 'train'), s), evaluation batch i
fold_in(stream(key, 'eval'), i), sample chunk i fold_in(stream(key, 'sample'), i): streams
never collide with one another or with step numbers, and any step can be replayed.
"""
import jax

STREAMS = ("init", "train", "eval", "eval_samples", "sample", "pictures", "standing_stats",
           "estimates")


def stream(key, name: str):
  """The key of stream `name` derived from `key`."""
  return jax.random.fold_in(key, STREAMS.index(name) + 1)
