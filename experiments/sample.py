"""Samples from a trained run's newest checkpoint: a PNG grid and a .npy of N samples, and
the family's own pictures (reconstructions, latent interpolations, ...) as PNGs.

python -m experiments.sample --workdir=DIR [--num=64] [--seed=0] [--out=DIR/samples/final]
                             [--truncation=T]
"""
from absl import flags

from experiments import common
from genjax import evaluation

flags.DEFINE_string("workdir", None, "A directory written by experiments.train.")
flags.DEFINE_integer("num", 64, "How many samples.", lower_bound=1)
flags.DEFINE_integer("seed", 0, "Sampling seed.", lower_bound=0)
flags.DEFINE_string("out", "", "Output prefix (default <workdir>/samples/sample_step<step>_seed<seed>).")
flags.DEFINE_float("truncation", None, common.TRUNCATION_HELP)
flags.mark_flags_as_required(["workdir"])


def main(argv):
  del argv
  f = flags.FLAGS
  print("wrote " + ", ".join(evaluation.write_samples(f.workdir, f.num, f.seed, f.out, f.truncation)))


if __name__ == "__main__":
  common.main(main)
