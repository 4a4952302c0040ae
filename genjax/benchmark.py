"""Throughput of the library's own training step, by the protocol of ../shared/WORKLOADS.md.

A workload is an experiment config (model, optimiser, batch) on the `mnist_like` synthetic
data with the normative sequential batch order. Its step is timed exactly as the trainer
runs it: the split resident on device, the compiled shard_map step gathers its rows,
preprocesses and updates; the host sends the step number.
`plain_ae_step` is the baseline a user would hand-write: one jitted step on device-resident
float data. Both are reported so the trainer's overhead is measured, not assumed.
"""
import dataclasses
import functools
import math
import os
import sys
import time
from typing import Dict, Optional, Tuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.linalg

from genjax import data as gdata
from genjax.errors import InputError
from genjax.train import trainer
from genjax.train.method import builders
from genjax.train.parallel import Compiled, make_mesh


@dataclasses.dataclass(frozen=True)
class Workload:
  family: str
  batch: int
  gflop_per_step: float
  steps: int


def _ae_flops(b):
  return 3 * 2 * b * 50_176


WORKLOADS = {
    "ae_mlp": Workload("autoencoder", 256, _ae_flops(256) / 1e9, 3000),
    "gan_mlp": Workload("gan", 128, (8 * 128 * 1_483_776 + 16 * 128 * 1_458_432) / 1e9, 300),
    "vae_mlp": Workload("vae", 128, 3 * 2 * 128 * 1_089_536 / 1e9, 1000),
    "pixelcnn": Workload("autoregressive", 64, 3 * 2 * 64 * 78_776_320 / 1e9, 30),
    "glow": Workload("flow", 64, 3 * 2 * 64 * 8_078_336 / 1e9, 60),   # the couplings' convolutions
    "rbm_cd1": Workload("rbm", 100, 5 * 2 * 100 * 392_000 / 1e9, 2000),
}


# Embedded data of the same shape, levels and labels for each data set that needs files, so
# every config can be timed (and smoke-tested) offline.
EMBEDDED = {"mnist": {"name": "mnist_like"}, "fashion_mnist": {"name": "mnist_like"},
            "cifar10": {"name": "cifar_like"},
            "binarized_mnist": {"name": "mnist_like", "binarize": "threshold",
                                "train_split": "train", "eval_split": "test"}}


def on_embedded(config):
  """`config` with its data set swapped for the embedded one of the same shape (in place)."""
  for field, value in EMBEDDED.get(config.data.name, {}).items():
    config.data[field] = value
  return config


# Dense peak FLOP/s of one chip in the precision XLA computes float32 products in by default:
# TF32 on NVIDIA Ampere and later, one bf16 pass on TPU (vendors' data sheets, no sparsity).
# Dense peaks per chip: (float32 computed as XLA computes it there, bfloat16). NVIDIA's tensor
# cores take float32 matrix products as TF32; TPUs' as bfloat16 passes.
PEAK_FLOPS = (("H100 PCIe", (378e12, "tf32"), (756e12, "bf16")),
              ("H100", (494.7e12, "tf32"), (989.4e12, "bf16")), ("H200", (494.7e12, "tf32"), (989.4e12, "bf16")),
              ("A100", (156e12, "tf32"), (312e12, "bf16")), ("TPU v4", (275e12, "bf16"), (275e12, "bf16")),
              ("TPU v5 lite", (197e12, "bf16"), (197e12, "bf16")), ("TPU v5p", (459e12, "bf16"), (459e12, "bf16")),
              ("TPU v5", (459e12, "bf16"), (459e12, "bf16")))


def peak_flops(device=None, precision: str = "float32") -> Optional[Tuple[float, str]]:
  """(FLOP/s, precision) of `device`'s dense peak for a step computing in `precision`
  (config.precision), or None (a CPU, an unlisted chip)."""
  kind = (device or jax.local_devices()[0]).device_kind
  return next((peaks[precision == "bfloat16"] for name, *peaks in PEAK_FLOPS if name in kind), None)


