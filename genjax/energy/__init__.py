"""Energy-based models. So far the Bernoulli-Bernoulli RBM: its pure functions (`rbm`: free
energy, Gibbs sampling, CD/PCD, exact log Z by enumeration, AIS) and its trainer method
(`method`, registered as 'rbm')."""
from genjax.energy import method  # noqa: F401  (registers the family)
