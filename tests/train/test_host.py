"""genjax/train/host.py: with glibc set up by `reuse_freed_memory`, a compiled step's big
buffer is served from memory freed by the steps before it instead of pages the kernel must
fault in anew for every step."""
import pathlib
import platform
import resource
import subprocess
import sys

import pytest

from tests.conftest import REPO, process_env

CALLS = 60
BLOCK_PAGES = 4096 * 4096 * 4 // resource.getpagesize()   # the 64 MiB intermediate

SCRIPT = f"""
import resource, sys, time
if sys.argv[1] == "reuse":
  from genjax.train import host
  assert host.reuse_freed_memory()
import jax, jax.numpy as jnp
step = jax.jit(lambda x, w: jnp.sin(x) @ w)   # sin(x): a 64 MiB temporary, the product's operand
x, w = jnp.ones((4096, 4096)), jnp.ones((4096, 32))
step(x, w).block_until_ready()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range({CALLS}):
  step(x, w).block_until_ready()
  time.sleep(0.01)   # the runtime frees the temporary just after the result is ready
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode):
  env = {k: v for k, v in process_env().items() if not k.startswith(("MALLOC_", "GLIBC_TUNABLES"))}
  out = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=300)
  assert out.returncode == 0, out.stderr[-2000:]
  return int(out.stdout.split()[-1])


def huge_pages_always() -> bool:
  """Transparent huge pages for every mapping: a block then faults in 2 MiB at a time."""
  thp = pathlib.Path("/sys/kernel/mm/transparent_hugepage/enabled")
  return thp.exists() and "[always]" in thp.read_text()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc" or huge_pages_always(),
                    reason="glibc's settings, counted in base pages")
def test_steps_reuse_freed_memory_instead_of_faulting_in_fresh_pages():
  default, reused = page_faults("default"), page_faults("reuse")
  # glibc's defaults: the block is mmap'd and munmap'd every call, so every call faults it in.
  assert default >= 0.8 * CALLS * BLOCK_PAGES, default
  # Reused: the heap grows while a block is asked for before the last is freed, then stops.
  assert reused <= 0.2 * CALLS * BLOCK_PAGES, (reused, default)
