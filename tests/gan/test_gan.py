"""The GAN family: losses against closed forms, the gradient penalty by hand, who updates what."""
import glob
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import data as gdata
from genjax.gan import losses, metrics
from genjax.gan.method import Networks
from genjax.gan.modules import MLPDiscriminator, MLPGenerator
from genjax.train import parallel, trainer
from tests.conftest import REPO, embedded_smoke, load_config

CONFIGS = sorted(os.path.basename(p)[:-3] for pattern in ("gan_*.py", "dcgan_*.py", "cgan_*.py")
                 for p in glob.glob(str(REPO / "experiments/configs" / pattern)))
REAL, FAKE = jnp.array([2.0, -1.0, 0.5]), jnp.array([-3.0, 0.0, 1.5])


def sig(x):
  return 1 / (1 + np.exp(-np.asarray(x, np.float64)))


def test_non_saturating_losses_are_the_seeds_binary_cross_entropy():
  d = losses.discriminator_loss("ns", REAL, FAKE)
  np.testing.assert_allclose(d, -np.mean(np.log(sig(REAL))) - np.mean(np.log(1 - sig(FAKE))), rtol=1e-6)
  np.testing.assert_allclose(losses.generator_loss("ns", FAKE), -np.mean(np.log(sig(FAKE))), rtol=1e-6)
  np.testing.assert_allclose(losses.discriminator_loss("ns", jnp.zeros(4), jnp.zeros(4)), 2 * np.log(2), rtol=1e-6)


def test_hinge_and_wasserstein_losses():
  np.testing.assert_allclose(losses.discriminator_loss("hinge", REAL, FAKE),
                             np.mean(np.maximum(0, 1 - REAL)) + np.mean(np.maximum(0, 1 + FAKE)), rtol=1e-6)
  np.testing.assert_allclose(losses.generator_loss("hinge", FAKE), -np.mean(FAKE), rtol=1e-6)
  np.testing.assert_allclose(losses.discriminator_loss("wgan-gp", REAL, FAKE), np.mean(FAKE) - np.mean(REAL), rtol=1e-6)


def test_gradient_penalty_equals_a_hand_computation():
  # critic(x) = w . tanh(A x): grad = A^T (w * (1 - tanh(Ax)^2)).
  rng = np.random.default_rng(0)
  a, w = rng.normal(size=(4, 3)), rng.normal(size=4)
  real, fake = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
  critic = lambda x: jnp.tanh(x @ jnp.asarray(a).T) @ jnp.asarray(w)
  key = jax.random.PRNGKey(3)
  t = np.asarray(jax.random.uniform(key, (5, 1)))
  x_hat = t * real + (1 - t) * fake
  grads = (w * (1 - np.tanh(x_hat @ a.T) ** 2)) @ a
  expected = np.mean((np.linalg.norm(grads, axis=1) - 1) ** 2)
  np.testing.assert_allclose(losses.gradient_penalty(critic, jnp.asarray(real), jnp.asarray(fake), t[:, 0]),
                             expected, rtol=1e-4)


def test_r1_penalty_equals_a_hand_computation():
  # The same critic at the real points: E ||A^T (w * (1 - tanh(Ax)^2))||^2.
  rng = np.random.default_rng(1)
  a, w, real = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(5, 3))
  critic = lambda x: jnp.tanh(x @ jnp.asarray(a).T) @ jnp.asarray(w)
  grads = (w * (1 - np.tanh(real @ a.T) ** 2)) @ a
  np.testing.assert_allclose(losses.r1_penalty(critic, jnp.asarray(real)),
                             np.mean(np.sum(grads ** 2, axis=1)), rtol=1e-4)


