"""Scores a trained run's newest checkpoint once, on the test split, with every evaluator of
its config (config.evals), and prints one JSON object.

python -m experiments.evaluate --workdir=DIR [--split=test] [--k=5000] [--replicates=2]
                               [--seed=0] [--classifier=DIR] [--truncation=T]
"""
import json

from absl import flags

from experiments import common
from genjax import evaluation

flags.DEFINE_string("workdir", None, "A directory written by experiments.train.")
flags.DEFINE_string("split", "test", "Split to score (training monitors 'validation').")
flags.DEFINE_integer("k", 5000, "Importance samples for the IWAE estimate of log p(x) "
                     "(likelihood families; Burda et al.'s protocol is 5000). 0: the config's.")
flags.DEFINE_integer("replicates", 2, "Independent repetitions of each evaluator: values are "
                     "their mean, `<metric>_mc_se` its Monte-Carlo standard error.", lower_bound=1)
flags.DEFINE_string("classifier", "", "A classifier workdir (experiments/configs/classifier_*.py) "
                    "whose features score samples: classifier FID, precision/recall, classifier "
                    "score. Default: the config's evals.quality.classifier, if that exists.")
flags.DEFINE_integer("num_samples", 0, "Samples scored for sample quality (0: the config's "
                     "evals.quality.num, 10 000).", lower_bound=0)
flags.DEFINE_string("inception_weights", "", "Optional: Inception-v3 weights (.npz from "
                    "experiments/reference/convert_inception.py) for the standard FID as well.")
flags.DEFINE_integer("seed", 0, "Seed of every random draw of the evaluation (importance samples, "
                     "ELBO noise, samples).")
flags.DEFINE_float("truncation", None, common.TRUNCATION_HELP)
flags.mark_flags_as_required(["workdir"])


def main(argv):
  del argv
  f = flags.FLAGS
  print(json.dumps(evaluation.evaluate(f.workdir, f.split, f.k, f.classifier, f.num_samples,
                                       f.inception_weights, f.seed, f.replicates,
                                       f.truncation)))


if __name__ == "__main__":
  common.main(main)
