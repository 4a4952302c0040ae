"""Variational autoencoders: MLP and convolutional, ELBO / beta-VAE / IWAE, honest likelihoods."""
from genjax.vae import objectives
from genjax.vae.method import State, build, protocol

__all__ = ["State", "build", "objectives", "protocol"]
