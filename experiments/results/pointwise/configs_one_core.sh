#!/bin/bash
set -e
# The image families' main configs on one core, one run each (100 timed steps, no plain step),
# on their real data in ../shared/data. Run once at dafc9c2 (TAG=before: nn.Dense 1x1 layers)
# and once at 94fc976 (TAG=after: Pointwise), side by side on 2026-11-28.
# Usage, from the repository root: bash experiments/results/pointwise/configs_one_core.sh TAG [OUTDIR]
# Writes OUTDIR/cfg_<config>_TAG.json; configs_one_core_2026-11-28.jsonl holds both tags' last lines.
t=$1; o=${2:-runs/dp}
mkdir -p $o
for c in gated_pixelcnn_binarized_mnist pixelrnn_row_binarized_mnist pixelcnn_binarized_mnist glow_mnist realnvp_mnist; do
  d=binarized_mnist; case $c in glow_mnist|realnvp_mnist) d=mnist;; esac
  XLA_FLAGS=--xla_cpu_multi_thread_eigen=false taskset -c 0 .venv/bin/python -m experiments.benchmark \
    --config=experiments/configs/$c.py --config.data.manual_dir=../shared/data/$d --steps=100 \
    --baseline=false > $o/cfg_${c}_$t.json
done
