"""Times a workload of ../shared/WORKLOADS.md (or any experiment config) and prints one JSON line.

python -m experiments.benchmark --workload=ae_mlp
python -m experiments.benchmark --config=experiments/configs/ae_mlp_mnist.py --steps=500
python -m experiments.benchmark --all [--steps=N] [--entries=pixelcnn,glow_mnist]
python -m experiments.benchmark --workload=pixelcnn --sampling   # or --config=... --sampling
"""
import importlib
import json
import subprocess
import sys

import jax

from absl import flags
from ml_collections import config_flags

from experiments import common
from experiments.configs import workloads
from genjax import benchmark
from genjax.autoregressive.method import FAST_SAMPLERS
from genjax.errors import InputError

flags.DEFINE_enum("workload", "ae_mlp", sorted(benchmark.WORKLOADS), "Workload of WORKLOADS.md.")
config_flags.DEFINE_config_file("config", None, "Time this experiment config instead of a workload.")
flags.DEFINE_integer("steps", 0, "Timed steps (default: the workload's).", lower_bound=0)
flags.DEFINE_integer("warmup", 20, "Untimed steps after the compiling first step.", lower_bound=0)
flags.DEFINE_bool("sampling", False, "Time the fast sampler against the naive one (64 images) "
                  "instead of training steps: the pixelcnn workload's, or --config's (an "
                  "autoregressive config whose arch has a fast sampler).")
flags.DEFINE_integer("steps_per_dispatch", 1, "Training steps per compiled call of the library's step "
                     "(config.steps_per_dispatch: a lax.scan over them).", lower_bound=1)
flags.DEFINE_enum("precision", "float32", ["float32", "bfloat16"], "The workloads' config.precision "
                  "(with --config: --config.precision); the plain and PyTorch steps stay float32.")
flags.DEFINE_bool("all", False, "Time every workload, then every family's main config "
                  "(workloads.MAIN_CONFIGS, on embedded data): one JSON line each.")
flags.DEFINE_list("entries", None, "With --all: only these workloads and main configs.")
flags.DEFINE_bool("baseline", True, "Also time a hand-written plain jitted step for the ratio, "
                  "one chunk of each in turn (10 chunks).")


def _sampling_report(f):
  """--sampling: the pixelcnn workload's samplers, or those of --config's model."""
  if f.config is None:
    if f.workload != "pixelcnn":
      raise InputError("--sampling times the pixelcnn workload's samplers or --config's: pass "
                       "--workload=pixelcnn or an autoregressive --config")
    name, config = "pixelcnn_sampling", workloads.get_config("pixelcnn")
  else:
    name, config = config_flags.get_config_filename(f["config"]), f.config
    arch = config.model.get("arch") if config.model.name == "autoregressive" else None
    if arch not in FAST_SAMPLERS:
      raise InputError(f"--sampling with --config={name}: its model ({config.model.name}, "
                       f"{arch}) has no fast sampler; expected an arch among {', '.join(FAST_SAMPLERS)}")
  return {"workload": name, "framework": "genjax", **benchmark.time_sampling(config),
          "backend": jax.default_backend()}


def main(argv):
  del argv
  f = flags.FLAGS
  if f.all:
    if f.config is not None or f.sampling:
      raise InputError("--all times every workload and main config: pass no --config or --sampling")
    return _all(f)
  if f.entries:
    raise InputError("--entries chooses among --all's entries: pass --all too")
  common.initialize_distributed()
  if f.sampling:
    out = _sampling_report(f)
  elif f.config is not None:
    out = _config_report(config_flags.get_config_filename(f["config"]), f.config, f.steps or 200)
  else:
    out = benchmark.time_workload(f.workload, _workload_config(f.workload), f.steps or
                                  benchmark.WORKLOADS[f.workload].steps, f.warmup, f.baseline)
  _print(out)


def _workload_config(name):
  config = workloads.get_config(name)   # the config that states the workload
  config.steps_per_dispatch = flags.FLAGS.steps_per_dispatch
  config.precision = flags.FLAGS.precision
  return config


def _config_report(name, config, steps):
  return {"config": name, "model": config.model.name, "framework": "genjax",
          **benchmark.time_config(config, steps, flags.FLAGS.warmup, sequential=False)}


ENTRY_TIMEOUT_S = 3600   # one entry of --all; past it, its line is an error and the next runs


def _all(f):
  """One JSON line per workload, then per main config (on embedded data), each timed in its
  own process (its own compile time and peak memory); a failing entry prints its error as its
  line and the others still run (exit status 1 at the end). The parent starts no backend."""
  if f.coordinator_address or f.distributed:   # checked before joining: the parent joins nothing
    raise InputError("--all times each entry in a process of its own: launch it without "
                     "--coordinator_address/--distributed")
  failed = 0
  for name, args in _entries(f):
    try:
      r = subprocess.run([sys.executable, "-m", "experiments.benchmark", *args, f"--warmup={f.warmup}",
                          f"--reuse_freed_memory={f.reuse_freed_memory}",
                          *([f"--cpu_devices={f.cpu_devices}"] if f.cpu_devices else [])],
                         capture_output=True, text=True, timeout=ENTRY_TIMEOUT_S)
      lines, err = r.stdout.strip().splitlines(), (r.stderr.strip().splitlines() or ["no output"])[-1]
      ok = r.returncode == 0 and lines
    except subprocess.TimeoutExpired:
      ok, err = False, f"timed out after {ENTRY_TIMEOUT_S} s"
    if not ok:
      failed += 1
    print(lines[-1] if ok else json.dumps({"entry": name, "error": err[:500]}), flush=True)
  if failed:
    raise SystemExit(1)


def _entries(f):
  """(name, the child's flags) for each chosen workload and main config."""
  known = sorted(benchmark.WORKLOADS) + list(workloads.MAIN_CONFIGS)
  unknown = [n for n in f.entries or () if n not in known]
  if unknown:
    raise InputError(f"--entries={','.join(unknown)} is not a workload or main config: expected some "
                     f"of {', '.join(known)}")
  chosen = [n for n in known if not f.entries or n in f.entries]
  spd = f.steps_per_dispatch
  entries = [(n, [f"--workload={n}", f"--steps={f.steps}", f"--steps_per_dispatch={spd}",
                  f"--baseline={f.baseline}", f"--precision={f.precision}"]) for n in chosen if n in benchmark.WORKLOADS]
  for n in (n for n in chosen if n not in benchmark.WORKLOADS):
    data = importlib.import_module(f"experiments.configs.{n}").get_config().data.name
    entries.append((n, [f"--config=experiments/configs/{n}.py", f"--steps={f.steps or 50}",
                        f"--config.steps_per_dispatch={spd}", f"--config.precision={f.precision}"] +
                    [f"--config.data.{k}={v}" for k, v in benchmark.EMBEDDED.get(data, {}).items()]))
  return entries


def _print(out):
  out["threads"] = benchmark.threads()
  out["denormals_flushed"] = benchmark.denormals_flushed()
  out["reuse_freed_memory"] = flags.FLAGS.reuse_freed_memory
  out["peak_host_memory_bytes"] = benchmark.peak_host_memory()
  print(json.dumps(out), flush=True)

if __name__ == "__main__":
  common.main(main, distributed=False)   # --all is refused with the several-host flags first
