"""genjax/train/host.py: with glibc set up by `reuse_freed_memory`, a compiled step's big
buffer is served from memory freed by the steps before it instead of pages the kernel must
fault in anew for every step."""
import platform
import subprocess
import sys

import pytest

from tests.conftest import REPO, process_env

CALLS, BLOCK_PAGES = 60, 4096 * 4096 * 4 // 4096   # a 64 MiB intermediate, in 4 KiB pages

SCRIPT = f"""
import resource, sys
if sys.argv[1] == "reuse":
  from genjax.train import host
  assert host.reuse_freed_memory()
import jax, jax.numpy as jnp
step = jax.jit(lambda x, v: jnp.sin(x) @ v)   # sin(x) is one 64 MiB temporary
x, v = jnp.ones((4096, 4096)), jnp.ones((4096,))
step(x, v).block_until_ready()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range({CALLS}):
  step(x, v).block_until_ready()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode):
  out = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=REPO, env=process_env(),
                       capture_output=True, text=True, timeout=300)
  assert out.returncode == 0, out.stderr[-2000:]
  return int(out.stdout.split()[-1])


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the settings are glibc's")
def test_steps_reuse_freed_memory_instead_of_faulting_in_fresh_pages():
  default, reused = page_faults("default"), page_faults("reuse")
  # glibc's defaults: the block is mmap'd and munmap'd every call, so every call faults it in.
  assert default >= 0.8 * CALLS * BLOCK_PAGES, default
  # Reused: the heap grows a few blocks while frees race the next call, then stops faulting.
  assert reused <= 0.25 * CALLS * BLOCK_PAGES, (reused, default)
