"""W4 (pixelcnn) in PyTorch, by ../shared/WORKLOADS.md's protocol: the peer genjax is timed against.

Not part of genjax (torch is not a dependency); run it in its own environment:
  /tmp/torchvenv/bin/python experiments/reference/torch_pixelcnn.py [--compile] [--steps 30]
"""
import argparse
import json

import torch
import torch.nn.functional as F

from torch_ae_mlp import add_device_flag, mnist_like_uint8, set_up, time_steps


class MaskedConv2d(torch.nn.Conv2d):
  """conv(x, W * M) + b with a fixed 0/1 raster-order mask M (type 'A' excludes the centre)."""

  def __init__(self, kind, cin, cout, k):
    super().__init__(cin, cout, k, padding=k // 2)
    c, mask = k // 2, torch.ones(k, k)
    mask[c, c + (kind == "B"):] = 0
    mask[c + 1:] = 0
    self.register_buffer("mask", mask)

  def forward(self, x):
    return self._conv_forward(x, self.weight * self.mask, self.bias)


class ResBlock(torch.nn.Module):
  def __init__(self):
    super().__init__()
    self.a, self.b, self.c = (torch.nn.Conv2d(64, 32, 1), MaskedConv2d("B", 32, 32, 3),
                              torch.nn.Conv2d(32, 64, 1))

  def forward(self, x):
    return x + self.c(F.relu(self.b(F.relu(self.a(F.relu(x))))))


class PixelCNN(torch.nn.Module):
  def __init__(self):
    super().__init__()
    self.inp = MaskedConv2d("A", 1, 64, 7)
    self.blocks = torch.nn.Sequential(*[ResBlock() for _ in range(7)])
    self.out = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Conv2d(64, 64, 1), torch.nn.ReLU(),
                                   torch.nn.Conv2d(64, 1, 1))

  def forward(self, x):
    return self.out(self.blocks(self.inp(x)))


def main():
  p = argparse.ArgumentParser()
  p.add_argument("--steps", type=int, default=30)
  p.add_argument("--warmup", type=int, default=5)
  p.add_argument("--compile", action="store_true")
  add_device_flag(p)
  p.add_argument("--channels_last", type=int, default=1, help="NHWC memory format (WORKLOADS.md's peer)")
  a = p.parse_args()
  set_up(a.device, threads=a.threads)
  x = torch.from_numpy(mnist_like_uint8() >= 128).float().reshape(-1, 1, 28, 28)
  B, nb = 64, 12800 // 64
  model = PixelCNN()
  model, x = model.to(a.device), x.to(a.device)
  if a.channels_last:
    model, x = model.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
  opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
  loss_fn = lambda xb: F.binary_cross_entropy_with_logits(model(xb), xb, reduction="sum") / xb.shape[0]
  if a.compile:
    loss_fn = torch.compile(loss_fn)

  def step(i):
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(x[(i % nb) * B:(i % nb + 1) * B])
    loss.backward()
    opt.step()
    return loss

  with torch.no_grad():
    first = float(F.binary_cross_entropy_with_logits(model(x[:B]), x[:B], reduction="sum") / B)
  report = time_steps(step, a.steps, a.warmup, B, device=a.device)
  print(json.dumps({"workload": "pixelcnn", "framework": "torch", "variant": ("compile" if a.compile else "eager") + ("" if a.channels_last else " nchw"),
                    "device": a.device, "first_loss": first, **report}))


if __name__ == "__main__":
  main()
