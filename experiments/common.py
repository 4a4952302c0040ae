"""What every binary shares: bad input becomes one line on stderr and exit status 2.

`main(fn)` runs a binary: absl's flag parsing (a bad or unknown flag, a config file that does
not exist or fails to load, an unknown config field or variant, a value of the wrong type)
and the library's own checks (`InputError`) all end in `error: <one line>` and status 2,
before anything is compiled.

Several hosts: every binary joins JAX's multi-controller runtime (`jax.distributed`) when
asked, by `--coordinator_address/--num_processes/--process_id`, or `--distributed` alone on a
cluster whose scheduler JAX detects (Slurm, Open MPI, Kubernetes, Cloud TPU). Each process
then drives its own devices; on one machine nothing changes.

Every binary first sets glibc's allocator up to reuse freed memory (`genjax/train/host.py`:
XLA's CPU runtime frees and reallocates each step's buffers, which glibc otherwise returns to
the kernel and faults in anew); `--reuse_freed_memory=false` keeps the C library's defaults.
`--cpu_devices=N` makes XLA's CPU backend N devices, so the step runs data-parallel over the
cores (`host.cpu_devices`).
"""
import contextlib
import sys

import jax
from absl import app, flags, logging

from genjax.errors import InputError
from genjax.train import Diverged, Stopped, host


flags.DEFINE_string("coordinator_address", None, "Several hosts: host:port of process 0's "
                    "coordinator (jax.distributed); needs --num_processes and --process_id.")
flags.DEFINE_integer("num_processes", None, "Several hosts: how many processes take part.", lower_bound=1)
flags.DEFINE_integer("process_id", None, "Several hosts: this process's index, 0 .. num_processes-1.",
                     lower_bound=0)
flags.DEFINE_bool("distributed", False, "Several hosts: join jax.distributed with the addresses "
                  "the cluster's scheduler sets (Slurm, Open MPI, Kubernetes, Cloud TPU).")
flags.DEFINE_integer("distributed_timeout", 300, "Seconds to wait for every process to join.",
                     lower_bound=1)
flags.DEFINE_integer("cpu_devices", None, "XLA's CPU backend: run as this many devices, so the "
                     "step runs data-parallel over the cores (e.g. one per core); unset: one "
                     "device, each operation spread over the cores (genjax/train/host.py).",
                     lower_bound=1)
flags.DEFINE_bool("reuse_freed_memory", True, "glibc: keep freed memory for the next step's "
                  "buffers instead of returning it to the system (genjax/train/host.py); "
                  "false: the C library's defaults.")


TRUNCATION_HELP = ("GANs: draw the samples' latents from N(0, 1) truncated to [-t, t] per "
                   "coordinate (the truncation trick: precision up, recall down); 0: untruncated; "
                   "unset: the config's model.truncation.")


def initialize_distributed(f=flags.FLAGS):
  """Joins jax.distributed as the flags ask (before any JAX computation); nothing otherwise.
  On CPUs the collectives between processes go through gloo."""
  explicit = (f.coordinator_address, f.num_processes, f.process_id)
  if all(v is None for v in explicit) and not f.distributed:
    return
  if any(v is None for v in explicit) and not all(v is None for v in explicit):
    raise InputError("--coordinator_address, --num_processes and --process_id go together: "
                     "expected all three (or --distributed alone on a cluster JAX detects)")
  if f.process_id is not None and f.process_id >= f.num_processes:
    raise InputError(f"--process_id={f.process_id} is out of range: expected 0 .. {f.num_processes - 1} "
                     f"(--num_processes={f.num_processes})")
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  try:
    jax.distributed.initialize(f.coordinator_address, f.num_processes, f.process_id,
                               initialization_timeout=f.distributed_timeout)
  except (RuntimeError, ValueError) as e:   # a join timeout, no cluster detected, a bad address
    first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
    raise InputError(f"jax.distributed did not start ({first}): expected every process to be "
                     f"launched, the coordinator reachable at --coordinator_address, or a "
                     f"cluster JAX detects for --distributed") from None


def _fail(message: str, status: int = 2):
  lines = [l.strip() for l in str(message).strip().splitlines() if l.strip()]
  print(f"error: {' '.join(lines) if lines else 'invalid input'}", file=sys.stderr)
  sys.exit(status)


def parse_flags(argv):
  """absl's flag parsing, with every error one line and exit status 2. Config files are
  loaded here (ml_collections loads them lazily), so their errors are flag errors too."""
  try:
    rest = flags.FLAGS(argv)
    config = flags.FLAGS["config"].value if "config" in flags.FLAGS else None
    if config is not None:
      config.keys()   # a file that failed to load raises here
    return rest
  except (AttributeError, KeyError) as e:
    _fail(_unknown_field(argv, e))
  except Exception as e:   # flags.Error, or whatever a config file raised while loading
    _fail(_innermost(e))


def _innermost(e) -> str:
  """The message of a config file's own error, without the traceback absl quotes, and the
  flag it came from."""
  text = str(e)
  if isinstance(e, flags.Error) and not ("Traceback" in text or "Failed loading config file" in text):
    return text
  last = [l.strip() for l in text.splitlines() if l.strip()][-1] if text.strip() else ""
  if not isinstance(e, flags.Error):
    last = f"{type(e).__name__}: {last}"
  name = next((a for a in sys.argv[1:] if a.startswith("--config=")), "--config")
  return f"flag {name}: {last} (expected a Python config file defining get_config)"


def _unknown_field(argv, e) -> str:
  overrides = [a.split("=", 1)[0][2:] for a in argv[1:] if a.startswith("--config.")]
  return (f"{', '.join('--' + o for o in overrides) or 'a --config override'} names no field of the "
          f"config ({type(e).__name__}: {e}): expected a field the config file defines")


@contextlib.contextmanager
def one_line_errors():
  try:
    yield
  except InputError as e:
    _fail(e)
  except Diverged as e:
    _fail(e, status=1)
  except Stopped as e:
    print(f"stopped: {e}", file=sys.stderr)
    sys.exit(0)


def main(fn, distributed: bool = True):
  """Runs `fn(argv)` as a binary: flags parsed as above, bad input one line, jax.distributed
  joined as the flags ask (`distributed=False`: `fn` joins it itself, after its own checks)."""
  def wrapped(argv):
    with one_line_errors():
      if flags.FLAGS.reuse_freed_memory and not host.reuse_freed_memory():   # before JAX's threads
        logging.info("glibc's allocator was not set up to reuse freed memory (another C library, "
                     "or glibc refused a setting): each step's buffers are faulted in anew")
      if flags.FLAGS.cpu_devices:
        try:
          host.cpu_devices(flags.FLAGS.cpu_devices)
        except RuntimeError as e:
          raise InputError(f"--cpu_devices={flags.FLAGS.cpu_devices} came too late: JAX's backends "
                           "had started (expected no JAX computation before the binary's main)") from e
      if distributed:
        initialize_distributed()
      return fn(argv)
  app.run(wrapped, flags_parser=parse_flags)
