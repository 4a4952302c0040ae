"""Sample-quality metrics that need no feature network: mode coverage on 2-D mixtures."""
import numpy as np

from genjax.data import toy2d

# Mixture modes and component std of the toy sets the literature scores this way.
MIXTURES = {"toy2d/8gaussians": (toy2d.eight_gaussians_modes, toy2d.EIGHT_GAUSSIANS_STD),
            "toy2d/25gaussians": (toy2d.twenty_five_gaussians_modes, toy2d.TWENTY_FIVE_GAUSSIANS_STD)}


def mode_coverage(samples: np.ndarray, modes: np.ndarray, std: float, min_count: int = 20):
  """A sample is high-quality if within 3 std of its nearest mode; a mode is covered if at
  least `min_count` high-quality samples are nearest to it (the protocol of Srivastava et
  al. 2017 / Lin et al. 2018, with 2 500 samples)."""
  d = np.linalg.norm(samples[:, None, :] - modes[None], axis=-1)
  nearest, dist = d.argmin(1), d.min(1)
  good = dist < 3 * std
  counts = np.bincount(nearest[good], minlength=len(modes))
  return {"modes_covered": int(np.sum(counts >= min_count)), "modes_total": len(modes),
          "high_quality_fraction": float(good.mean())}
