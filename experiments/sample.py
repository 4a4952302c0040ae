"""Samples from a trained run's newest checkpoint: a PNG grid and a .npy of N samples.

python -m experiments.sample --workdir=DIR [--num=64] [--seed=0] [--out=DIR/samples/final]
"""
from absl import app, flags

from experiments.common import one_line_errors
from genjax import evaluation

flags.DEFINE_string("workdir", None, "A directory written by experiments.train.")
flags.DEFINE_integer("num", 64, "How many samples.")
flags.DEFINE_integer("seed", 0, "Sampling seed.")
flags.DEFINE_string("out", "", "Output prefix (default <workdir>/samples/sample_seed<seed>).")
flags.mark_flags_as_required(["workdir"])


def main(argv):
  del argv
  f = flags.FLAGS
  with one_line_errors():
    png, npy = evaluation.write_samples(f.workdir, f.num, f.seed, f.out)
    print(f"wrote {png} and {npy}")


if __name__ == "__main__":
  app.run(main)
