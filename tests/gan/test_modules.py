"""GAN networks: spectral norm against numpy's SVD, sub-pixel upsampling, conditioning,
BatchNorm's standing statistics, and the 8-device step equal to the 1-device step."""
import jax
import jax.numpy as jnp
import numpy as np

from genjax import data as gdata
from genjax.gan.method import build_parts, make_networks
from genjax.gan.modules import ConvDiscriminator, ConvGenerator, MLPDiscriminator, Upsample, depth_to_space
from genjax.train import parallel, trainer
from tests.conftest import load_config


def test_spectral_norm_estimate_converges_to_the_largest_singular_value():
  d = MLPDiscriminator(hidden=(7,), spectral_norm=True)
  x = jnp.ones((2, 5))
  variables = d.init(jax.random.PRNGKey(0), x)
  kernel = np.asarray(variables["params"]["Dense_0"]["kernel"], np.float64)
  top = np.linalg.svd(kernel, compute_uv=False)[0]
  stats = variables["batch_stats"]
  for _ in range(200):          # one power iteration per call with update_stats=True
    _, new = d.apply({**variables, "batch_stats": stats}, x, update_stats=True, mutable=["batch_stats"])
    stats = new["batch_stats"]
  sigma = float(stats["SpectralNorm_0"]["Dense_0/kernel/sigma"])
  np.testing.assert_allclose(sigma, top, rtol=1e-4)
  # The layer then computes with kernel / sigma, whose largest singular value is 1.
  first = lambda h: h @ (kernel / sigma)
  np.testing.assert_allclose(np.linalg.svd(first(np.eye(5)), compute_uv=False)[0], 1.0, rtol=1e-4)
  # Without update_stats, the stored vectors stay as they are.
  _, same = d.apply({**variables, "batch_stats": stats}, x, mutable=["batch_stats"])
  assert float(same["batch_stats"]["SpectralNorm_0"]["Dense_0/kernel/sigma"]) == sigma


def test_depth_to_space_places_channel_groups_as_pixel_offsets():
  h = np.arange(2 * 3 * 4 * 8).reshape(2, 3, 4, 8)       # 8 channels = 2x2 offsets of 2
  out = np.asarray(depth_to_space(jnp.asarray(h)))
  assert out.shape == (2, 6, 8, 2)
  for i in range(2):
    for j in range(2):
      np.testing.assert_array_equal(out[:, i::2, j::2], h[..., (2 * i + j) * 2:(2 * i + j + 1) * 2])


def test_resize_upsampling_has_no_checkerboard_and_sub_pixel_does():
  # A constant image upsampled: a resize-convolution (one kernel over the nearest-neighbour
  # image) gives one value at every interior pixel; a sub-pixel convolution gives each of
  # the four phases of a 2x2 block its own kernel, so its output alternates (checkerboard).
  h = jnp.full((1, 8, 8, 2), 0.7, jnp.float32)
  for kind, flat in (("resize", True), ("subpixel", False)):
    up = Upsample(3, kernel=3, kind=kind)
    out = np.asarray(up.apply(up.init(jax.random.PRNGKey(0), h), h))
    assert out.shape == (1, 16, 16, 3)
    inner = out[0, 2:14, 2:14]
    assert np.allclose(inner, inner[:1, :1], atol=1e-5) == flat, kind
  assert Upsample(4, kernel=3).init(jax.random.PRNGKey(0), h)["params"]["Conv_0"]["kernel"].shape == (3, 3, 2, 16)


def test_the_projection_discriminator_adds_a_term_linear_in_the_label_embedding():
  # logit = psi(phi) + <embed(y), phi>: zeroing the embedding leaves psi(phi), doubling it
  # doubles the difference, and the difference depends on the label.
  d = ConvDiscriminator(widths=(4, 8), num_classes=3)
  x = jax.random.normal(jax.random.PRNGKey(1), (6, 8, 8, 1))
  label = jnp.array([0, 1, 2, 0, 1, 2])
  params = d.init(jax.random.PRNGKey(0), x, label)["params"]
  with_embedding = lambda scale: d.apply({"params": {**params, "projection": {
      "embedding": scale * params["projection"]["embedding"]}}}, x, label)
  base, one, two = with_embedding(0.0), with_embedding(1.0), with_embedding(2.0)
  np.testing.assert_allclose(d.apply({"params": params}, x, label), one, rtol=1e-6)
  np.testing.assert_allclose(two - base, 2 * (one - base), rtol=1e-4, atol=1e-5)
  assert np.all(np.abs(np.asarray(one - base)) > 0)
  other = d.apply({"params": params}, x, (label + 1) % 3)
  assert not np.allclose(other, one)


