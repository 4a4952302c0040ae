"""Evaluates a trained run's newest checkpoint on its test split and prints one JSON object.

python -m experiments.evaluate --workdir=DIR [--split=test]
"""
import json

from absl import app, flags

from experiments.common import one_line_errors
from genjax import evaluation

flags.DEFINE_string("workdir", None, "A directory written by experiments.train.")
flags.DEFINE_string("split", "", "Split to evaluate (default: the config's data.eval_split).")
flags.mark_flags_as_required(["workdir"])


def main(argv):
  del argv
  with one_line_errors():
    print(json.dumps(evaluation.evaluate(flags.FLAGS.workdir, flags.FLAGS.split or None)))


if __name__ == "__main__":
  app.run(main)
