#!/bin/bash
# W4 and glow side by side, two rounds: genjax with freed memory reused (the default) and with
# glibc's defaults; PyTorch eager and torch.compile with glibc's defaults and with the same
# settings through glibc's variables. Needs /tmp/torchvenv (README, "Benchmark").
# Usage, from the repository root: bash experiments/results/host_allocator/speed.sh [OUTDIR]
TORCH=/tmp/torchvenv/bin/python
ENV="MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2147483647"
o=${1:-runs/host_allocator}
mkdir -p $o
for round in 1 2; do
  for w in pixelcnn glow; do
    s=30; [ $w = glow ] && s=60
    .venv/bin/python -m experiments.benchmark --workload=$w --steps=$s > $o/${w}_genjax_reuse_$round.json
    .venv/bin/python -m experiments.benchmark --workload=$w --steps=$s --reuse_freed_memory=false > $o/${w}_genjax_default_$round.json
    ref=experiments/reference/torch_$w.py
    $TORCH $ref --steps $s --warmup 5 > $o/${w}_torch_eager_$round.json
    $TORCH $ref --steps $s --warmup 5 --compile > $o/${w}_torch_compile_$round.json
    env $ENV $TORCH $ref --steps $s --warmup 5 > $o/${w}_torch_eager_env_$round.json
    env $ENV $TORCH $ref --steps $s --warmup 5 --compile > $o/${w}_torch_compile_env_$round.json
  done
done
