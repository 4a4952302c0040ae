"""Every config field and its default: the trainer's, the data's, the optimiser's, and each
family's own (`register(name, defaults=...)`). Experiment configs start from `for_model`;
a saved run's config is merged onto it, so a run from before a field existed still loads."""
import ml_collections


def base() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.seed = 0
  c.batch_size = 128
  c.eval_batch_size = 512
  c.num_steps = 10_000
  c.log_every = 500            # host syncs only here: progress line, metrics.jsonl, TensorBoard
  c.checkpoint_every = 2_000
  c.keep_checkpoints = 3
  c.sample_every = 0           # 0: sample grid at the end only
  c.num_samples = 64
  c.block_every = 1            # CPU with several devices: wait for every Nth step
  c.steps_per_dispatch = 1     # k > 1: k steps per compiled call (a lax.scan), one host round trip;
                               # cadences and num_steps multiples of k (XLA's CPU convs are slow in loops)
  c.precision = "float32"      # or 'bfloat16': training steps compute in bfloat16, parameters and
                               # optimiser state stay float32 (families that support it)
  c.sample_chunk = 1000        # samples drawn per call of the method's sample (memory, not results)
  c.stage = 0                  # in a staged run, the stage this run is (1, 2, ...); see stages
  c.stages = ml_collections.ConfigDict()   # stage1, stage2, ...: overrides per stage (train/stages.py)

  c.data = ml_collections.ConfigDict()
  c.data.name = "mnist"
  c.data.manual_dir = ""       # folder with the raw files: prepare offline (TFDS checks checksums)
  c.data.data_dir = ""         # TFDS data dir; '' = TFDS default (~/tensorflow_datasets)
  c.data.download = False      # never download unless asked
  c.data.train_split = "train"
  c.data.eval_split = "validation"   # what training monitors; experiments.evaluate scores 'test'
  c.data.validation_fraction = 0.1   # of 'train' held out as 'validation' where a set has none
  c.data.scale = "[0,1]"       # '[0,1]' or '[-1,1]'
  c.data.binarize = "none"     # 'none', 'dynamic' (resampled each step) or 'threshold' (0.5)
  c.data.dequantize = False    # uniform dequantisation: (x + u) / 256
  c.data.train_subset = 0      # >0: a class-balanced random subset of the train split this big
  c.data.subset_seed = 0
  c.data.augment_with = ""     # an .npz of extra labelled training images (x uint8, label)
  c.data.augment_only = False  # train on augment_with's images alone (e.g. a GAN's samples)
  c.data.real_per_batch = 0    # with augment_with: m original examples in every batch, the rest
                               # appended ones (0: batches drawn uniformly from the union)
  c.data.feed = "auto"         # 'resident': the train split on every device, each step gathers its
                               # rows (fast); 'stream': the host sends each batch, prefetched in a
                               # thread (splits too big for a device); 'auto': resident up to
  c.data.resident_max_mb = 2048.0  # this many MiB of train split, streamed above
  c.data.storage = "memory"    # the train split in host memory, or 'disk': written once to a cache
                               # under data_dir (TFDS streamed into it), memory-mapped, read per batch
  c.data.toy2d_train_size = 100_000
  c.data.toy2d_test_size = 10_000
  c.data.toy2d_seed = 0

  c.model = ml_collections.ConfigDict()
  c.model.name = ""
  c.optim = optim()
  # Named evaluators (genjax.evaluation.evaluators): training runs them on data.eval_split
  # every `every` steps (0: at the end only; -1: only experiments.evaluate, on the test split).
  c.evals = ml_collections.ConfigDict()
  c.evals.eval = evaluator("per_example")
  return c


def evaluator(kind: str, every: int = 0, replicates: int = 1, **options) -> ml_collections.ConfigDict:
  """An evaluator's config entry: its kind, schedule, replicate draws and kind's options."""
  return ml_collections.ConfigDict(dict(kind=kind, every=every, replicates=replicates, **options))


def optim() -> ml_collections.ConfigDict:
  o = ml_collections.ConfigDict()
  o.name = "adam"
  o.lr = 1e-3
  o.b1 = 0.9
  o.b2 = 0.999
  o.weight_decay = 0.0
  o.grad_clip = 0.0
  o.momentum = 0.0         # sgd only
  o.schedule = "constant"  # or 'cosine': lr decays to 0 over optim.decay_steps
  o.decay_steps = 0        # 0: over the run's num_steps
  return o


def for_model(name: str) -> ml_collections.ConfigDict:
  """The base config with model `name`'s family fields and their defaults."""
  from genjax.train.method import family_defaults
  c = base()
  c.model.name = name
  hook = family_defaults().get(name)
  if hook is not None:
    hook(c)
  return c
