"""Defaults shared by every experiment config. Each field is overridable as --config.x=y."""
import ml_collections


def get_config():
  c = ml_collections.ConfigDict()
  c.seed = 0
  c.batch_size = 128
  c.eval_batch_size = 512
  c.num_steps = 10_000
  c.log_every = 500            # host syncs only here: progress line, metrics.jsonl, TensorBoard
  c.checkpoint_every = 2_000
  c.keep_checkpoints = 3
  c.eval_every = 0             # 0: evaluate at the end only
  c.sample_every = 0           # 0: sample grid at the end only
  c.num_samples = 64
  c.block_every = 1            # CPU with several devices: wait for every Nth step

  c.data = ml_collections.ConfigDict()
  c.data.name = "mnist"
  c.data.manual_dir = ""       # folder with the raw files: prepare offline (TFDS checks checksums)
  c.data.data_dir = ""         # TFDS data dir; '' = TFDS default (~/tensorflow_datasets)
  c.data.download = False      # never download unless asked
  c.data.train_split = "train"
  c.data.eval_split = "test"
  c.data.scale = "[0,1]"       # '[0,1]' or '[-1,1]'
  c.data.binarize = "none"     # 'none', 'dynamic' (resampled each step) or 'threshold' (0.5)
  c.data.dequantize = False    # uniform dequantisation: (x + u) / 256
  c.data.train_subset = 0      # >0: a class-balanced random subset of the train split this big
  c.data.subset_seed = 0
  c.data.augment_with = ""     # an .npz of extra labelled training images (x uint8, label)
  c.data.toy2d_train_size = 100_000
  c.data.toy2d_test_size = 10_000
  c.data.toy2d_seed = 0

  c.model = ml_collections.ConfigDict()
  c.model.name = ""

  c.optim = ml_collections.ConfigDict()
  c.optim.name = "adam"
  c.optim.lr = 1e-3
  c.optim.b1 = 0.9
  c.optim.b2 = 0.999
  c.optim.weight_decay = 0.0
  c.optim.grad_clip = 0.0
  c.optim.momentum = 0.0         # sgd only
  c.optim.schedule = "constant"  # or 'cosine': lr decays to 0 over optim.decay_steps
  c.optim.decay_steps = 0        # 0: over the run's num_steps
  return c


def budget(c, arg, num_steps, log_every, checkpoint_every, eval_every=0):
  """Sets a full run's length, leaving the smoke variant's tiny one alone."""
  if arg != "smoke":
    c.num_steps, c.log_every = num_steps, log_every
    c.checkpoint_every, c.eval_every = checkpoint_every, eval_every
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
