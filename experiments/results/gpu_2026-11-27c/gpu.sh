# One prepared device run (2026-11-27, third session): the GAN changes on the GPU, and how the
# DCGAN recipes' sample quality goes on past the CPU budget (20 000 steps each).
# Carried: .whl (ml_collections, tensorboardx), .gpu_classifier (runs/classifier_mnist, its
# manual_dir cleared), .gpu_mnist.npz (this machine's TFDS MNIST as arrays; with_npz_mnist.py).
# tests.txt: 21 tests, one failure, the R1-stride test's message assumed 8 devices (fixed after:
# it reads jax.device_count()). The *.metrics.jsonl are the three runs' training metrics.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD || exit
export OUT; export PYTHONUNBUFFERED=1 JAX_PLATFORMS=cuda XLA_PYTHON_CLIENT_PREALLOCATE=false
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee $OUT/env.txt
python3 -c "import jax, flax, optax; print('jax', jax.__version__, 'flax', flax.__version__, 'optax', optax.__version__, jax.devices())" 2>&1 | tail -1 | tee -a $OUT/env.txt
echo "== GAN and sample-quality tests"
timeout 150 python3 -m pytest -q -p no:cacheprovider -n 0 -rf tests/gan tests/evaluation/test_sample_quality.py 2>&1 | tail -n 12 | cut -c1-250 | tee $OUT/tests.txt
echo "== DCGAN recipes, 20 000 steps of 64, quality of 5 000 samples on validation every 5 000"
run() {  # name, extra flags
  timeout 150 python3 experiments/results/gpu_2026-11-27c/with_npz_mnist.py experiments.train --config=experiments/configs/dcgan_mnist.py --workdir=/tmp/w/$1 \
    --config.num_steps=20000 --config.checkpoint_every=20000 --config.log_every=5000 \
    --config.evals.quality.every=5000 --config.evals.quality.num=5000 --config.evals.quality.classifier=.gpu_classifier "${@:2}" > $OUT/$1.log 2>&1
  cp /tmp/w/$1/metrics.jsonl $OUT/$1.metrics.jsonl
  grep -o "quality/fid [0-9.]*\|quality/precision [0-9.]*\|quality/class_imbalance [0-9.]*\|steps/s" $OUT/$1.log | tr '\n' ' '; echo " <- $1"
}
run base
run r1 --config.model.r1_weight=10
run r1_stride4 --config.model.r1_weight=10 --config.model.r1_stride=4
