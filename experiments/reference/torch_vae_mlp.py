"""W3 (vae_mlp) in PyTorch, by ../shared/WORKLOADS.md's protocol: the peer genjax is timed against.

Not part of genjax (torch is not a dependency); run it in its own environment:
  /tmp/torchvenv/bin/python experiments/reference/torch_vae_mlp.py [--compile] [--steps 1000]
"""
import argparse
import json

import torch

from torch_ae_mlp import add_device_flag, mnist_like_uint8, set_up, time_steps


class VAE(torch.nn.Module):
  def __init__(self):
    super().__init__()
    self.enc = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(),
                                   torch.nn.Linear(512, 256), torch.nn.ReLU())
    self.mean, self.log_var = torch.nn.Linear(256, 32), torch.nn.Linear(256, 32)
    self.dec = torch.nn.Sequential(torch.nn.Linear(32, 256), torch.nn.ReLU(),
                                   torch.nn.Linear(256, 512), torch.nn.ReLU(), torch.nn.Linear(512, 784))

  def forward(self, x):
    h = self.enc(x)
    mean, log_var = self.mean(h), self.log_var(h)
    z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
    logits = self.dec(z)
    rec = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + log_var - mean ** 2 - log_var.exp())
    return (rec + kl) / x.shape[0]


def main():
  p = argparse.ArgumentParser()
  p.add_argument("--steps", type=int, default=1000)
  p.add_argument("--warmup", type=int, default=20)
  p.add_argument("--compile", action="store_true")
  add_device_flag(p)
  a = p.parse_args()
  set_up(a.device, threads=a.threads)
  x = torch.from_numpy(mnist_like_uint8() >= 128).float().to(a.device)
  B, nb = 128, 12800 // 128
  model = VAE().to(a.device)
  opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
  loss_fn = torch.compile(model) if a.compile else model

  def step(i):
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(x[(i % nb) * B:(i % nb + 1) * B])
    loss.backward()
    opt.step()
    return loss

  with torch.no_grad():
    first = float(model(x[:B]))
  report = time_steps(step, a.steps, a.warmup, B, device=a.device)
  print(json.dumps({"workload": "vae_mlp", "framework": "torch", "variant": "compile" if a.compile else "eager",
                    "device": a.device, "first_loss": first, **report}))

if __name__ == "__main__":
  main()