def test_r1_with_a_stride_adds_the_penalty_of_every_strided_real_example():
  # d_loss(r1_weight, stride 4) - d_loss(no R1) = gamma/2 E ||grad D(x)||^2 over rows 0, 4, 8, 12.
  from genjax.errors import ConfigError
  from genjax.gan.method import Networks, validate
  config = load_config("gan_toy2d")
  info = trainer.validate(config, 1)
  real = jnp.asarray(np.random.default_rng(0).normal(size=(16, 2)), jnp.float32)
  key = jax.random.PRNGKey(0)
  params = Networks(config, info).disc.init(key, real)["params"]
  g_params = Networks(config, info).gen.init(key, jnp.zeros((1, config.model.latents)))["params"]
  loss = lambda c, rows: jax.vmap(lambda r: Networks(c, info).d_loss(params, {}, g_params, r, None, key)[0],
                                  axis_name="data")(rows[None])[0]
  base = loss(config, real)
  config.model.r1_weight, config.model.r1_stride = 3.0, 4
  critic = lambda x: Networks(config, info).disc.apply({"params": params}, x)
  by_hand = np.mean([np.sum(np.square(jax.grad(lambda x: critic(x[None])[0])(real[i]))) for i in (0, 4, 8, 12)])
  np.testing.assert_allclose(loss(config, real) - base, 1.5 * by_hand, rtol=1e-4)
  # A stride that does not divide a device's rows is named when the step is traced.
  with pytest.raises(ConfigError, match="model.r1_stride=4 .*a divisor of the 6 real examples each device"):
    loss(config, real[:6])
  config.model.r1_stride = 3     # and one that does not divide the batch, by the config check
  with pytest.raises(ConfigError, match="model.r1_stride=3 .*a divisor of batch_size=16"):
    validate(config, info)
  config.model.r1_weight = 0.0   # no R1: the stride is not used, and not checked
  validate(config, info)


def test_lazy_r1_adds_k_times_the_penalty_on_every_kth_step_and_nothing_between():
  """model.r1_every = k (lazy regularisation, Karras et al. 2020): the D step at a step
  divisible by k adds k gamma/2 E||grad D(x)||^2 (value and gradient), the others none; the
  step count decides, through d_update."""
  from genjax.gan.method import build_parts
  config = load_config("gan_toy2d")
  config.model.r1_weight, config.model.r1_every = 3.0, 4
  info = trainer.validate(config, 1)
  gan = build_parts(config, info)
  batches = gdata.Batches(gdata.load(config.data)["train"], 16, 0)
  c = parallel.Compiled(gan.method, gdata.make_preprocess(config.data, info),
                        parallel.make_mesh(jax.devices()[:1]), batches(0), batches.steps_per_epoch)
  state = jax.device_get(c.init(jax.random.PRNGKey(0), batches(0)))
  real, key = jnp.asarray(batches(0)["x"]), jax.random.PRNGKey(1)
  nets = Networks(config, info)
  one_device = lambda f: jax.vmap(f, axis_name="data")(real[None])[0]    # binds the 'data' axis
  d_loss = lambda p, now: one_device(
      lambda r: nets.d_loss(p, state.d_stats, state.g_params, r, None, key, now)[0])
  critic = lambda p, x: nets.disc.apply({"params": p}, x[None])[0]
  penalty = lambda p: 0.5 * 3.0 * 4 * np.mean(          # k gamma/2 E ||grad D(x)||^2, x by x
      [jnp.sum(jnp.square(jax.grad(lambda x: critic(p, x))(real[i]))) for i in range(16)])
  np.testing.assert_allclose(d_loss(state.d_params, True) - d_loss(state.d_params, False),
                             penalty(state.d_params), rtol=1e-4)
  grad = lambda now: jax.grad(d_loss)(state.d_params, now)
  by_hand = jax.grad(lambda p: sum(jnp.sum(jnp.square(jax.grad(lambda x: critic(p, x))(real[i])))
                                   for i in range(16)) * 0.5 * 3.0 * 4 / 16)(state.d_params)
  for a, b, g in zip(jax.tree.leaves(grad(True)), jax.tree.leaves(grad(False)), jax.tree.leaves(by_hand)):
    np.testing.assert_allclose(a - b, g, rtol=1e-3, atol=1e-5)
  d_loss_at = lambda step: float(one_device(
      lambda r: gan.d_update(state.replace(step=jnp.int32(step)), r, key)[1]))
  np.testing.assert_allclose([d_loss_at(t) for t in (0, 1, 3, 4, 8)],
                             [d_loss(state.d_params, now) for now in (True, False, False, True, True)], rtol=1e-5)


def test_the_seeds_networks():
  g = MLPGenerator(784)
  gp = g.init(jax.random.PRNGKey(0), jnp.zeros((1, 100)))["params"]
  assert [p["kernel"].shape for p in gp.values()] == [(100, 256), (256, 512), (512, 1024), (1024, 784)]
  out = g.apply({"params": gp}, jnp.ones((2, 100)) * 50)
  assert out.shape == (2, 784)
  d = MLPDiscriminator()
  dp = d.init(jax.random.PRNGKey(0), jnp.zeros((1, 784)))["params"]
  assert [p["kernel"].shape for p in dp.values()] == [(784, 1024), (1024, 512), (512, 256), (256, 1)]


