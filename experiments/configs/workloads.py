"""The benchmark workloads W1-W5 of ../shared/WORKLOADS.md as experiment configs.

`--config=experiments/configs/workloads.py:ae_mlp` trains W1's model for real; the
benchmark binary times the same config on the `mnist_like` synthetic data.
"""
from experiments.configs import autoencoder, base


def ae_mlp():
  """W1: x(784) -> Dense(32, relu) -> Dense(784, sigmoid); BCE summed over pixels, mean over
  batch; Adam(1e-3, (0.9, 0.999)); batch 256; data u8 / 255."""
  c = autoencoder.get_config("mnist_like", "mlp")
  c.model.latents, c.model.hidden, c.model.loss = 32, (), "bce"
  c.optim.name, c.optim.lr, c.optim.b1, c.optim.b2 = "adam", 1e-3, 0.9, 0.999
  c.batch_size = 256
  c.num_steps = 3000
  return c


def get_config(arg="ae_mlp"):
  makers = {"ae_mlp": ae_mlp}
  if arg not in makers:
    raise ValueError(f"workload config {arg!r} is not defined yet: expected one of {', '.join(makers)}")
  c = makers[arg]()
  c.data.scale, c.data.binarize, c.data.dequantize = "[0,1]", "none", False
  return c
