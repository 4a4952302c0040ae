"""An MLP WGAN-GP on 8 Gaussians, scored by mode coverage: modes with >= 20 of 2 500 samples
within 3 std, and the share of such samples. On 25 Gaussians this recipe covers 0 of 25:
gan_toy2d_25 is the config for them."""
from experiments.configs import base, gan
from genjax.train.defaults import evaluator


def get_config(arg=None):
  c = gan.get_config("toy2d/8gaussians", arg)
  c.model.latents = 16
  c.model.g_hidden = c.model.d_hidden = (256, 256, 256)
  c.model.loss = "wgan-gp"
  c.model.d_steps = 5
  c.model.ema_decay = 0.99
  c.batch_size = 256
  c.optim.lr, c.optim.b1, c.optim.b2 = 1e-3, 0.5, 0.9
  c.d_optim.lr, c.d_optim.b1, c.d_optim.b2 = 1e-3, 0.5, 0.9
  if arg == "smoke":
    c.batch_size = 16
  else:
    c.num_samples = 2500         # the picture is a 2-D histogram of this many samples
  # mode coverage of 2 500 samples (the standard protocol), every 1 000 steps and at the end
  c.evals.modes = evaluator("sample_metrics", every=1_000, num=2_500)
  if arg == "smoke":
    c.evals.modes.every, c.evals.modes.num = 0, 64
  return base.budget(c, arg, 5_000, 500, 1_000)