def test_conditional_generator_depends_on_the_label_and_samples_are_per_example():
  config = load_config("cgan_mnist")
  config.data.name = "mnist_like"
  config.model.g_hidden, config.model.d_hidden = (8, 4), (4, 8)
  info = trainer.validate(config, 1)
  method = build_parts(config, info).method
  batches = gdata.Batches(gdata.load(config.data)["train"], 16, 0)
  c = parallel.Compiled(method, gdata.make_preprocess(config.data, info),
                        parallel.make_mesh(jax.devices()[:1]), batches(0), batches.steps_per_epoch)
  state = c.init(jax.random.PRNGKey(0), batches(0))
  key = jax.random.PRNGKey(2)
  zeros, threes = (method.sample(state, key, 5, jnp.full((5,), k)) for k in (0, 3))
  assert zeros.shape == (5, 28, 28, 1) and not np.allclose(zeros, threes)
  # BatchNorm uses standing statistics when sampling, so a sample does not depend on the others
  # in its batch: G(z) row by row equals G on the whole batch.
  gen = make_networks(config, info)[0]
  z = jax.random.normal(key, (6, config.model.latents))
  labels = jnp.arange(6)
  _, stats = gen.apply({"params": state.g_ema}, z, labels, train=True, mutable=["batch_stats"])
  variables = {"params": state.g_ema, **stats}
  whole = gen.apply(variables, z, labels, train=False)
  rows = jnp.concatenate([gen.apply(variables, z[i:i + 1], labels[i:i + 1], train=False) for i in range(6)])
  np.testing.assert_allclose(whole, rows, rtol=1e-5, atol=1e-6)


def run_steps(config, mesh, n=2):
  info = trainer.validate(config, mesh.size)
  method = trainer.build_method(config, info)
  batches = gdata.Batches(gdata.load(config.data)["train"], config.batch_size, 0)
  c = parallel.Compiled(method, gdata.make_preprocess(config.data, info), mesh, batches(0),
                        batches.steps_per_epoch)
  state = c.init(jax.random.PRNGKey(0), batches(0))
  losses = []
  for step in range(n):
    state, m = c.train_step(state, c.put_batch(batches(step)), jax.random.PRNGKey(5), np.int32(step))
    losses.append((float(m["loss"]), float(m["g_loss"])))
  return jax.device_get(state), losses


def test_conditional_dcgan_with_batchnorm_and_spectral_norm_on_eight_devices_equals_one():
  # Noise is drawn for the global batch and sliced, BatchNorm's statistics are the global
  # batch's, and losses are device means: the step is independent of the device count.
  config = load_config("cgan_mnist")
  config.data.name = "mnist_like"
  config.model.g_hidden, config.model.d_hidden = (8, 4), (4, 8)
  config.model.loss, config.model.spectral_norm = "wgan-gp", True
  config.model.g_dense, config.model.d_dense = (16,), (16,)
  config.model.r1_weight, config.model.r1_stride = 1.0, 2     # row 0 of each device's 2
  # SGD, not Adam: Adam scales a gradient that is 0 up to float round-off (here D's FC bias,
  # whose real and fake terms cancel) to a full step of either sign, which would compare
  # the order of float sums, not the step.
  config.optim.name = config.d_optim.name = "sgd"
  config.optim.lr = config.d_optim.lr = 0.05
  config.batch_size = 16
  s8, l8 = run_steps(config, parallel.make_mesh())
  s1, l1 = run_steps(config, parallel.make_mesh(jax.devices()[:1]))
  np.testing.assert_allclose(l8, l1, rtol=1e-4, atol=1e-6)
  for a, b in zip(jax.tree.leaves(s8), jax.tree.leaves(s1)):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_dcgan_networks_for_32x32_colour_images():
  g, d = ConvGenerator((32, 32, 3), (16, 8)), ConvDiscriminator((8, 16), spectral_norm=True)
  z = jnp.ones((2, 100))
  gv = g.init(jax.random.PRNGKey(0), z)
  x, _ = g.apply(gv, z, train=True, mutable=["batch_stats"])
  assert x.shape == (2, 32, 32, 3)
  assert gv["params"]["Dense_0"]["kernel"].shape == (100, 8 * 8 * 16)
  dv = d.init(jax.random.PRNGKey(0), x)
  assert d.apply(dv, x).shape == (2,)


def test_dense_layers_give_the_discriminator_a_nonlinear_view_of_the_whole_image():
  # Without dense layers D's logit is a sum over the 7x7 positions of terms each reading one
  # patch, so the effect of changing two far-apart patches together is the sum of changing
  # each alone; a dense layer breaks that additivity.
  x = jnp.asarray(np.random.default_rng(0).normal(size=(1, 28, 28, 1)), jnp.float32)
  a, b = x.at[:, :6, :6].add(1.0), x.at[:, 22:, 22:].add(1.0)
  both = x.at[:, :6, :6].add(1.0).at[:, 22:, 22:].add(1.0)
  for dense, additive in (((), True), ((32,), False)):
    d = ConvDiscriminator((4, 8), dense=dense)
    v = d.init(jax.random.PRNGKey(1), x)
    f = lambda y: float(d.apply(v, y)[0])
    interaction = f(both) - f(a) - f(b) + f(x)
    assert (abs(interaction) < 1e-5) == additive, (dense, interaction)
  g = ConvGenerator((28, 28, 1), (8, 4), dense=(16,), upsample="resize", kernel=3)
  gv = g.init(jax.random.PRNGKey(0), jnp.ones((2, 100)))
  assert gv["params"]["Dense_0"]["kernel"].shape == (100, 16)
  assert gv["params"]["Dense_1"]["kernel"].shape == (16, 7 * 7 * 8)
