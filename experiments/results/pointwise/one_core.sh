#!/bin/bash
set -e
# W4 and glow on one core, side by side, two rounds: genjax single-threaded (XLA_FLAGS below)
# and PyTorch eager and torch.compile with one thread (--threads 1), each pinned to core 0, glibc
# set up alike (MALLOC_* below, as genjax's binaries set it). The order alternates between rounds.
# Needs /tmp/torchvenv with torch, numpy and scipy (README, "Benchmark").
# Usage, from the repository root: bash experiments/results/pointwise/one_core.sh [OUTDIR]
# Writes OUTDIR/*.json (each run's output) and OUTDIR/speed.jsonl (each run's last line, named).
TORCH=/tmp/torchvenv/bin/python
ENV="MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2147483647"
o=${1:-runs/pointwise_one_core}
mkdir -p $o
genjax() {   # workload steps round
  XLA_FLAGS=--xla_cpu_multi_thread_eigen=false taskset -c 0 .venv/bin/python -m experiments.benchmark \
    --workload=$1 --steps=$2 > $o/${1}_genjax_$3.json
}
torch() {    # workload steps round
  local ref=experiments/reference/torch_$1.py
  env $ENV taskset -c 0 $TORCH $ref --steps $2 --warmup 5 --threads 1 > $o/${1}_torch_eager_$3.json
  env $ENV taskset -c 0 $TORCH $ref --steps $2 --warmup 5 --threads 1 --compile > $o/${1}_torch_compile_$3.json
}
for round in 1 2; do
  for w in pixelcnn glow; do
    s=30; [ $w = glow ] && s=60
    if [ $round = 1 ]; then genjax $w $s $round; torch $w $s $round
    else torch $w $s $round; genjax $w $s $round; fi
  done
done
for f in $o/*.json; do
  grep '^{' $f | tail -n 1 | python3 -c "import json, sys; d = json.loads(sys.stdin.read()); d['run'] = '$(basename $f .json)'; print(json.dumps(d))"
done > $o/speed.jsonl
