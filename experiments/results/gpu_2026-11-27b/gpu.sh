# One prepared device run (2026-11-27, second session): bfloat16 numerics and speed on the GPU.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD || exit
export OUT; export PYTHONUNBUFFERED=1 JAX_PLATFORMS=cuda XLA_PYTHON_CLIENT_PREALLOCATE=false
R=experiments/results/gpu_2026-11-27b
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee $OUT/env.txt
python3 -c "import jax, flax, optax, torch; print('jax', jax.__version__, 'flax', flax.__version__, 'optax', optax.__version__, 'torch', torch.__version__, jax.devices())" 2>&1 | tail -1 | tee -a $OUT/env.txt
echo "== bf16 numerics"
timeout 150 python3 $R/bf16_numerics.py ae_mlp_digits vae_digits gan_toy2d classifier_mnist made_binarized_mnist \
  pixelcnn_binarized_mnist dcgan_mnist vae_conv_binarized_mnist ae_conv_digits gated_pixelcnn_binarized_mnist \
  pixelrnn_row_binarized_mnist 2>$OUT/numerics.err | tee $OUT/numerics.jsonl | cut -c1-300
echo "== precision tests"
timeout 60 python3 -m pytest -q -p no:cacheprovider -p no:xdist -rf tests/train/test_precision.py tests/flows/test_flows.py -k "precision or bfloat16 or variational or dequantizer" 2>&1 | grep -E "FAILED|ERROR|passed|failed" | cut -c1-250 | tee $OUT/tests.txt
echo "== benchmarks, float32 then bfloat16"
timeout 300 bash -c 'for w in vae_mlp ae_mlp gan_mlp pixelcnn; do for p in float32 bfloat16; do
  python3 -m experiments.benchmark --workload=$w --steps=600 --precision=$p 2>>$OUT/bench.err | tee -a $OUT/bench.jsonl | cut -c1-160; done; done
for c in dcgan_mnist vae_conv_binarized_mnist gated_pixelcnn_binarized_mnist; do for p in float32 bfloat16; do
  python3 -m experiments.benchmark --all --entries=$c --steps=300 --precision=$p 2>>$OUT/bench.err | tee -a $OUT/bench.jsonl | cut -c1-160; done; done'
