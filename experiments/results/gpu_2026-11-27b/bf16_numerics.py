"""bfloat16 on this backend: does a bfloat16 sum (jnp.sum, lax.reduce_sum, a bias's gradient)
accumulate in float32? And one training step of each family in bfloat16 against float32 from
the same state and batch (SGD): the loss, and the relative error of the whole update."""
import json
import sys

import jax
import jax.numpy as jnp
import numpy as np

from tests.train.test_contract import tiny_family_config
from tests.train.test_precision import floating, one_step

x = jnp.asarray(np.random.default_rng(0).uniform(size=(16, 28, 28, 8)), jnp.float32)
bias_grad = jax.grad(lambda b, v: jnp.sum((v.astype(jnp.bfloat16) + b).astype(jnp.float32)))(
    jnp.zeros((8,), jnp.bfloat16), x)
print(json.dumps({"backend": jax.default_backend(), "exact": float(np.asarray(x, np.float64).sum()),
                  "jnp_sum_bf16": float(jnp.sum(x.astype(jnp.bfloat16))),
                  "lax_reduce_sum_bf16": float(jax.jit(lambda v: jax.lax.reduce_sum_p.bind(v.astype(jnp.bfloat16), axes=(0, 1, 2, 3)))(x)),
                  "bias_grad_bf16_channel0": float(bias_grad[0]), "bias_grad_exact_channel0": float(np.asarray(x[..., 0], np.float64).sum())}), flush=True)
for name in sys.argv[1:]:
  c16 = tiny_family_config(name)
  c16.precision = "bfloat16"
  try:
    before, a16, m16, _ = one_step(c16)
    _, a32, m32, _ = one_step(tiny_family_config(name))
    d16 = np.concatenate([(p - q).ravel() for p, q in zip(floating(a16), floating(before))])
    d32 = np.concatenate([(p - q).ravel() for p, q in zip(floating(a32), floating(before))])
    print(json.dumps({"config": name, "loss_bf16": float(m16["loss"]), "loss_f32": float(m32["loss"]),
                      "update_rel_error": float(np.linalg.norm(d16 - d32) / np.linalg.norm(d32))}), flush=True)
  except Exception as e:  # noqa: BLE001 -- a report line per config
    print(json.dumps({"config": name, "error": f"{type(e).__name__}: {str(e)[:300]}"}), flush=True)
