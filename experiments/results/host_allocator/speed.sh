#!/bin/bash
# W4 and glow side by side, two rounds: genjax with freed memory reused (the default) and with
# glibc's defaults; PyTorch eager and torch.compile with glibc's defaults and with the same
# settings through glibc's variables. The order within a round alternates between rounds.
# Needs /tmp/torchvenv with torch, numpy and scipy (README, "Benchmark"; torch_glow.py uses scipy).
# Usage, from the repository root: bash experiments/results/host_allocator/speed.sh [OUTDIR]
# Writes OUTDIR/*.json (each run's output) and OUTDIR/speed.jsonl (each run's last line, named).
TORCH=/tmp/torchvenv/bin/python
ENV="MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2147483647"
o=${1:-runs/host_allocator}
mkdir -p $o
genjax() {   # workload steps round mode
  local flag=""; [ $4 = default ] && flag="--reuse_freed_memory=false"
  .venv/bin/python -m experiments.benchmark --workload=$1 --steps=$2 $flag > $o/${1}_genjax_${4}_$3.json
}
torch() {    # workload steps round
  local ref=experiments/reference/torch_$1.py
  $TORCH $ref --steps $2 --warmup 5 > $o/${1}_torch_eager_$3.json
  $TORCH $ref --steps $2 --warmup 5 --compile > $o/${1}_torch_compile_$3.json
  env $ENV $TORCH $ref --steps $2 --warmup 5 > $o/${1}_torch_eager_env_$3.json
  env $ENV $TORCH $ref --steps $2 --warmup 5 --compile > $o/${1}_torch_compile_env_$3.json
}
for round in 1 2; do
  for w in pixelcnn glow; do
    s=30; [ $w = glow ] && s=60
    if [ $round = 1 ]; then genjax $w $s $round reuse; genjax $w $s $round default; torch $w $s $round
    else torch $w $s $round; genjax $w $s $round default; genjax $w $s $round reuse; fi
  done
done
for f in $o/*.json; do
  grep '^{' $f | tail -n 1 | python3 -c "import json, sys; d = json.loads(sys.stdin.read()); d['run'] = '$(basename $f .json)'; print(json.dumps(d))"
done > $o/speed.jsonl
