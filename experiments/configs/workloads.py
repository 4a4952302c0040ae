"""The benchmark workloads W1-W5 of ../shared/WORKLOADS.md as experiment configs.

`--config=experiments/configs/workloads.py:ae_mlp` trains W1's model for real; the
benchmark binary times the same config on the `mnist_like` synthetic data.
"""
from experiments.configs import autoencoder, vae


def ae_mlp():
  """W1: x(784) -> Dense(32, relu) -> Dense(784, sigmoid); BCE summed over pixels, mean over
  batch; Adam(1e-3, (0.9, 0.999)); batch 256; data u8 / 255."""
  c = autoencoder.get_config("mnist_like", "mlp")
  c.model.latents, c.model.hidden, c.model.loss = 32, (), "bce"
  c.optim.name, c.optim.lr, c.optim.b1, c.optim.b2 = "adam", 1e-3, 0.9, 0.999
  c.batch_size = 256
  c.num_steps = 3000
  return c


def vae_mlp():
  """W3: encoder 784-512-256 -> (mean, log-variance) 32, decoder 32-256-512-784 logits;
  Bernoulli likelihood + analytic KL, summed per example, mean over batch; Adam 1e-3;
  batch 128; data u8 >= 128."""
  c = vae.get_config("mnist_like", "mlp")
  c.model.latents, c.model.hidden, c.model.likelihood = 32, (512, 256), "bernoulli"
  c.model.objective, c.model.beta, c.model.kl = "elbo", 1.0, "analytic"
  c.optim.name, c.optim.lr, c.optim.b1, c.optim.b2 = "adam", 1e-3, 0.9, 0.999
  c.batch_size = 128
  c.num_steps = 1000
  c.data.binarize = "threshold"   # x/255 >= 0.5, i.e. u8 >= 128 (127.5 is not a level)
  return c


def get_config(arg="ae_mlp"):
  makers = {"ae_mlp": ae_mlp, "vae_mlp": vae_mlp}
  if arg not in makers:
    raise ValueError(f"workload config {arg!r} is not defined yet: expected one of {', '.join(makers)}")
  c = makers[arg]()
  c.data.scale, c.data.dequantize = "[0,1]", False
  return c
