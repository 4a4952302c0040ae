"""Energy-based models. So far the RBM's pure functions (`rbm`): free energy, Gibbs sampling,
CD/PCD gradients, exact log Z by enumeration and AIS; the trainer method comes next."""