def test_a_d_step_changes_only_d_a_g_step_only_g_and_one_compiled_step_does_both():
  """Also, without an EMA (ema_decay 0), a G step leaves g_ema alone (no copy of G into it
  every step) and samples come from G itself (the stale g_ema would draw other points)."""
  from genjax.gan.method import build_parts
  config = load_config("gan_toy2d")
  config.model.d_steps, config.model.ema_decay = 2, 0.0
  info = trainer.validate(config, 1)
  gan = build_parts(config, info)
  method, d_update, g_update = gan.method, gan.d_update, gan.g_update
  batches = gdata.Batches(gdata.load(config.data)["train"], 16, 0)
  c = parallel.Compiled(method, gdata.make_preprocess(config.data, info),
                        parallel.make_mesh(jax.devices()[:1]), batches(0), batches.steps_per_epoch)
  state = jax.device_get(c.init(jax.random.PRNGKey(0), batches(0)))
  real = jnp.asarray(batches(0)["x"])[None]
  key = jax.random.PRNGKey(1)
  # vmap over a device axis of size 1 binds the 'data' axis the half-steps' pmean needs.
  after_d, _ = jax.vmap(lambda r: d_update(state, r, key), axis_name="data")(real)
  after_g, _ = jax.vmap(lambda r: g_update(state, r.shape[0], key), axis_name="data")(real)
  after_d, after_g = jax.tree.map(lambda a: a[0], (after_d, after_g))
  same = lambda a, b: all(np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))
  assert not same(after_d.d_params, state.d_params) and same(after_d.g_params, state.g_params)
  assert same(after_d.g_ema, state.g_ema) and same(after_d.g_opt, state.g_opt)
  assert not same(after_g.g_params, state.g_params) and same(after_g.d_params, state.d_params)
  assert same(after_g.d_opt, state.d_opt) and same(after_g.g_ema, state.g_ema)
  key = jax.random.PRNGKey(3)
  from_g = method.sample(after_g, key, 8)
  np.testing.assert_array_equal(from_g, method.sample(after_g.replace(g_ema=after_g.g_params), key, 8))
  assert not np.array_equal(from_g, method.sample(after_g.replace(g_params=after_g.g_ema), key, 8))
  both, m = c.train_step(c.init(jax.random.PRNGKey(0), batches(0)), c.put_batch(batches(0)),
                         key, np.int32(0))
  both = jax.device_get(both)
  assert not same(both.d_params, state.d_params) and not same(both.g_params, state.g_params)
  assert set(m) == {"loss", "g_loss"} and int(both.step) == 1


def test_truncation_bounds_the_latents_of_samples_only():
  """With truncation t, every latent a sample is drawn from lies in [-t, t], spread over it as
  N(0, 1) conditioned on it is (E|z| 0.2448 and std 0.2839 at t = 0.5; clipping gives 0.35,
  a uniform 0.25 and 0.2887); t = 0 draws the same N(0, I) as training. A tiny t draws every
  sample from z ~ 0, so all samples are one image."""
  from genjax.gan.method import protocol
  def untruncated():
    c = load_config("dcgan_mnist", "smoke")
    c.model.truncation = 0.0
    return c
  config, info = untruncated(), gdata.INFOS["mnist"]
  key = jax.random.PRNGKey(0)
  plain = Networks(untruncated(), info)    # its own config: Networks keeps it
  z = np.asarray(plain.sampling_noise(key, 500))
  np.testing.assert_array_equal(z, plain.noise(key, 500))
  assert np.abs(z).max() > 2.0 and "truncated" not in protocol(config)["latents_drawn_from"]
  config.model.truncation = 0.5
  z = np.asarray(Networks(config, info).sampling_noise(key, 500))
  assert z.shape == (500, config.model.latents) and np.abs(z).max() <= 0.5
  assert abs(np.abs(z).mean() - 0.2448) < 0.003 and abs(z.std() - 0.2839) < 0.002
  assert "truncated to [-0.5, 0.5]" in protocol(config)["latents_drawn_from"]
  config.model.truncation = 1e-6
  nets = Networks(config, info)
  g_params = nets.gen_host.init(key, jnp.zeros((1, config.model.latents)))["params"]
  labels = jnp.zeros(4, jnp.int32)
  samples = np.asarray(nets.sample(g_params, jax.random.PRNGKey(1), labels))
  np.testing.assert_allclose(samples, np.broadcast_to(samples[:1], samples.shape), atol=1e-5)
  untruncated = np.asarray(plain.sample(g_params, jax.random.PRNGKey(1), labels))
  assert np.ptp(untruncated, axis=0).max() > 0.5


