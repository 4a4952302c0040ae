"""AIS diagnostics of a trained RBM (or a DBN stage's top RBM): writes a picture of the runs'
log weights over the temperatures and prints one JSON line with log Z, its standard error and
the effective sample size. With --raise_examples=N (an RBM on binary data), also RAISE, the
reverse-annealing check on the first N test images, beside AIS's NLL on the same images.

python -m experiments.ais --workdir=DIR [--runs=100] [--temperatures=14500] [--seed=0]
  [--raise_examples=0] [--out=FILE.png]
"""
import json
import os

import jax
from absl import flags

from experiments import common
from genjax import data as gdata
from genjax.energy import diagnostics
from genjax.errors import InputError
from genjax.evaluation import check_output, restore
from genjax.train import images, keys
from genjax.train.trainer import load_config

flags.DEFINE_string("workdir", None, "A directory written by experiments.train (for a DBN: a stage's).")
flags.DEFINE_integer("runs", 100, "AIS runs.", lower_bound=1)
flags.DEFINE_integer("temperatures", 14_500, "AIS inverse temperatures.", lower_bound=2)
flags.DEFINE_integer("seed", 0, "AIS seed.", lower_bound=0)
flags.DEFINE_integer("raise_examples", 0, "RAISE on this many test images (0: none).", lower_bound=0)
flags.DEFINE_string("out", "", "Output picture (default <workdir>/samples/ais_step<step>_seed<seed>.png).")
flags.mark_flags_as_required(["workdir"])


def main(argv):
  del argv
  f = flags.FLAGS
  if f.out:
    check_output(f.out[:-4] if f.out.endswith(".png") else f.out)
  config = load_config(f.workdir)
  model = config.model.name
  if model not in ("rbm", "dbn"):
    raise InputError(f"--workdir={f.workdir} holds a '{model}' run: expected an 'rbm' or 'dbn' run")
  if f.raise_examples and model != "rbm":
    raise InputError(f"--raise_examples={f.raise_examples} needs an 'rbm' run (the test images are its "
                     f"visible units); --workdir={f.workdir} holds a '{model}' run")
  if f.raise_examples and gdata.info(config.data.name).binarization != "static":
    raise InputError(f"--raise_examples={f.raise_examples} needs a statically binarized data set (fixed "
                     f"test images); --workdir={f.workdir} trained on {config.data.name}")
  run, step, state = restore(f.workdir)
  key = keys.stream(jax.random.PRNGKey(f.seed), "estimates")
  report, picture = diagnostics.ais_report(state.params, state.data_mean, key, f.temperatures, f.runs)
  out = f.out or os.path.join(f.workdir, "samples", f"ais_step{step}_seed{f.seed}.png")
  images.save_png(out, picture)
  if f.raise_examples:
    test = run.splits["test"]
    v = jax.numpy.asarray(test.x[:f.raise_examples].reshape(min(f.raise_examples, len(test)), -1),
                          jax.numpy.float32)       # stored as 0/1
    report.update(diagnostics.raise_report(state.params, state.data_mean, v, report["log_z"],
                                           jax.random.fold_in(key, 1), f.temperatures))
  print(json.dumps({"workdir": f.workdir, "step": int(step), "picture": out, **report}))


if __name__ == "__main__":
  common.main(main)
