"""The glow workload in PyTorch (README, "Benchmarks"): the peer genjax is timed against.

The same model as experiments/configs/workloads.py's `glow` (levels 2, steps 4, width 64,
batch 64); torch's default initialisation of the first two conditioner layers differs from
flax's, so only the speed compares, not the losses.

Not part of genjax (torch is not a dependency); run it in its own environment:
  /tmp/torchvenv/bin/python experiments/reference/torch_glow.py [--compile] [--steps 60]
"""
import argparse
import json
import math

import numpy as np
import scipy.linalg
import torch

from torch_ae_mlp import add_device_flag, mnist_like_uint8, set_up, time_steps

ALPHA = 1e-6


class ActNorm(torch.nn.Module):
  """Per-channel affine map, initialised from the first batch (zero mean, unit variance)."""

  def __init__(self, c):
    super().__init__()
    self.shift, self.log_scale = torch.nn.Parameter(torch.zeros(c)), torch.nn.Parameter(torch.zeros(c))
    self.initialised = False

  def forward(self, x):                    # x: (B, H, W, C)
    if not self.initialised:
      with torch.no_grad():
        self.shift.copy_(-x.mean((0, 1, 2)))
        self.log_scale.copy_(-torch.log(x.std((0, 1, 2), unbiased=False) + 1e-6))
      self.initialised = True
    return (x + self.shift) * torch.exp(self.log_scale), x.shape[1] * x.shape[2] * self.log_scale.sum()


class InvConv1x1(torch.nn.Module):
  """W = P L (U + diag(sign exp(log_s))), P and the signs fixed from a random rotation's LU."""

  def __init__(self, c, seed):
    super().__init__()
    w0 = np.linalg.qr(np.random.default_rng(seed).standard_normal((c, c)))[0]
    p, l, u = scipy.linalg.lu(w0)
    self.register_buffer("p", torch.tensor(p, dtype=torch.float32))
    self.register_buffer("sign", torch.tensor(np.sign(np.diag(u)), dtype=torch.float32))
    self.lower = torch.nn.Parameter(torch.tensor(l, dtype=torch.float32))
    self.upper = torch.nn.Parameter(torch.tensor(u, dtype=torch.float32))
    self.log_s = torch.nn.Parameter(torch.tensor(np.log(np.abs(np.diag(u))), dtype=torch.float32))
    self.register_buffer("eye", torch.eye(c))

  def forward(self, x):
    w = self.p @ (torch.tril(self.lower, -1) + self.eye) @ (
        torch.triu(self.upper, 1) + torch.diag(self.sign * torch.exp(self.log_s)))
    return x @ w, x.shape[1] * x.shape[2] * self.log_s.sum()


class AffineCoupling(torch.nn.Module):
  """The second half of the channels: (x_b + t) * exp(scale * tanh(raw)), t and raw from x_a."""

  def __init__(self, c, width, parity):
    super().__init__()
    self.parity, self.ca = parity, (c // 2 if parity == 0 else c - c // 2)
    cb = c - self.ca
    self.net = torch.nn.Sequential(torch.nn.Conv2d(self.ca, width, 3, padding=1), torch.nn.ReLU(),
                                   torch.nn.Conv2d(width, width, 1), torch.nn.ReLU(),
                                   torch.nn.Conv2d(width, 2 * cb, 3, padding=1))
    torch.nn.init.zeros_(self.net[-1].weight)
    torch.nn.init.zeros_(self.net[-1].bias)
    self.scale = torch.nn.Parameter(torch.ones(cb))

  def forward(self, x):                    # channels last outside, NCHW (channels_last) inside
    c = x.shape[-1]
    x_a, x_b = (x[..., :c // 2], x[..., c // 2:]) if self.parity == 0 else (x[..., c // 2:], x[..., :c // 2])
    out = self.net(x_a.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    out = out.reshape(out.shape[:-1] + (-1, 2))
    log_scale = self.scale * torch.tanh(out[..., 1])
    y_b = (x_b + out[..., 0]) * torch.exp(log_scale)
    y = torch.cat([x_a, y_b], -1) if self.parity == 0 else torch.cat([y_b, x_a], -1)
    return y, log_scale.sum((1, 2, 3))


def squeeze(x):
  b, h, w, c = x.shape
  return x.reshape(b, h // 2, 2, w // 2, 2, c).permute(0, 1, 3, 2, 4, 5).reshape(b, h // 2, w // 2, 4 * c)


class Glow(torch.nn.Module):
  def __init__(self, levels=2, steps=4, width=64):
    super().__init__()
    self.levels, c = torch.nn.ModuleList(), 1
    for level in range(levels):
      c *= 4
      self.levels.append(torch.nn.ModuleList([
          m for i in range(steps)
          for m in (ActNorm(c), InvConv1x1(c, 1000 * level + i), AffineCoupling(c, width, i % 2))]))
      c -= c // 2

  def forward(self, x):                    # x in [0, 1], (B, 28, 28, 1); returns log p(x), (B,)
    p = ALPHA + (1 - 2 * ALPHA) * x
    y = torch.log(p) - torch.log1p(-p)
    log_det = (math.log(1 - 2 * ALPHA) - torch.log(p) - torch.log1p(-p)).flatten(1).sum(1)
    zs = []
    for i, level in enumerate(self.levels):
      y = squeeze(y)
      for layer in level:
        y, ld = layer(y)
        log_det = log_det + ld
      if i < len(self.levels) - 1:
        zs.append(y[..., :y.shape[-1] // 2].flatten(1))
        y = y[..., y.shape[-1] // 2:]
    z = torch.cat(zs + [y.flatten(1)], 1)
    return -0.5 * (z ** 2).sum(1) - 0.5 * math.log(2 * math.pi) * z.shape[1] + log_det


def main():
  p = argparse.ArgumentParser()
  p.add_argument("--steps", type=int, default=60)
  p.add_argument("--warmup", type=int, default=5)
  p.add_argument("--compile", action="store_true")
  add_device_flag(p)
  a = p.parse_args()
  set_up(a.device, threads=a.threads)
  x = torch.from_numpy(mnist_like_uint8()).float().reshape(-1, 28, 28, 1).to(a.device)
  B, nb = 64, 12800 // 64
  model = Glow().to(a.device)
  with torch.no_grad():                     # actnorm's data-dependent init on the first batch
    first = float(-model((x[:B] + torch.rand_like(x[:B])) / 256).mean())
  opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
  loss_fn = lambda xb: -model(xb).mean()
  if a.compile:
    loss_fn = torch.compile(loss_fn)

  def step(i):
    opt.zero_grad(set_to_none=True)
    xb = x[(i % nb) * B:(i % nb + 1) * B]
    loss = loss_fn((xb + torch.rand_like(xb)) / 256)
    loss.backward()
    opt.step()
    return loss

  report = time_steps(step, a.steps, a.warmup, B, device=a.device)
  print(json.dumps({"workload": "glow", "framework": "torch", "variant": "compile" if a.compile else "eager",
                    "device": a.device, "first_loss": first, **report}))


if __name__ == "__main__":
  main()
