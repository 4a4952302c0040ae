"""Energy-based models:
- `boltzmann`: the fully visible Boltzmann machine, exact log Z, moments and gradients by
  enumeration, Gibbs sweeps (method 'bm');
- `rbm`: the Bernoulli-Bernoulli RBM, free energy, Gibbs sampling, CD/PCD, exact log Z by
  enumeration, AIS (method 'rbm');
- `gaussian_rbm`: the Gaussian-Bernoulli RBM for real values, exact log Z for up to 20 hidden
  units (method 'grbm');
- `dbn`: deep belief networks, greedy stages of RBMs, top-down sampling, the variational lower
  bound (method 'dbn');
- `langevin`: a convolutional energy network trained with Langevin dynamics and a replay
  buffer (method 'ebm').
"""
from genjax.energy import bm_method, dbn_method, grbm_method, langevin_method, method  # noqa: F401  (registers the methods)
