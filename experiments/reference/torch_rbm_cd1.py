"""W5 (rbm_cd1) in PyTorch, by ../shared/WORKLOADS.md's protocol: the peer genjax is timed against.
No autograd: torch.inference_mode and in-place addmm_ updates; --compile wraps the whole
CD-1 update in torch.compile.

Not part of genjax (torch is not a dependency); run it in its own environment:
  /tmp/torchvenv/bin/python experiments/reference/torch_rbm_cd1.py [--compile] [--steps 2000]
"""
import argparse
import json

import torch

from torch_ae_mlp import add_device_flag, mnist_like_uint8, set_up, time_steps


def main():
  p = argparse.ArgumentParser()
  p.add_argument("--steps", type=int, default=2000)
  p.add_argument("--warmup", type=int, default=20)
  p.add_argument("--compile", action="store_true")
  add_device_flag(p)
  a = p.parse_args()
  set_up(a.device, threads=a.threads)
  x = torch.from_numpy(mnist_like_uint8() >= 128).float().to(a.device)
  B, nb, lr = 100, 12800 // 100, 0.01
  W = 0.01 * torch.randn(784, 500, device=a.device)
  b, c = torch.zeros(784, device=a.device), torch.zeros(500, device=a.device)

  def update(v0, W, b, c):
    ph0 = torch.sigmoid(torch.addmm(c, v0, W))
    h0 = torch.bernoulli(ph0)
    v1 = torch.sigmoid(torch.addmm(b, h0, W.t()))
    ph1 = torch.sigmoid(torch.addmm(c, v1, W))
    W.addmm_(v0.t(), ph0, alpha=lr / B).addmm_(v1.t(), ph1, alpha=-lr / B)
    b.add_((v0 - v1).mean(0), alpha=lr)
    c.add_((ph0 - ph1).mean(0), alpha=lr)
    return ((v0 - v1) ** 2).sum(1).mean()

  if a.compile:
    update = torch.compile(update)

  def step(i):
    with torch.inference_mode():
      return update(x[(i % nb) * B:(i % nb + 1) * B], W, b, c)

  with torch.inference_mode():
    W, b, c = W.clone(), b.clone(), c.clone()
  report = time_steps(step, a.steps, a.warmup, B, device=a.device)
  print(json.dumps({"workload": "rbm_cd1", "framework": "torch", "variant": "compile" if a.compile else "eager",
                    "device": a.device, **report}))


if __name__ == "__main__":
  main()
