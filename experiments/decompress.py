"""Decodes a .gjz file written by experiments.compress with the same run's model into a .npy
of the original images, bit for bit, and prints one JSON line.

python -m experiments.decompress --workdir=runs/vae_mlp_bmnist --input=images.gjz --output=images.npy
"""
import json

from absl import flags

from experiments import common
from genjax.compression import files

flags.DEFINE_string("workdir", None, "The run whose model coded the file.")
flags.DEFINE_string("input", None, "A .gjz file written by experiments.compress.")
flags.DEFINE_string("output", None, "The .npy file to write.")
flags.mark_flags_as_required(["workdir", "input", "output"])


def main(argv):
  del argv
  f = flags.FLAGS
  print(json.dumps(files.decompress(f.workdir, f.input, f.output)))


if __name__ == "__main__":
  common.main(main)
