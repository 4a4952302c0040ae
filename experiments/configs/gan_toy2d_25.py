"""An MLP GAN on 25 Gaussians (a 5x5 grid, spacing 1.5, std 0.05), scored by mode coverage
(modes with >= 20 of 2 500 samples within 3 std, and the share of such samples).

What it takes (10 000-step runs, 2026-11-27): gan_toy2d's WGAN-GP covers 0 of 25 modes (its
samples fill the square between them); the non-saturating loss with one D step covers 4
(high-quality samples 70 %: it collapses onto a few modes); adding the R1 penalty on real
data (Mescheder et al. 2018, gamma = 0.1) covers all 25. The penalty keeps D's gradient
small where the data is, so G's samples are not thrown from mode to mode.
"""
from experiments.configs import base, gan_toy2d


def get_config(arg=None):
  c = gan_toy2d.get_config(arg)
  c.data.name = "toy2d/25gaussians"
  c.model.loss = "ns"
  c.model.r1_weight = 0.1
  c.model.d_steps = 1
  return base.budget(c, arg, 20_000, 1_000, 5_000)
