"""Compresses binary images (.npy/.npz of uint8 0/1, the model's shape) with a trained model
into a .gjz file: bits-back coding (BB-ANS) with a Bernoulli VAE, exact coding with an
autoregressive model with a Bernoulli head. Prints one JSON line (size, bits/dim, images/s;
with --baselines, generic codecs' bits/dim).

python -m experiments.compress --workdir=runs/vae_mlp_bmnist --input=images.npy --output=images.gjz
"""
import json

from absl import flags

from experiments import common
from genjax.compression import files

flags.DEFINE_string("workdir", None, "A run written by experiments.train: a Bernoulli VAE or an autoregressive model.")
flags.DEFINE_string("input", None, "A .npy (or one-array .npz) of uint8 images of 0 and 1.")
flags.DEFINE_string("output", None, "The .gjz file to write.")
flags.DEFINE_integer("lanes", 10, "Parallel chains of images (each costs one 64-bit head).", lower_bound=1)
flags.DEFINE_integer("latent_bits", 8, "Buckets per latent coordinate: 2^latent_bits.", lower_bound=1,
                     upper_bound=16)
flags.DEFINE_integer("seed", 0, "Seed of the words the first images borrow.", lower_bound=0)
flags.DEFINE_bool("baselines", False, "Also report gzip, bz2, lzma and PNG on the same images.")
flags.mark_flags_as_required(["workdir", "input", "output"])


def main(argv):
  del argv
  f = flags.FLAGS
  print(json.dumps(files.compress(f.workdir, f.input, f.output, f.lanes, f.latent_bits, f.seed,
                                    f.baselines)))


if __name__ == "__main__":
  common.main(main)
