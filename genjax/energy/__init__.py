"""Energy-based models: the fully visible Boltzmann machine (`boltzmann`: exact log Z, moments
and gradients by enumeration, Gibbs sweeps; method 'bm') and the Bernoulli-Bernoulli RBM
(`rbm`: free energy, Gibbs sampling, CD/PCD, exact log Z by enumeration, AIS; method 'rbm')."""
from genjax.energy import bm_method, method  # noqa: F401  (registers the methods)
