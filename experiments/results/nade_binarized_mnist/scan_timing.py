"""NADE's two ways to compute its conditionals, timed for one gradient step of the exact NLL
(B=100, D=784, H=500, Bernoulli outputs) on one CPU core:

XLA_FLAGS=--xla_cpu_multi_thread_eigen=false \
  taskset -c 0 .venv/bin/python experiments/results/nade_binarized_mnist/scan_timing.py
"""
import time

import jax
import jax.numpy as jnp

from genjax import distributions
from genjax.autoregressive import dense


def seconds_per_step(grad, params, x, repeats=10):
  jax.block_until_ready(grad(params, x))
  start = time.perf_counter()
  for _ in range(repeats):
    out = grad(params, x)
  jax.block_until_ready(out)
  return (time.perf_counter() - start) / repeats


def main():
  x = (jax.random.uniform(jax.random.PRNGKey(0), (100, 28, 28, 1)) < 0.3).astype(jnp.float32)
  times = {}
  for scan in (False, True):
    net = dense.NADE(1, 500, scan=scan)
    params = net.init(jax.random.PRNGKey(1), x)["params"]

    def nll(p, x, net=net):
      logits = net.apply({"params": p}, x)[..., 0]
      return -jnp.mean(jnp.sum(distributions.bernoulli_log_prob(logits, x[..., 0]), (1, 2)))
    times[scan] = seconds_per_step(jax.jit(jax.grad(nll)), params, x)
  print(f"batched (B, D, H) pass: {times[False]:.3f} s/step; scan over blocks of "
        f"{dense.block_size(784)}: {times[True]:.3f} s/step; {times[False] / times[True]:.1f}x")


if __name__ == "__main__":
  main()
