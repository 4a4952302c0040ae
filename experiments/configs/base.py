"""Defaults shared by every experiment config (genjax.train.defaults holds every field).
Each field is overridable as --config.x=y."""
from genjax.train import defaults


def get_config(model=""):
  """Every field of the base config and, given a model name, of its family."""
  return defaults.for_model(model) if model else defaults.base()


def budget(c, arg, num_steps, log_every, checkpoint_every, eval_every=0):
  """Sets a full run's length and how often it evaluates on validation (0: at the end),
  leaving the smoke variant's tiny one alone."""
  if arg != "smoke":
    c.num_steps, c.log_every = num_steps, log_every
    c.checkpoint_every, c.evals.eval.every = checkpoint_every, eval_every
  return c


def smoke(c):
  """The tiny variant tests and CI run: a few steps, small batches."""
  c.batch_size = 16
  c.eval_batch_size = 64
  c.num_steps = 4
  c.log_every = 2
  c.checkpoint_every = 2
  c.num_samples = 16
  return c


def variant(c, arg):
  """Applies the config argument: 'smoke' or nothing; anything else is one line."""
  if arg == "smoke":
    smoke(c)
  elif arg:
    raise ValueError(f"config argument {arg!r} is not known: expected 'smoke' or nothing")
  return c
