"""The host set up for XLA's CPU runtime: its memory allocator, and its cores as devices.

Each run of a compiled step allocates its temporary buffers as one block (106 MiB for a
PixelCNN step of 16 images, 405 MiB for W4's 64) and frees it when the step ends. glibc's
malloc serves a block that large from a fresh `mmap` (the runtime's worker threads have their
own arenas, which fall back to `mmap` for anything over 64 MiB) and returns it with `munmap`,
so every step faults every page of it in again, in the kernel. On this project's 2-core CPU
that was 12 of 47 CPU-seconds of a W4 benchmark and about 30 % of a training run's CPU time.

`reuse_freed_memory()` has glibc keep what is freed and serve big blocks from it: one arena
for every thread, no `mmap`, no returning the heap's top to the system. Each step then reuses
pages earlier steps freed. The heap grows to a few blocks (a step's block is sometimes asked
for before the last one is freed) and then stays there until the process exits, as PyTorch's
caching allocators and XLA's accelerator allocators keep theirs: W4's benchmark peaks at
1.6 GiB of resident memory against 0.9 GiB with glibc's defaults (README, "The host
allocator"). The binaries call it before JAX starts its threads (a thread keeps the arena it
first allocated from); elsewhere than glibc it does nothing. On an accelerator host it gains
little, since the steps' buffers live on the device.

`cpu_devices(n)` makes XLA's CPU backend n devices instead of one, so the trainer's step runs
data-parallel over the cores (each device a share of the batch, the gradients averaged), as it
does over accelerators. One device spreads each operation over the cores through XLA's thread
pool; on this project's 2-core CPU two devices ran W4 1.2-1.4x and glow 0.9-1.15x as fast as
one (README, "1x1 layers and one device per core"). Like the allocator, it is set before JAX
starts its backends.
"""
import ctypes
import platform

import jax

M_TRIM_THRESHOLD, M_MMAP_MAX, M_ARENA_MAX = -1, -4, -8   # glibc's malloc.h
SETTINGS = ((M_ARENA_MAX, 1), (M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, -1))   # -1: never trim


def reuse_freed_memory() -> bool:
  """glibc: one arena, no mmap'd blocks, no trimming (see the module's docstring). Returns
  whether every setting took; False, and nothing changed, on another C library."""
  if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
    return False
  mallopt = ctypes.CDLL(None).mallopt
  mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
  took = [mallopt(option, value) == 1 for option, value in SETTINGS]   # every one, even after a refusal
  return all(took)


def cpu_devices(n: int) -> None:
  """XLA's CPU backend as n devices (jax_num_cpu_devices); before any JAX computation. No
  effect on an accelerator backend's devices."""
  jax.config.update("jax_num_cpu_devices", n)
