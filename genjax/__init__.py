"""genjax: deep generative models in JAX, one trainer for every family."""

__version__ = "0.1.0"