def step_flops(jitted, *args) -> Optional[float]:
  """FLOPs of one call of `jitted(*args)` as XLA's cost analysis counts them in the lowered
  program (before optimisation: the model's own arithmetic, not what fusion saves); where a
  backend does not analyse lowered programs (CUDA, JAX 0.11), in the compiled one."""
  lowered = jitted.lower(*args)
  return _flops(lowered.cost_analysis()) or _flops(lowered.compile().cost_analysis())


def _flops(cost) -> Optional[float]:
  if isinstance(cost, (list, tuple)):
    cost = cost[0] if cost else None
  return float(cost["flops"]) if cost and cost.get("flops") else None


def utilisation(report: Dict[str, object], flops: Optional[float], peak=None) -> Dict[str, object]:
  """Model FLOPs per step (all devices) and per second and, given the chips' `peak`
  (FLOP/s, precision) (default: `peak_flops()`), the model FLOP utilisation: the fraction of
  the report's devices' peak that the step's FLOPs use."""
  peak = peak or peak_flops()
  out = {"flops_per_step": flops, "tflops_per_sec": None, "mfu": None,
         "mfu_peak": f"{peak[1]} {peak[0] / 1e12:g} TFLOP/s per chip" if peak else None,
         "device_kind": jax.local_devices()[0].device_kind}
  if flops:
    per_sec = flops * report["examples_per_sec"] / report["batch"]
    out["tflops_per_sec"] = per_sec / 1e12
    out["mfu"] = per_sec / (peak[0] * report["devices"]) if peak else None
  return out


def check_family(name: str, workloads=None):
  """Exits the workload early (InputError) when its family is not in genjax (yet)."""
  w = (workloads or WORKLOADS)[name]
  if w.family not in builders():
    raise InputError(f"workload {name} needs the '{w.family}' family, which genjax does not have yet")


def time_config(config, steps: int, warmup: int = 20, chunks: int = 5, sequential: bool = True,
                beside=None) -> Dict[str, object]:
  """Times `steps` training steps of `config` through the trainer's compiled step. `beside`:
  a plain step (a `_Timer` from PLAIN_STEPS) timed chunk by chunk in turn with the library's,
  so both see the same machine (this one's speed drifts by 20 % within a minute); its report
  comes back under 'beside'."""
  mesh = make_mesh()
  info = trainer.validate(config, mesh.size)
  split = gdata.load(config.data)[config.data.train_split]
  trainer.check_batch_fits(config, split)
  method = trainer.build_method(config, info)
  batches = gdata.Batches(split, config.batch_size, config.seed, jax.process_index(),
                          jax.process_count(), shuffle=not sequential,
                          real_per_batch=0 if sequential else config.data.real_per_batch)
  compiled = Compiled(method, gdata.make_preprocess(config.data, info), mesh, batches(0),
                      batches.steps_per_epoch)
  key = jax.random.PRNGKey(config.seed)
  state = compiled.init(jax.random.fold_in(key, -1 % 2**31), batches(0))
  resident = compiled.put_replicated(gdata.take(split, slice(None)))
  perm = compiled.put_replicated(batches.permutation(0).astype(np.int32))

  k = config.steps_per_dispatch
  if k == 1:
    def step(state, i):  # As the trainer's loop runs it (one epoch's permutation throughout).
      state, m = compiled.train_step_resident(state, resident, perm, key, i)
      return state, m["loss"]
  else:
    perms = compiled.put_replicated(np.stack([batches.permutation(0).astype(np.int32)] * 2))

    def step(state, i):  # call i: steps i k .. i k + k - 1 in one compiled scan
      first = i * k
      state, m = compiled.train_steps_resident(state, resident, perms, key, first, k)
      return state, m["loss"]   # (k,): sliced only after timing

  t = time.perf_counter()
  state, loss = step(state, np.int32(0))
  first_loss = float(np.ravel(loss)[0])
  compile_s = time.perf_counter() - t
  # Counted after the timed first call: where counting compiles, it must not fill jit's cache first.
  flops = step_flops(compiled.train_step_resident, state, resident, perm, key, np.int32(0))
  flops = flops and flops * mesh.size   # the analysis counts one device's share of the step
  timers = {"genjax": _Timer(step, state, warmup, k), "beside": beside}
  reports = _timed_chunks({name: t for name, t in timers.items() if t is not None}, config.batch_size,
                          steps, chunks)
  report = {**reports["genjax"], "batch": config.batch_size, "first_loss": first_loss,
            "compile_s": compile_s, "devices": mesh.size, "backend": jax.default_backend(),
            "steps_per_dispatch": k, "precision": config.precision, "peak_memory_bytes": _peak_memory()}
  return {**report, **utilisation(report, flops, peak_flops(precision=config.precision)),
          **({"beside": reports["beside"]} if beside else {})}


