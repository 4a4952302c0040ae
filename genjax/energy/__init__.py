"""Energy-based models: the fully visible Boltzmann machine (`boltzmann`: exact log Z, moments
and gradients by enumeration, Gibbs sweeps; method 'bm'), the Bernoulli-Bernoulli RBM
(`rbm`: free energy, Gibbs sampling, CD/PCD, exact log Z by enumeration, AIS; method 'rbm')
and the deep belief network (`dbn`: greedy stages of RBMs, top-down sampling, the variational
lower bound; method 'dbn'), and the convolutional energy network trained with Langevin
dynamics and a replay buffer (`langevin`; method 'ebm')."""
from genjax.energy import bm_method, dbn_method, langevin_method, method  # noqa: F401  (registers the methods)
