#!/bin/bash
set -e
# W4 and glow side by side, two rounds: genjax on one CPU device (the default) and with
# --cpu_devices=2 (data-parallel over the two cores), then PyTorch eager and torch.compile with
# glibc set up as genjax sets it (MALLOC_* below). The order within a round alternates between rounds.
# Needs /tmp/torchvenv with torch, numpy and scipy (README, "Benchmark"; torch_glow.py uses scipy).
# Usage, from the repository root: bash experiments/results/pointwise/speed.sh [OUTDIR]
# Writes OUTDIR/*.json (each run's output) and OUTDIR/speed.jsonl (each run's last line, named).
TORCH=/tmp/torchvenv/bin/python
ENV="MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2147483647"
o=${1:-runs/pointwise}
mkdir -p $o
genjax() {   # workload steps round devices
  .venv/bin/python -m experiments.benchmark --workload=$1 --steps=$2 --cpu_devices=$4 > $o/${1}_genjax_dev${4}_$3.json
}
torch() {    # workload steps round
  local ref=experiments/reference/torch_$1.py
  env $ENV $TORCH $ref --steps $2 --warmup 5 > $o/${1}_torch_eager_$3.json
  env $ENV $TORCH $ref --steps $2 --warmup 5 --compile > $o/${1}_torch_compile_$3.json
}
for round in 1 2; do
  for w in pixelcnn glow; do
    s=30; [ $w = glow ] && s=60
    if [ $round = 1 ]; then genjax $w $s $round 1; genjax $w $s $round 2; torch $w $s $round
    else torch $w $s $round; genjax $w $s $round 2; genjax $w $s $round 1; fi
  done
done
for f in $o/*.json; do
  grep '^{' $f | tail -n 1 | python3 -c "import json, sys; d = json.loads(sys.stdin.read()); d['run'] = '$(basename $f .json)'; print(json.dumps(d))"
done > $o/speed.jsonl
