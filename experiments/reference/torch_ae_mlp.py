"""W1 (ae_mlp) in PyTorch, by ../shared/WORKLOADS.md's protocol: the peer genjax is timed against.

Not part of genjax (torch is not a dependency); run it in its own environment:
  python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch==2.13.0 numpy
  /tmp/torchvenv/bin/python experiments/reference/torch_ae_mlp.py [--compile] [--steps 3000]
"""
import argparse
import json
import os
import time

import numpy as np
import torch


def mnist_like_uint8(n=12800, seed=0):
  rng = np.random.default_rng(seed)
  protos = rng.standard_normal((10, 784), dtype=np.float32) * 2.0 - 1.0
  labels = rng.integers(0, 10, size=n)
  logits = protos[labels] + rng.standard_normal((n, 784), dtype=np.float32)
  return np.rint(255.0 / (1.0 + np.exp(-logits.astype(np.float64)))).astype(np.uint8)


def add_device_flag(p):
  p.add_argument("--device", default="cpu", help="cpu, or cuda (TF32 products, as XLA's default "
                 "float32 precision there; each timed chunk ends with a synchronise)")
  p.add_argument("--threads", type=int, default=None, help="CPU: intra-op threads (default: every core)")


def set_up(device, ftz=True, threads=None):
  """CPU: denormals flushed (as XLA does) and every core (or `threads`). CUDA: TF32 matmuls and
  convolutions."""
  torch.manual_seed(0)
  if device == "cpu":
    torch.set_flush_denormal(ftz)
    torch.set_num_threads(threads or os.cpu_count())
  else:
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True


def time_steps(step, steps, warmup, batch, chunks=5, device="cpu"):
  """The protocol's timing: warm-up, then `steps` in 5 timed chunks; `step(i)` returns the loss."""
  sync = torch.cuda.synchronize if device != "cpu" else (lambda: None)
  for i in range(warmup):
    step(i)
  sync()
  per, i, losses, chunk_s = steps // chunks, warmup, [], []
  for _ in range(chunks):
    t = time.perf_counter()
    for _ in range(per):
      losses.append(step(i).detach())
      i += 1
    sync()
    chunk_s.append(time.perf_counter() - t)
  return {"examples_per_sec": chunks * per * batch / sum(chunk_s), "steps": chunks * per,
          "batch": batch, "final_loss": float(torch.stack(losses[-10:]).mean()),
          "threads": torch.get_num_threads(), "chunk_eps": [round(per * batch / s) for s in chunk_s]}


def main():
  p = argparse.ArgumentParser()
  p.add_argument("--steps", type=int, default=3000)
  p.add_argument("--warmup", type=int, default=20)
  p.add_argument("--compile", action="store_true")
  p.add_argument("--ftz", type=int, default=1)
  add_device_flag(p)
  a = p.parse_args()
  set_up(a.device, bool(a.ftz), a.threads)
  x = torch.from_numpy(mnist_like_uint8()).float().to(a.device) / 255.0
  B, nb = 256, 12800 // 256
  model = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 784)).to(a.device)
  opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
  bce = torch.nn.BCEWithLogitsLoss(reduction="sum")
  loss_fn = lambda xb: bce(model(xb), xb) / xb.shape[0]
  if a.compile:
    loss_fn = torch.compile(loss_fn)

  def step(i):
    xb = x[(i % nb) * B:(i % nb + 1) * B]
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(xb)
    loss.backward()
    opt.step()
    return loss

  with torch.no_grad():
    first = float(bce(model(x[:B]), x[:B]) / B)
  report = time_steps(step, a.steps, a.warmup, B, device=a.device)
  print(json.dumps({"workload": "ae_mlp", "framework": "torch", "variant": "compile" if a.compile else "eager",
                    "device": a.device, "first_loss": first, **report}))

if __name__ == "__main__":
  main()