def time_workload(name: str, config, steps: int, warmup: int = 20, baseline: bool = True):
  """A workload's report: its config's library step timed beside the hand-written plain
  step (when the workload has one and `baseline`), chunk by chunk in turn."""
  check_family(name)
  w = WORKLOADS[name]
  plain = PLAIN_STEPS[name](config, warmup) if baseline and name in PLAIN_STEPS else None
  out = {"workload": name, "framework": "genjax",
         **time_config(config, steps, warmup, chunks=10 if plain else 5, beside=plain)}
  out["gflops_per_sec"] = out["examples_per_sec"] / w.batch * w.gflop_per_step
  if plain is not None:
    beside = out.pop("beside")
    out["plain_jax_examples_per_sec"] = beside["examples_per_sec"]
    out["plain_jax_chunk_eps"] = beside["chunk_eps"]
    out["ratio_vs_plain_jax"] = out["examples_per_sec"] / beside["examples_per_sec"]
    out["plain_jax_devices"] = 1   # a plain jax.jit: the default device, whatever `devices` is
  return out


class _Timer:
  """A compiled step `carry, loss = step(carry, i)` doing `steps_per_call` training steps per
  call, after its warm-up calls 1..warmup (call 0, the compiling one, already run);
  `chunk(n)` runs and times the next n training steps."""

  def __init__(self, step, carry, warmup: int, steps_per_call: int = 1):
    for i in range(1, warmup + 1):
      carry, _ = step(carry, np.int32(i))
    jax.block_until_ready(carry)   # the warm-up steps are dispatched asynchronously
    self.step, self.carry, self.i, self.losses = step, carry, warmup + 1, []
    self.steps_per_call = steps_per_call

  def chunk(self, n: int) -> float:
    losses, t = [], time.perf_counter()
    for _ in range(n // self.steps_per_call):
      self.carry, loss = self.step(self.carry, np.int32(self.i))
      losses.append(loss)
      self.i += 1
    jax.block_until_ready(self.carry)
    self.losses = losses
    return time.perf_counter() - t


def _timed_chunks(timers: Dict[str, _Timer], batch, steps, chunks) -> Dict[str, Dict[str, object]]:
  """`chunks` chunks of steps // chunks steps (rounded down to a whole number of every
  timer's calls) of each timer, one chunk of each in turn. Per timer: examples/s over all
  chunks, each chunk's, and final_loss (the last chunk's mean)."""
  per_call = math.lcm(*(t.steps_per_call for t in timers.values()))
  per_chunk = max(steps // chunks // per_call, 1) * per_call
  seconds = {name: [] for name in timers}
  for _ in range(chunks):
    for name, timer in timers.items():
      seconds[name].append(timer.chunk(per_chunk))
  examples = per_chunk * batch
  return {name: {"examples_per_sec": chunks * examples / sum(s), "steps": chunks * per_chunk,
                 "final_loss": float(np.mean(jax.device_get(timers[name].losses))),
                 "chunk_eps": [round(examples / c) for c in s]} for name, s in seconds.items()}


def _peak_memory() -> Optional[int]:
  stats = jax.local_devices()[0].memory_stats()  # None on CPU.
  return int(stats["peak_bytes_in_use"]) if stats and "peak_bytes_in_use" in stats else None


def _time_plain(step, params, opt_state, warmup):
  """A hand-written `params, opt_state, loss = step(params, opt_state, i)`, compiled and warmed
  up, as a `_Timer` to be timed beside the library's step."""
  carry_step = lambda carry, i: (lambda p, o, loss: ((p, o), loss))(*step(*carry, i))
  carry, _ = carry_step((params, opt_state), np.int32(0))
  return _Timer(carry_step, carry, warmup)


def _plain_data(threshold: bool):
  u8, _ = gdata.sources.mnist_like_uint8()
  return jnp.asarray(u8 >= 128, jnp.float32) if threshold else jnp.asarray(u8, jnp.float32) / 255.0


def plain_ae_step(config, warmup: int = 20) -> "_Timer":
  """The hand-written reference for W1: one jax.jit step, float data resident on device,
  the batch cut with dynamic_slice inside the step. Same module, loss and optimiser."""
  from genjax.autoencoder import MLPAutoencoder, reconstruction_loss
  x_all = _plain_data(False)
  b, nb = config.batch_size, len(x_all) // config.batch_size
  net = MLPAutoencoder(latents=config.model.latents, hidden=(), data_shape=(784,))
  tx = optax.adam(config.optim.lr)
  params = net.init(jax.random.PRNGKey(0), x_all[:1])["params"]

  def step(params, opt_state, i):
    x = jax.lax.dynamic_slice_in_dim(x_all, (i % nb) * b, b)
    loss_fn = lambda p: reconstruction_loss(net.apply({"params": p}, x), x, "bce").mean()
    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss

  return _time_plain(jax.jit(step, donate_argnums=(0, 1)), params, tx.init(params), warmup)


def plain_vae_step(config, warmup: int = 20) -> "_Timer":
  """The hand-written reference for W3: the VAE's ELBO step in one jax.jit, W3's maths
  written out (reparameterisation, Bernoulli log-likelihood, analytic KL)."""
  from genjax.distributions import bernoulli_log_prob, gaussian_kl_to_standard
  from genjax.vae.modules import MLPDecoder, MLPEncoder
  x_all = _plain_data(True)
  b, nb, k = config.batch_size, len(x_all) // config.batch_size, config.model.latents
  enc, dec = MLPEncoder(k, (512, 256)), MLPDecoder(784, (512, 256))
  params = {"enc": enc.init(jax.random.PRNGKey(0), x_all[:1])["params"],
            "dec": dec.init(jax.random.PRNGKey(1), jnp.zeros((1, k)))["params"]}
  tx = optax.adam(config.optim.lr)

  def step(params, opt_state, i):
    x = jax.lax.dynamic_slice_in_dim(x_all, (i % nb) * b, b)
    eps = jax.random.normal(jax.random.fold_in(jax.random.PRNGKey(2), i), (b, k))

    def loss_fn(p):
      mean, log_var = enc.apply({"params": p["enc"]}, x)
      logits = dec.apply({"params": p["dec"]}, mean + jnp.exp(0.5 * log_var) * eps)
      return jnp.mean(-bernoulli_log_prob(logits, x).sum(-1) + gaussian_kl_to_standard(mean, log_var))

    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss

  return _time_plain(jax.jit(step, donate_argnums=(0, 1)), params, tx.init(params), warmup)


def plain_gan_step(config, warmup: int = 20) -> "_Timer":
  """The hand-written reference for W2: D update on [real; G(z)] then G update with fresh z,
  non-saturating losses, two Adams, one jax.jit."""
  from genjax.distributions import softplus
  from genjax.gan.modules import MLPDiscriminator, MLPGenerator
  u8, _ = gdata.sources.mnist_like_uint8()
  x_all = jnp.asarray(u8, jnp.float32) / 127.5 - 1.0
  b, nb, k = config.batch_size, len(u8) // config.batch_size, config.model.latents
  gen, disc = MLPGenerator(784), MLPDiscriminator()
  params = {"g": gen.init(jax.random.PRNGKey(0), jnp.zeros((1, k)))["params"],
            "d": disc.init(jax.random.PRNGKey(1), x_all[:1])["params"]}
  tx = optax.adam(2e-4, b1=0.5, b2=0.999)
  opt = {"g": tx.init(params["g"]), "d": tx.init(params["d"])}

  def step(params, opt, i):
    x = jax.lax.dynamic_slice_in_dim(x_all, (i % nb) * b, b)
    r1, r2 = jax.random.split(jax.random.fold_in(jax.random.PRNGKey(2), i))
    fake = jax.lax.stop_gradient(gen.apply({"params": params["g"]}, jax.random.normal(r1, (b, k))))

    def d_loss(dp):
      logits = disc.apply({"params": dp}, jnp.concatenate([x, fake]))
      return jnp.mean(softplus(-logits[:b])) + jnp.mean(softplus(logits[b:]))

    dl, dg = jax.value_and_grad(d_loss)(params["d"])
    du, opt_d = tx.update(dg, opt["d"], params["d"])
    d_params = optax.apply_updates(params["d"], du)
    g_loss = lambda gp: jnp.mean(softplus(-disc.apply(
        {"params": d_params}, gen.apply({"params": gp}, jax.random.normal(r2, (b, k))))))
    gg = jax.grad(g_loss)(params["g"])
    gu, opt_g = tx.update(gg, opt["g"], params["g"])
    return {"g": optax.apply_updates(params["g"], gu), "d": d_params}, {"g": opt_g, "d": opt_d}, dl

  return _time_plain(jax.jit(step, donate_argnums=(0, 1)), params, opt, warmup)


def plain_pixelcnn_step(config, warmup: int = 20) -> "_Timer":
  """The straightforward JAX W4 a user would write: dense k x k kernels times their 0/1 masks
  (WORKLOADS.md's `conv(x, W * M) + b`), 1x1 layers as Dense, one jax.jit."""
  from genjax.distributions import bernoulli_log_prob

  def masked(features, k, kind, cin):   # flax's Conv multiplies its kernel by `mask`
    m = np.ones((k, k, cin, features), np.float32)
    m[k // 2 + 1:], m[k // 2, k // 2 + (kind == "B"):] = 0.0, 0.0
    return nn.Conv(features, (k, k), padding="SAME", mask=m)

  class Net(nn.Module):
    @nn.compact
    def __call__(self, x):
      h = masked(64, 7, "A", 1)(x)
      for _ in range(7):
        t = nn.Dense(32)(nn.relu(h))
        t = masked(32, 3, "B", 32)(nn.relu(t))
        h = h + nn.Dense(64)(nn.relu(t))
      return nn.Dense(1)(nn.relu(nn.Dense(64)(nn.relu(h))))

  x_all = _plain_data(True).reshape(-1, 28, 28, 1)
  b, nb, net = config.batch_size, len(x_all) // config.batch_size, Net()
  params = net.init(jax.random.PRNGKey(0), x_all[:1])["params"]
  tx = optax.adam(config.optim.lr)

  def step(params, opt_state, i):
    x = jax.lax.dynamic_slice_in_dim(x_all, (i % nb) * b, b)
    loss_fn = lambda p: -bernoulli_log_prob(net.apply({"params": p}, x).reshape(b, -1),
                                            x.reshape(b, -1)).sum(-1).mean()
    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss

  return _time_plain(jax.jit(step, donate_argnums=(0, 1)), params, tx.init(params), warmup)


class _PlainGlowStep(nn.Module):
  """One Glow step as a user would write it: actnorm, LU 1x1 convolution, affine coupling
  on sliced channel halves with a 3x3-1x1-3x3 flax Conv conditioner."""
  seed: int
  width: int

  @nn.compact
  def __call__(self, x):
    c, hw = x.shape[-1], x.shape[1] * x.shape[2]
    shift = self.param("shift", lambda _: -x.mean((0, 1, 2)))
    log_scale = self.param("log_scale", lambda _: -jnp.log(x.std((0, 1, 2)) + 1e-6))
    x, log_det = (x + shift) * jnp.exp(log_scale), hw * log_scale.sum()
    p, l0, u0 = scipy.linalg.lu(np.linalg.qr(np.random.default_rng(self.seed).standard_normal((c, c)))[0])
    lower = self.param("lower", lambda _: jnp.asarray(l0, jnp.float32))
    upper = self.param("upper", lambda _: jnp.asarray(u0, jnp.float32))
    log_s = self.param("log_s", lambda _: jnp.asarray(np.log(np.abs(np.diag(u0))), jnp.float32))
    w = jnp.asarray(p, jnp.float32) @ (jnp.tril(lower, -1) + jnp.eye(c)) @ (
        jnp.triu(upper, 1) + jnp.diag(jnp.asarray(np.sign(np.diag(u0)), jnp.float32) * jnp.exp(log_s)))
    x, log_det = x @ w, log_det + hw * log_s.sum()
    a, b = (x[..., :c // 2], x[..., c // 2:]) if self.seed % 2 == 0 else (x[..., c // 2:], x[..., :c // 2])
    h = nn.relu(nn.Conv(self.width, (1, 1))(nn.relu(nn.Conv(self.width, (3, 3))(a))))
    out = nn.Conv(2 * b.shape[-1], (3, 3), kernel_init=nn.initializers.zeros)(h).reshape(b.shape + (2,))
    s = self.param("scale", nn.initializers.ones, b.shape[-1:]) * jnp.tanh(out[..., 1])
    b = (b + out[..., 0]) * jnp.exp(s)
    y = jnp.concatenate([a, b] if self.seed % 2 == 0 else [b, a], -1)
    return y, log_det + s.sum((1, 2, 3))


class _PlainGlow(nn.Module):
  """log p(x) of the glow workload, written inline: logit, squeezes, factor-out, N(0, I)."""
  levels: int
  steps: int
  width: int
  alpha: float

  @nn.compact
  def __call__(self, x):
    p = self.alpha + (1 - 2 * self.alpha) * x
    y = jnp.log(p) - jnp.log1p(-p)
    log_det = (np.log(1 - 2 * self.alpha) - jnp.log(p) - jnp.log1p(-p)).sum((1, 2, 3))
    zs = []
    for level in range(self.levels):
      b, h, w, c = y.shape
      y = y.reshape(b, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 2, 4, 5).reshape(b, h // 2, w // 2, 4 * c)
      for i in range(self.steps):
        y, ld = _PlainGlowStep(1000 * level + i, self.width)(y)
        log_det = log_det + ld
      if level < self.levels - 1:
        zs, y = zs + [y[..., :y.shape[-1] // 2].reshape(b, -1)], y[..., y.shape[-1] // 2:]
    z = jnp.concatenate(zs + [y.reshape(y.shape[0], -1)], 1)
    return -0.5 * (z ** 2).sum(1) - 0.5 * np.log(2 * np.pi) * z.shape[1] + log_det


def plain_glow_step(config, warmup: int = 20) -> "_Timer":
  """The straightforward JAX Glow a user would write for the glow workload, one jax.jit."""
  m = config.model
  assert m.depth == 1, "the plain Glow's conditioner is 3x3, one 1x1, 3x3 (model.depth=1)"
  u8, _ = gdata.sources.mnist_like_uint8()
  x_all = jnp.asarray(u8, jnp.float32).reshape(-1, 28, 28, 1)
  b, nb = config.batch_size, len(x_all) // config.batch_size
  net = _PlainGlow(m.levels, m.steps, m.width, m.logit_alpha)
  params = net.init(jax.random.PRNGKey(0), (x_all[:b] + 0.5) / 256)["params"]
  tx = optax.adam(config.optim.lr)

  def step(params, opt_state, i):
    x = jax.lax.dynamic_slice_in_dim(x_all, (i % nb) * b, b)
    x = (x + jax.random.uniform(jax.random.fold_in(jax.random.PRNGKey(1), i), x.shape)) / 256
    loss, grads = jax.value_and_grad(lambda p: -net.apply({"params": p}, x).mean())(params)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss

  return _time_plain(jax.jit(step, donate_argnums=(0, 1)), params, tx.init(params), warmup)


def plain_rbm_step(config, warmup: int = 20) -> "_Timer":
  """W5 as WORKLOADS.md writes it, no autograd: ph0, h0 ~ Bernoulli, v1 = p(v | h0), ph1,
  then the SGD updates of W, b, c, in one jax.jit."""
  x_all, lr = _plain_data(True), config.optim.lr
  b, nb = config.batch_size, len(x_all) // config.batch_size
  key = jax.random.PRNGKey(0)
  params = {"W": 0.01 * jax.random.normal(key, (784, config.model.hidden)), "b": jnp.zeros(784),
            "c": jnp.zeros(config.model.hidden)}

  def step(params, opt_state, i):
    v0 = jax.lax.dynamic_slice_in_dim(x_all, (i % nb) * b, b)
    ph0 = jax.nn.sigmoid(v0 @ params["W"] + params["c"])
    h0 = (jax.random.uniform(jax.random.fold_in(key, i), ph0.shape) < ph0).astype(jnp.float32)
    v1 = jax.nn.sigmoid(h0 @ params["W"].T + params["b"])
    ph1 = jax.nn.sigmoid(v1 @ params["W"] + params["c"])
    params = {"W": params["W"] + lr / b * (v0.T @ ph0 - v1.T @ ph1),
              "b": params["b"] + lr * (v0 - v1).mean(0), "c": params["c"] + lr * (ph0 - ph1).mean(0)}
    return params, opt_state, ((v0 - v1) ** 2).sum(1).mean()

  return _time_plain(jax.jit(step, donate_argnums=(0,)), params, (), warmup)


PLAIN_STEPS = {"ae_mlp": plain_ae_step, "vae_mlp": plain_vae_step, "gan_mlp": plain_gan_step,
               "pixelcnn": plain_pixelcnn_step, "glow": plain_glow_step,
               "rbm_cd1": plain_rbm_step}


def denormals_flushed() -> bool:
  """Does XLA's runtime on this backend flush denormals to zero (FTZ/DAZ)?"""
  tiny = jnp.float32(1e-40)  # Denormal in float32.
  return float(jax.jit(lambda a, b: a * b)(tiny, jnp.float32(1.5))) == 0.0


def threads() -> int:
  return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def peak_host_memory() -> Optional[int]:
  """The process's peak resident memory in bytes (compiling included), where the OS says."""
  try:
    import resource
  except ImportError:   # not a Unix
    return None
  peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
  return peak if sys.platform == "darwin" else peak * 1024   # bytes on macOS, KiB on Linux


def time_sampling(config, n: int = 64, seed: int = 0) -> Dict[str, object]:
  """Seconds to draw n images with the naive sampler (the whole network once per pixel,
  each pass one jitted call) and with the model's cached fast sampler, from one key and
  randomly initialised parameters (a class-conditional model draws classes 0, 1, ... in
  turn); and whether the two drew the same images."""
  from genjax.autoregressive import Model, sampling
  from genjax.autoregressive.method import sampler
  info = gdata.info(config.data.name)
  model = Model(config, info)
  x = jnp.zeros((1,) + tuple(info.shape), jnp.float32)
  labels = jnp.arange(n) % info.num_classes if config.model.get("conditional") else None   # classes in turn
  params = model.net.init(jax.random.PRNGKey(seed), x, None if labels is None else labels[:1])["params"]
  key = jax.random.PRNGKey(seed + 1)
  fast = jax.jit(functools.partial(sampler(model, fast=True), n=n, labels=labels))
  step = jax.jit(lambda params, x, levels, p, key: sampling.naive_step(
      lambda z: model.apply(params, z, labels), model.head, x, levels, p, key))

  def naive(params, key):
    x = jnp.zeros((n,) + tuple(info.shape), jnp.float32)
    levels = jnp.zeros(x.shape, jnp.int32)
    for p in range(info.shape[0] * info.shape[1]):
      x, levels = step(params, x, levels, np.int32(p), key)
    return levels

  jax.block_until_ready(fast(params, jax.random.PRNGKey(99)))   # compile both
  zeros = jnp.zeros((n,) + tuple(info.shape), jnp.float32)
  jax.block_until_ready(step(params, zeros, zeros.astype(jnp.int32), np.int32(0), key))
  times = {}
  for name, fn in (("fast", fast), ("naive", naive)):
    t = time.perf_counter()
    times[name] = jax.block_until_ready(fn(params, key)), time.perf_counter() - t
  # (On a GPU, matmul precision: TF32 rounds the two samplers' products differently, so an
  # unlucky draw can differ there; the tests compare them in full float32.)
  return {"n": n, "shape": list(info.shape), "fast_s": times["fast"][1], "naive_s": times["naive"][1],
          "speedup": times["naive"][1] / times["fast"][1],
          "samples_equal": bool((times["fast"][0] == times["naive"][0]).all())}