def test_restore_keeps_the_configs_truncation_unless_asked_and_zero_turns_it_off(tmp_path):
  """dcgan_mnist samples with latents truncated to [-2.5, 2.5]: restoring it for evaluation
  or sampling (truncation unset) keeps that, truncation=0 draws untruncated N(0, I), and the
  samples drawn follow: unset equals an explicit 2.5, and 0 differs from both."""
  from genjax.train.restore import restore
  trainer.train(embedded_smoke("dcgan_mnist"), str(tmp_path))
  drawn, samples = {}, {}
  for t in (None, 2.5, 0.0, 1.5):
    run, _, state = restore(str(tmp_path), truncation=t)
    drawn[t] = run.method.protocol["latents_drawn_from"]
    samples[t] = np.asarray(run.samples(state, 64, 0))
  assert drawn == {None: "N(0, I) truncated to [-2.5, 2.5] per coordinate",
                   2.5: "N(0, I) truncated to [-2.5, 2.5] per coordinate", 0.0: "N(0, I)",
                   1.5: "N(0, I) truncated to [-1.5, 1.5] per coordinate"}
  np.testing.assert_array_equal(samples[None], samples[2.5])
  assert not np.allclose(samples[0.0], samples[2.5], atol=1e-4)


def test_truncation_leaves_the_training_step_alone():
  """A GAN's training draws N(0, I) whatever its sampling truncation: one compiled step from
  the same state and key gives the same state with truncation 0.3 as without."""
  from genjax.gan.method import build_parts
  after = []
  for truncation in (0.0, 0.3):
    config = load_config("gan_toy2d")
    config.model.truncation = truncation
    info = trainer.validate(config, 1)
    batches = gdata.Batches(gdata.load(config.data)["train"], 16, 0)
    c = parallel.Compiled(build_parts(config, info).method, gdata.make_preprocess(config.data, info),
                          parallel.make_mesh(jax.devices()[:1]), batches(0), batches.steps_per_epoch)
    state = c.init(jax.random.PRNGKey(0), batches(0))
    state, _ = c.train_step(state, c.put_batch(batches(0)), jax.random.PRNGKey(1), np.int32(0))
    after.append(jax.device_get(state))
  for a, b in zip(jax.tree.leaves(after[0]), jax.tree.leaves(after[1])):
    np.testing.assert_array_equal(a, b)


def test_mode_coverage_counts_modes_and_quality():
  modes = metrics.MIXTURES["toy2d/8gaussians"][0]()
  on_modes = np.repeat(modes[:5], 30, axis=0) + 0.01
  far = np.full((50, 2), 10.0)
  out = metrics.mode_coverage(np.concatenate([on_modes, far]), modes, 0.04)
  assert out["modes_covered"] == 5 and out["modes_total"] == 8
  np.testing.assert_allclose(out["high_quality_fraction"], 150 / 200)


@pytest.mark.parametrize("name", CONFIGS)
def test_smoke_config_trains(name, tmp_path):
  results = trainer.train(embedded_smoke(name), str(tmp_path))
  assert np.isfinite(results["d_real_logit"])
  assert (tmp_path / "checkpoints" / "4").exists() and (tmp_path / "samples" / "step_00000004.png").exists()
  assert list((tmp_path / "samples").glob("*.png"))


@pytest.mark.parametrize("field, value, match", [
    ("upsample", "bilinear", "one of subpixel, resize"),
    ("g_kernel", 0, "a positive kernel size"),
    ("d_dense", (0,), "a tuple of positive integers"),
    ("r1_weight", -1.0, "a non-negative weight"),
    ("r1_stride", 0, "a positive integer"),
    ("r1_every", 0, "a positive integer"),
    ("truncation", -0.5, "0 .no truncation. or a positive bound on .z."),
])
def test_bad_gan_fields_are_named_before_anything_is_built(field, value, match):
  from genjax.errors import ConfigError
  from genjax.gan.method import validate
  config = load_config("dcgan_mnist")
  config.model[field] = value
  with pytest.raises(ConfigError, match=f"model.{field}.*{match}"):
    validate(config, gdata.INFOS["mnist"])
