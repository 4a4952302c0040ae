"""Test set-up: 8 faked CPU devices (set before JAX starts), tiny configs, real data if present."""
import atexit
import os
import pathlib
import shutil
import tempfile

# XLA's CPU compiler spends most of a tiny model's compile time in its newer fusion emitters;
# the older ones compile the tests' programs 2-4x faster (one smoke run of spline_flow_mnist:
# 13.2 s of compiling -> 4.8 s; glow_mnist 10.2 -> 3.4 s). Every process the tests start gets
# this flag, so results compared across processes come from the same compiler. Each flag is
# added once (pytest's workers run this file again): the flags, but for the device count,
# are part of the compilation cache's key, which the subprocesses share.
COMPILE_FLAGS = "--xla_cpu_use_fusion_emitters=false"
_flags = os.environ.get("XLA_FLAGS", "").split()
_flags += [f for f in (COMPILE_FLAGS, "--xla_force_host_platform_device_count=8") if f not in _flags]
os.environ["XLA_FLAGS"] = " ".join(_flags)


def process_env(devices: int = 1):
  """The environment of a process a test starts: JAX on the CPU with `devices` (faked)
  devices, compiled with the tests' flags."""
  flags = COMPILE_FLAGS + (f" --xla_force_host_platform_device_count={devices}" if devices > 1 else "")
  return {**os.environ, "XLA_FLAGS": flags, "JAX_PLATFORMS": "cpu"}


os.environ.setdefault("JAX_PLATFORMS", "cpu")
# Tiny models: compiling dominates, so compile with most XLA optimisations off (as flax's
# examples and distrax test). Subprocesses of the binary tests inherit it.
os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")
# Many tests compile the same programs again: a resumed run and the uninterrupted one, each
# seed of the augmentation study, the binaries' subprocesses after the in-process tests. One
# on-disk compilation cache per test session (created by the first process, inherited by
# pytest's workers and every subprocess, removed at exit) compiles each program once. No size
# bound: with one, jax locks and re-measures the whole directory on every write, which made
# the suite slower than no cache at all. A cache the user set up is left as it is.
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
  os.environ.update(JAX_COMPILATION_CACHE_DIR=tempfile.mkdtemp(prefix="genjax-tests-xla-cache-"),
                    JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
                    JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0")
  atexit.register(shutil.rmtree, os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)

import pytest  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent
# Real data for this machine's tests; the project never requires it (tests skip without it).
SHARED_DATA = pathlib.Path(os.environ.get("GENJAX_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared(*parts) -> pathlib.Path:
  path = SHARED_DATA.joinpath(*parts)
  if not path.exists():
    pytest.skip(f"{path} is absent (real data only exists on the project's machines)")
  return path


@pytest.fixture(scope="session")
def tfds_dir(tmp_path_factory):
  """One TFDS data dir per test session, so each data set is prepared at most once."""
  return str(tmp_path_factory.mktemp("tfds"))


def load_config(name, arg="smoke"):
  import importlib
  return importlib.import_module(f"experiments.configs.{name}").get_config(arg)


def embedded_smoke(name):
  """A config's smoke variant on embedded data, so every config's code path runs without
  ../shared (its data sets' own loading is tested in tests/data)."""
  from genjax.benchmark import on_embedded
  return on_embedded(load_config(name))
