"""GAN data augmentation on few labels, as a study: prints the JSON summary, also written to
<workdir>/results.json with the plot <workdir>/accuracy.png. Interrupted, the same command
resumes.

python -m experiments.augment --config=experiments/configs/augment_mnist.py --workdir=runs/augment_mnist
"""
import json

from absl import flags
from ml_collections import config_flags

from experiments import common
from genjax import augmentation

config_flags.DEFINE_config_file("config", None, "An augmentation config file (experiments/configs/augment_*.py).")
flags.DEFINE_string("workdir", None, "Where each seed's GAN, samples and classifiers go.")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv):
  del argv
  print(json.dumps(augmentation.run(flags.FLAGS.config, flags.FLAGS.workdir)))


if __name__ == "__main__":
  common.main(main)
