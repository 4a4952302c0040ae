"""W2 (gan_mlp) in PyTorch, by ../shared/WORKLOADS.md's protocol: the peer genjax is timed against.

Not part of genjax (torch is not a dependency); run it in its own environment:
  /tmp/torchvenv/bin/python experiments/reference/torch_gan_mlp.py [--steps 300]
"""
import argparse
import json

import torch
import torch.nn.functional as F

from torch_ae_mlp import add_device_flag, mnist_like_uint8, set_up, time_steps


def mlp(sizes, last=None):
  layers = []
  for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
    layers.append(torch.nn.Linear(a, b))
    if i < len(sizes) - 2:
      layers.append(torch.nn.LeakyReLU(0.2))
  return torch.nn.Sequential(*layers, *([last] if last else []))


def main():
  p = argparse.ArgumentParser()
  p.add_argument("--steps", type=int, default=300)
  p.add_argument("--warmup", type=int, default=20)
  add_device_flag(p)
  a = p.parse_args()
  set_up(a.device, threads=a.threads)
  x = torch.from_numpy(mnist_like_uint8()).float().to(a.device) / 127.5 - 1.0
  B, nb = 128, 12800 // 128
  G = mlp([100, 256, 512, 1024, 784], torch.nn.Tanh()).to(a.device)
  D = mlp([784, 1024, 512, 256, 1]).to(a.device)
  opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), fused=True)
  opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), fused=True)

  def step(i):
    real = x[(i % nb) * B:(i % nb + 1) * B]
    with torch.no_grad():
      fake = G(torch.randn(B, 100, device=a.device))
    logits = D(torch.cat([real, fake]))[:, 0]
    d_loss = F.softplus(-logits[:B]).mean() + F.softplus(logits[B:]).mean()
    opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_d.step()
    for q in D.parameters():
      q.requires_grad_(False)
    g_loss = F.softplus(-D(G(torch.randn(B, 100, device=a.device)))[:, 0]).mean()
    opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    opt_g.step()
    for q in D.parameters():
      q.requires_grad_(True)
    return d_loss

  with torch.no_grad():
    lg = D(torch.cat([x[:B], G(torch.randn(B, 100, device=a.device))]))[:, 0]
    first = float(F.softplus(-lg[:B]).mean() + F.softplus(lg[B:]).mean())
  report = time_steps(step, a.steps, a.warmup, B, device=a.device)
  print(json.dumps({"workload": "gan_mlp", "framework": "torch", "variant": "eager",
                    "device": a.device, "first_loss": first, **report}))

if __name__ == "__main__":
  main()
