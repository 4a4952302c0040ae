"""Shared VAE defaults: W3's MLP (784-512-256 -> 32 latents -> 256-512-784), Adam 1e-3, batch 128."""
from experiments.configs import base


def get_config(dataset="binarized_mnist", arch="mlp", arg=None):
  c = base.get_config()
  c.data.name = dataset
  c.data.train_split = "train"
  c.data.eval_split = "test"
  c.model.name = "vae"
  c.model.arch = arch
  c.model.latents = 32
  c.model.hidden = (512, 256)    # mlp: encoder widths (decoder mirrors); conv: the two conv widths
  c.model.likelihood = "bernoulli"   # or 'logistic' (discretised, for grey levels)
  c.model.objective = "elbo"     # or 'iwae' (trains the IWAE-k bound)
  c.model.k = 1                  # importance samples for objective='iwae'
  c.model.beta = 1.0             # KL weight (beta-VAE); 1.0 is the ELBO
  c.model.kl = "analytic"        # or 'mc' (single-sample estimate)
  c.model.eval_k = 100           # IWAE samples in training-time evals; experiments.evaluate uses --k=5000
  c.model.eval_chunk = 100       # samples per chunk: memory is O(eval_chunk * eval_batch_size)
  c.batch_size = 128
  c.eval_batch_size = 256
  c.optim.lr = 1e-3
  if arg == "smoke":
    base.smoke(c)
    c.model.eval_k, c.model.eval_chunk = 8, 4
  elif arg:
    raise ValueError(f"config argument {arg!r} is not known: expected 'smoke' or nothing")
  return c
