"""Autoencoders: the chapter's MLP autoencoder and a convolutional one."""
from genjax.autoencoder.method import State, build, reconstruction_loss
from genjax.autoencoder.modules import ConvAutoencoder, MLPAutoencoder

__all__ = ["ConvAutoencoder", "MLPAutoencoder", "State", "build", "reconstruction_loss"]
