"""Times a workload of ../shared/WORKLOADS.md (or any experiment config) and prints one JSON line.

python -m experiments.benchmark --workload=ae_mlp
python -m experiments.benchmark --config=experiments/configs/ae_mlp_mnist.py --steps=500
"""
import json

import jax

from absl import flags
from ml_collections import config_flags

from experiments import common
from experiments.configs import workloads
from genjax import benchmark
from genjax.errors import InputError

flags.DEFINE_enum("workload", "ae_mlp", sorted(benchmark.WORKLOADS), "Workload of WORKLOADS.md.")
config_flags.DEFINE_config_file("config", None, "Time this experiment config instead of a workload.")
flags.DEFINE_integer("steps", 0, "Timed steps (default: the workload's).", lower_bound=0)
flags.DEFINE_integer("warmup", 20, "Untimed steps after the compiling first step.", lower_bound=0)
flags.DEFINE_bool("sampling", False, "pixelcnn: time the fast sampler against the naive one "
                  "(64 images) instead of training steps.")
flags.DEFINE_integer("steps_per_dispatch", 1, "Training steps per compiled call of the library's step "
                     "(config.steps_per_dispatch: a lax.scan over them).", lower_bound=1)
flags.DEFINE_bool("baseline", True, "Also time a hand-written plain jitted step for the ratio, "
                  "one chunk of each in turn (10 chunks).")


def main(argv):
  del argv
  f = flags.FLAGS
  if f.sampling:
    if f.workload != "pixelcnn" or f.config is not None:
      raise InputError("--sampling times the pixelcnn workload's samplers: pass --workload=pixelcnn and no --config")
    out = {"workload": "pixelcnn_sampling", "framework": "genjax",
           **benchmark.time_sampling(workloads.get_config("pixelcnn")), "backend": jax.default_backend()}
  elif f.config is not None:
    out = {"config": config_flags.get_config_filename(f["config"]), "model": f.config.model.name,
           "framework": "genjax",
           **benchmark.time_config(f.config, f.steps or 200, f.warmup, sequential=False)}
  else:
    benchmark.check_family(f.workload)
    w = benchmark.WORKLOADS[f.workload]
    config = workloads.get_config(f.workload)   # the config that states the workload
    config.steps_per_dispatch = f.steps_per_dispatch
    steps = f.steps or w.steps
    plain = None
    if f.baseline and f.workload in benchmark.PLAIN_STEPS:
      plain = benchmark.PLAIN_STEPS[f.workload](config, f.warmup)
    out = {"workload": f.workload, "framework": "genjax",
           **benchmark.time_config(config, steps, f.warmup, chunks=10 if plain else 5, beside=plain)}
    out["gflops_per_sec"] = out["examples_per_sec"] / w.batch * w.gflop_per_step
    if plain is not None:
      beside = out.pop("beside")
      out["plain_jax_examples_per_sec"] = beside["examples_per_sec"]
      out["plain_jax_chunk_eps"] = beside["chunk_eps"]
      out["ratio_vs_plain_jax"] = out["examples_per_sec"] / beside["examples_per_sec"]
  out["threads"] = benchmark.threads()
  out["denormals_flushed"] = benchmark.denormals_flushed()
  print(json.dumps(out))


if __name__ == "__main__":
  common.main(main)
