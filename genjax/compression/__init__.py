"""Lossless compression with trained models: a vectorised rANS coder (`ans`) and bits-back
coding with a VAE (`bbans`)."""
