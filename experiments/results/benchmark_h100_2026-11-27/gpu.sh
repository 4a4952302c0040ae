# One prepared device run (2026-11-27): benchmark --all, the torch peers, GPU correctness.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD || exit
export OUT; export PYTHONUNBUFFERED=1 JAX_PLATFORMS=cuda XLA_PYTHON_CLIENT_PREALLOCATE=false
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee $OUT/env.txt
python3 -c "import jax, flax, optax, orbax.checkpoint as o, torch; print('jax', jax.__version__, 'flax', flax.__version__, 'optax', optax.__version__, 'torch', torch.__version__, jax.devices())" 2>&1 | tail -1 | tee -a $OUT/env.txt
echo "== benchmark --all"
timeout 240 python3 -m experiments.benchmark --all --steps=600 --warmup=20 2>$OUT/all.err | tee $OUT/all.jsonl | cut -c1-220
echo "== torch eager"
cd experiments/reference
timeout 60 bash -c 'for w in ae_mlp vae_mlp gan_mlp rbm_cd1 pixelcnn glow; do python3 torch_$w.py --device cuda --steps 600 --warmup 20 2>>$OUT/torch.err | tee -a $OUT/torch.jsonl | cut -c1-200; done'
echo "== torch.compile"
timeout 130 bash -c 'for w in pixelcnn glow vae_mlp; do python3 torch_$w.py --device cuda --compile --steps 600 --warmup 20 2>>$OUT/torch.err | tee -a $OUT/torch.jsonl | cut -c1-200; done'
cd ../..
echo "== k=10 steps per dispatch"
timeout 60 bash -c 'for w in ae_mlp vae_mlp gan_mlp rbm_cd1; do python3 -m experiments.benchmark --workload=$w --steps=600 --steps_per_dispatch=10 2>/dev/null | tee -a $OUT/k10.jsonl | cut -c1-200; done'
echo "== correctness tests on the GPU"
timeout 100 python3 -m pytest -q -p no:cacheprovider -n 6 --dist loadfile -rf tests/flows tests/test_distributions.py tests/energy/test_rbm.py tests/energy/test_boltzmann.py tests/autoregressive 2>&1 | tee $OUT/tests.txt | grep -E "FAILED|ERROR|passed|failed" | cut -c1-250
# The second call (rest.jsonl), with the same set-up, after the first ran out of time in --all:
# for c in pixelcnn_binarized_mnist gated_pixelcnn_binarized_mnist glow_mnist realnvp_mnist maf_mnist \
#     pixelrnn_row_binarized_mnist rbm_binarized_mnist ebm_mnist classifier_mnist; do
#   python3 -m experiments.benchmark --config=experiments/configs/$c.py --steps=300 --warmup=20 <embedded-data flags>
# done
