"""Trains (or resumes) a model: python -m experiments.train --config=CONFIG.py --workdir=DIR."""
from absl import flags
from ml_collections import config_flags

from experiments import common
from genjax import train

config_flags.DEFINE_config_file("config", None, "Experiment config file (path[:smoke]).",
                                lock_config=True)
flags.DEFINE_string("workdir", None, "Where checkpoints, metrics and samples go; rerun to resume.")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
  del argv
  train.train(flags.FLAGS.config, flags.FLAGS.workdir)


if __name__ == "__main__":
  common.main(main)
