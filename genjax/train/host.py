"""The host's memory allocator, set up for XLA's CPU runtime.

Each run of a compiled step allocates its temporary buffers as one block (106 MiB for a
PixelCNN step of 16 images, 405 MiB for W4's 64) and frees it when the step ends. glibc's
malloc serves a block that large from a fresh `mmap` (the runtime's worker threads have their
own arenas, which fall back to `mmap` for anything over 64 MiB) and returns it with `munmap`,
so every step faults every page of it in again, in the kernel. On this project's 2-core CPU
that was 12 of 47 CPU-seconds of a W4 benchmark and about 30 % of a training run's CPU time.

`reuse_freed_memory()` has glibc keep what is freed and serve big blocks from it: one arena
for every thread, no `mmap`, no returning the heap's top to the system. Each step then reuses
the previous step's pages. The process keeps its peak heap until it exits, as PyTorch's
caching allocators and XLA's accelerator allocators do by design. The binaries call it before
JAX starts its threads (a thread keeps the arena it first allocated from); elsewhere than
glibc it does nothing.
"""
import ctypes
import platform

M_TRIM_THRESHOLD, M_MMAP_MAX, M_ARENA_MAX = -1, -4, -8   # glibc's malloc.h
SETTINGS = ((M_ARENA_MAX, 1), (M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, 2**31 - 1))


def reuse_freed_memory() -> bool:
  """glibc: one arena, no mmap'd blocks, no trimming (see the module's docstring). Returns
  whether every setting took; False, and nothing changed, on another C library."""
  if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
    return False
  mallopt = ctypes.CDLL(None).mallopt
  mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
  return all(mallopt(option, value) == 1 for option, value in SETTINGS)
