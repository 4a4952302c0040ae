"""Flows against exact references: every bijector and every composed flow inverts and its
log-determinant is slogdet of the jax.jacfwd Jacobian (float64); a 2-D flow's density
integrates to 1; actnorm standardises its init batch; the LU 1x1 convolution's log-det is
the dense matrix's; the toy 2-D densities are the generators' own."""
import dataclasses
import math
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from jax.sharding import PartitionSpec as P
from PIL import Image

from genjax import data as gdata
from genjax import evaluation
from genjax.data import toy2d
from genjax.flows import bijectors as bj
from genjax.errors import ConfigError
from genjax.flows import dequantization, flows, method as flow_method, splines
from genjax.train import images, parallel, trainer
from genjax.train.method import AXIS
from tests.conftest import embedded_smoke, load_config


def perturbed(params, key, scale):
  """Parameters moved off their (often identity) initialisation, so a wrong log-det or
  inverse cannot hide behind zeros."""
  leaves, tree = jax.tree.flatten(params)
  keys = jax.random.split(key, len(leaves))
  return jax.tree.unflatten(tree, [p + scale * jax.random.normal(k, p.shape, p.dtype) for p, k in zip(leaves, keys)])


def jacobian_log_dets(f, x):
  """log|det J| of f at each example by jax.jacfwd and slogdet, the exact reference."""
  def one(xi):
    jac = jax.jacfwd(lambda v: f(v[None])[0].reshape(-1))(xi)
    return jnp.linalg.slogdet(jac.reshape(jac.shape[0], -1))[1]
  return jax.jit(jax.vmap(one))(x)


def unit_images(key, shape, n=2):
  return jax.random.uniform(key, (n,) + shape, minval=0.02, maxval=0.98)


BIJECTORS = {
    "logit": (lambda: bj.Logit(0.05), "images"),
    "actnorm": (bj.ActNorm, "images"),
    "scaling": (bj.Scaling, "vectors"),
    "invconv_1x1": (lambda: bj.InvConv1x1(3), "channels"),
    "squeeze": (bj.Squeeze, "images"),
    "flatten": (lambda: bj.Flatten((4, 4, 2)), "images"),
    "reverse": (bj.Reverse, "vectors"),
    "additive_coupling": (lambda: bj.AdditiveCoupling("alternate", 1, 16, 1), "vectors"),
    "affine_coupling_checkerboard": (lambda: bj.AffineCoupling("checkerboard", 1, 8, 1), "images"),
    "affine_coupling_channel": (lambda: bj.AffineCoupling("channel", 0, 8, 1), "images"),
    "spline_coupling_vector": (lambda: bj.SplineCoupling("alternate", 0, 16, 1, 5, 2.0), "vectors"),
    "spline_coupling_channel": (lambda: bj.SplineCoupling("channel", 1, 8, 1, 4, 1.5), "channels"),
    "maf": (lambda: bj.MAF((16,)), "vectors"),
    "iaf": (lambda: bj.MAF((16,), reverse=True), "vectors"),
}


def example_input(kind, key):
  if kind == "images":
    return unit_images(key, (4, 4, 2))
  if kind == "channels":
    return jax.random.normal(key, (2, 2, 2, 4))
  return jax.random.normal(key, (3, 6))


def check_inverse_and_log_det(layer, x, scale=0.3, log_det_atol=1e-8, inverse_atol=1e-10):
  """In float64, with perturbed parameters: inverse(forward(x)) == x, forward's log-det ==
  slogdet(jacfwd), inverse's log-det == -forward's."""
  params = perturbed(layer.init(jax.random.PRNGKey(0), x), jax.random.PRNGKey(1), scale)
  f = lambda v: layer.apply(params, v)
  z, log_det = f(x)
  x_back, inverse_log_det = layer.apply(params, z, inverse=True)
  np.testing.assert_allclose(x_back, x, atol=inverse_atol, rtol=0)
  np.testing.assert_allclose(log_det, jacobian_log_dets(f, x), atol=log_det_atol, rtol=1e-10)
  np.testing.assert_allclose(inverse_log_det, -log_det, atol=log_det_atol, rtol=1e-10)
  return params


@pytest.mark.parametrize("name", sorted(BIJECTORS))
def test_every_bijector_inverts_and_its_log_det_is_the_jacobians(name):
  make, kind = BIJECTORS[name]
  with jax.enable_x64(True):
    x = example_input(kind, jax.random.PRNGKey(3)).astype(jnp.float64)
    check_inverse_and_log_det(make(), x)


def tiny_flow_config(arch, data="mnist_like", levels=2):
  c = load_config("realnvp_mnist")
  c.model.arch, c.model.width, c.model.depth, c.model.steps, c.model.levels = arch, 8, 1, 2, levels
  c.model.bins, c.model.bound, c.model.logit_alpha = 4, 2.0, 0.05
  c.data.name, c.data.dequantize = data, not data.startswith("toy2d/")
  return c


COMPOSED = [("nice", "images"), ("realnvp", "images"), ("glow", "images"), ("spline", "images"),
            ("maf", "images"), ("iaf", "images"), ("realnvp", "points"), ("maf", "points"),
            ("spline", "points")]


def composed_flow(arch, kind):
  """The method's own stack for a tiny config on 8x8x1 images or 2-D points."""
  c = tiny_flow_config(arch, "mnist_like" if kind == "images" else "toy2d/rings")
  info = gdata.info(c.data.name)
  if kind == "images":
    info = dataclasses.replace(info, shape=(8, 8, 1))
  return flows.Chain(flow_method.layers(c, info)), info


@pytest.mark.parametrize("arch,kind", COMPOSED)
def test_every_composed_flow_inverts_and_its_log_det_is_the_jacobians(arch, kind):
  """The configs' stacks (logit, squeezes, factor-out, actnorm, 1x1 convolutions, couplings,
  MADE layers) as the method composes them."""
  flow, info = composed_flow(arch, kind)
  with jax.enable_x64(True):
    key = jax.random.PRNGKey(5)
    x = (unit_images(key, tuple(info.shape)) if kind == "images" else jax.random.normal(key, (3, 2))).astype(jnp.float64)
    check_inverse_and_log_det(flow, x, scale=0.1, log_det_atol=1e-6, inverse_atol=1e-7)


@pytest.mark.parametrize("arch,kind", COMPOSED)
def test_every_composed_flow_round_trips_in_float32(arch, kind):
  """At float32, as training runs: x -> z -> x within float32 tolerance, slightly trained-like
  (perturbed) parameters."""
  flow, info = composed_flow(arch, kind)
  key = jax.random.PRNGKey(6)
  x = unit_images(key, tuple(info.shape), 4) if kind == "images" else 2 * jax.random.normal(key, (4, 2))
  params = perturbed(flow.init(jax.random.PRNGKey(0), x), jax.random.PRNGKey(1), 0.02)
  z, _ = flow.apply(params, x)
  np.testing.assert_allclose(flow.apply(params, z, inverse=True)[0], x, atol=2e-4, rtol=1e-4)


@pytest.mark.parametrize("arch", ["realnvp", "maf", "spline"])
def test_a_2d_flows_density_integrates_to_one_on_a_fine_grid(arch):
  """sum over a 3 000 x 3 000 grid on [-30, 30]^2 of p(x) dx = 1: the change of variables
  (base density and log-det together) is a normalised density, for perturbed parameters
  (under which MAF puts 2% of its mass beyond |x| = 9)."""
  flow, _ = composed_flow(arch, "points")
  params = perturbed(flow.init(jax.random.PRNGKey(0), jax.random.normal(jax.random.PRNGKey(2), (64, 2))),
                     jax.random.PRNGKey(1), 0.1)["params"]
  g = np.linspace(-30, 30, 3001)
  points = jnp.asarray(np.stack(np.meshgrid(g, g), -1).reshape(-1, 2), jnp.float32)
  log_p = jax.jit(lambda x: flows.log_prob(flow, params, x))(points)
  mass = float(np.exp(np.asarray(log_p, np.float64)).sum() * (g[1] - g[0]) ** 2)
  assert abs(mass - 1.0) < 1e-3, mass


def test_actnorm_standardises_each_channel_of_the_batch_it_is_initialised_on():
  """Data-dependent initialisation: the init batch comes out with zero mean, unit variance
  per channel, also deep inside a composed flow (Glow's first actnorm after a squeeze)."""
  x = 3.0 + 2.0 * jax.random.normal(jax.random.PRNGKey(0), (32, 4, 4, 3)) * jnp.array([1.0, 0.1, 5.0])
  layer = bj.ActNorm()
  z, _ = layer.apply(layer.init(jax.random.PRNGKey(1), x), x)
  np.testing.assert_allclose(z.mean((0, 1, 2)), 0.0, atol=1e-5)
  np.testing.assert_allclose(z.std((0, 1, 2)), 1.0, atol=1e-4)
  flow = flows.Chain([bj.Logit(0.05), bj.Squeeze(), bj.ActNorm()])
  images = 0.5 * unit_images(jax.random.PRNGKey(2), (8, 8, 1), 16)     # logit's mean far from 0
  params = flow.init(jax.random.PRNGKey(1), images)
  inner = flows.Chain([bj.Logit(0.05), bj.Squeeze()]).apply({}, images)[0]
  out = flow.apply(params, images)[0]
  np.testing.assert_allclose(out.mean((0, 1, 2)), 0.0, atol=1e-5)
  np.testing.assert_allclose(out.std((0, 1, 2)), 1.0, atol=1e-4)
  assert float(jnp.abs(inner.mean((0, 1, 2))).max()) > 0.1    # the raw input was not standard


def test_lu_1x1_convolutions_log_det_is_the_dense_matrixs_slogdet_per_position():
  layer = bj.InvConv1x1(seed=7)
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 3, 5, 6))
  params = perturbed(layer.init(jax.random.PRNGKey(1), x), jax.random.PRNGKey(2), 0.2)["params"]
  p, _, _ = layer.constants(6)
  sign = np.sign(np.diag(layer.constants(6)[2]))
  w = bj.lu_weight(jnp.asarray(p), params["lower"], params["upper"], jnp.asarray(sign, jnp.float32), params["log_s"])
  z, log_det = layer.apply({"params": params}, x)
  np.testing.assert_allclose(z, jnp.einsum("bhwc,cd->bhwd", x, w), rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(log_det, 15 * jnp.linalg.slogdet(w)[1], rtol=1e-5, atol=1e-5)


def test_the_spline_is_the_identity_at_zero_parameters_and_outside_its_bound_and_monotone():
  x = jnp.linspace(-4.0, 4.0, 801)
  y, log_det = splines.rational_quadratic(x, jnp.zeros((801, 3 * 5 - 1)), 3.0)
  np.testing.assert_allclose(y, x, atol=1e-6)
  np.testing.assert_allclose(log_det, 0.0, atol=1e-6)
  params = 2.0 * jax.random.normal(jax.random.PRNGKey(0), (1, 14)) * jnp.ones((801, 1))
  y, _ = splines.rational_quadratic(x, params, 3.0)
  assert bool(jnp.all(jnp.diff(y) > 0))
  outside = jnp.abs(x) >= 3.0
  np.testing.assert_array_equal(y[outside], x[outside])


@pytest.mark.parametrize("name", ["8gaussians", "25gaussians", "rings", "checkerboard"])
def test_toy2d_closed_form_densities_are_the_generators_own(name):
  """Each closed-form density integrates to 1 and matches its generator: counts of 20 000
  samples in 10 x 10 cells against the density integrated over each cell (chi-square)."""
  g = np.linspace(-5, 5, 1001)
  centres = (g[:-1] + g[1:]) / 2
  pts = np.stack(np.meshgrid(centres, centres, indexing="ij"), -1).reshape(-1, 2).astype(np.float32)
  density = np.exp(np.asarray(toy2d.LOG_DENSITIES[name](jnp.asarray(pts)), np.float64)).reshape(1000, 1000)
  cell = (g[1] - g[0]) ** 2
  assert abs(density.sum() * cell - 1.0) < 3e-3
  expected = density.reshape(10, 100, 10, 100).sum((1, 3)).ravel() * cell * 20_000
  samples = toy2d.generate(name, 20_000, seed=1)
  observed = np.histogram2d(samples[:, 0], samples[:, 1], bins=[np.linspace(-5, 5, 11)] * 2)[0].ravel()
  keep = expected > 5
  chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
  assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3, chi2
  if name.endswith("gaussians"):   # well-separated modes: H = log K + log(2 pi e std^2), exactly enough
    k, std = (8, toy2d.EIGHT_GAUSSIANS_STD) if name == "8gaussians" else (25, toy2d.TWENTY_FIVE_GAUSSIANS_STD)
    h, se = toy2d.entropy(name)
    assert abs(h - (math.log(k) + math.log(2 * math.pi * math.e * std ** 2))) < 4 * se


def test_the_density_picture_draws_the_models_density_beside_the_datas_on_one_grid():
  """A model whose log_density is the data's own closed form gives two identical panels
  (same grid and scale); a model with one off-centre mode is drawn black at that mode (no
  flip or transpose)."""
  def picture(log_density, kind="8gaussians"):
    stub = types.SimpleNamespace(
        method=types.SimpleNamespace(log_density=lambda state, x: log_density(x)),
        config=types.SimpleNamespace(data=types.SimpleNamespace(name=f"toy2d/{kind}")))
    return evaluation.density_picture(stub, state=None)[..., 0]

  same = picture(toy2d.LOG_DENSITIES["8gaussians"])
  np.testing.assert_array_equal(same[:, :256], same[:, 260:])
  mode = jnp.array([1.5, -2.5])
  model = picture(lambda x: -((x - mode) ** 2).sum(1) / (2 * 0.1 ** 2))[:, :256]
  rows, cols = np.nonzero(model == 0)
  xy = np.stack([(cols + 0.5) / 256 * 9 - 4.5, 4.5 - (rows + 0.5) / 256 * 9], 1)
  # the top 0.5% of the grid, a disc of radius ~0.36 centred on the mode
  assert len(xy) > 0 and np.linalg.norm(xy - np.asarray(mode), axis=1).max() < 0.4
  np.testing.assert_allclose(xy.mean(0), mode, atol=0.05)


def test_an_image_flows_density_is_normalised_on_0_1_and_bounds_the_discrete_code_length():
  """The image path (logit transform with its log-det, then a flow) on a 1x2 image with 4
  levels per pixel: p integrates to 1 over [0, 1]^2; the method's bits_per_dim b is a code
  length, P(levels) = E_u[2^(-D b)] over the dequantisation noise u, so these sum to 1 over
  the 16 level pairs (a wrong D ln L term would scale the sum by a power of 4); and by Jensen
  E_u[b] is at least the exact -log2 P(levels) / D."""
  c = tiny_flow_config("nice")
  c.model.logit_alpha = 1e-4
  info = gdata.Info((1, 2, 1), 4, 0, ("train", "test"))
  method = flow_method.build(c, info)
  state = method.init(jax.random.PRNGKey(0), {"x": jnp.full((8, 1, 2, 1), 0.5)})
  state = state.replace(params=perturbed(state.params, jax.random.PRNGKey(1), 0.3))
  n = 400                                         # points per level per axis
  u = (np.arange(4 * n) + 0.5) / (4 * n)
  grid = np.stack(np.meshgrid(u, u, indexing="ij"), -1).reshape(-1, 1, 2, 1).astype(np.float32)
  metrics = jax.jit(method.eval_step)(state, {"x": jnp.asarray(grid)}, None)
  p = np.exp(-np.asarray(metrics["nll_nats"], np.float64))
  assert abs(p.mean() - 1.0) < 2e-3                # the unit square's area is 1
  bits = np.asarray(metrics["bits_per_dim"], np.float64).reshape(4, n, 4, n)
  prob = (2.0 ** (-2 * bits)).mean((1, 3))         # P(levels) of each level pair
  np.testing.assert_allclose(prob.sum(), 1.0, atol=2e-3)
  assert np.all(bits.mean((1, 3)) >= -np.log2(prob) / 2 - 1e-6)


CONFIGS = ["nice_mnist", "realnvp_mnist", "glow_mnist", "spline_flow_mnist", "maf_mnist",
           "realnvp_toy2d", "maf_toy2d", "spline_toy2d", "glow_cifar10"]


@pytest.mark.parametrize("name", CONFIGS)
def test_smoke_config_trains_to_a_finite_density_and_writes_samples(name, tmp_path):
  """Every config's smoke variant through the trainer on one device: a finite NLL, bits/dim
  its conversion with the dequantisation's D log 256 (images), kl_nats = NLL - entropy's
  per-point counterpart (2-D), and a sample picture."""
  c = embedded_smoke(name)
  results = trainer.train(c, str(tmp_path), mesh=parallel.make_mesh(jax.devices()[:1]))
  assert np.isfinite(results["nll_nats"])
  info = gdata.info(c.data.name)
  dims = math.prod(info.shape)
  if info.is_image:
    np.testing.assert_allclose(results["bits_per_dim"],
                               (results["nll_nats"] + dims * math.log(256)) / (dims * math.log(2)), rtol=1e-5)
  else:
    assert np.isfinite(results["kl_nats"]) and results["kl_nats"] > 0
  assert sorted(p.name for p in (tmp_path / "samples").glob("*.png")) == ["step_00000004.png"]
  if not info.is_image:     # experiments.sample draws the model's density beside the data's
    paths = evaluation.write_samples(str(tmp_path), 16, 0, str(tmp_path / "s"))
    assert paths[-1] == str(tmp_path / "s_density.png")
    picture = np.asarray(Image.open(paths[-1]))
    kind = c.data.name.split("/", 1)[1]
    data = images.density_image(np.asarray(toy2d.LOG_DENSITIES[kind](images.grid_points())))[..., 0]
    assert picture.shape == (256, 516)
    np.testing.assert_array_equal(picture[:, 260:], data)
    assert picture[:, :256].min() < 50 and (picture[:, :256] != data).any()


# --- Variational dequantisation (Flow++) --------------------------------------------------

def variational(c, width=8, steps=2):
  c.model.dequantization, c.data.dequantize = "variational", False
  c.model.dequantizer_width, c.model.dequantizer_steps = width, steps
  return c


def test_the_dequantizers_log_q_is_its_change_of_variables_and_it_inverts():
  """q(u | x) on 4x4x2 images, float64, perturbed parameters: eps -> u -> eps round trips,
  and log q(u | x) = log N(eps) - log|det du/deps| with the determinant by jax.jacfwd
  (sigmoid's log-det included), the same from the inverse direction."""
  deq = dequantization.Dequantizer(8, 3)
  with jax.enable_x64(True):
    keys = jax.random.split(jax.random.PRNGKey(7), 3)
    x = jax.random.randint(keys[0], (2, 4, 4, 2), 0, 4).astype(jnp.float64) / 3
    eps = jax.random.normal(keys[1], x.shape, jnp.float64)
    params = perturbed(deq.init(keys[2], x, eps), jax.random.PRNGKey(8), 0.3)
    u, log_q = deq.apply(params, x, eps)
    eps_back, log_q_back = deq.apply(params, x, u, inverse=True)
    np.testing.assert_allclose(eps_back, eps, atol=1e-9, rtol=0)
    jac = np.concatenate([jacobian_log_dets(lambda e, i=i: deq.apply(params, x[i:i + 1], e), eps[i:i + 1])
                          for i in range(2)])
    np.testing.assert_allclose(log_q, flows.standard_normal_log_prob(eps) - jac, atol=1e-8, rtol=1e-10)
    np.testing.assert_allclose(log_q_back, log_q, atol=1e-8, rtol=1e-10)
    assert np.all((u > 0) & (u < 1))


def test_variational_dequantisations_bound_is_its_integral_over_each_cell_and_bounds_the_mass():
  """A NICE flow with a learned q(u | x) (perturbed) on a 1x2 image with 4 levels, each of
  the 16 discrete images x owning a cell of [0, 1]^2. By quadrature on a grid of each cell:
  q(. | x) integrates to 1 (its inverse direction), the exact mass P(x) = integral of p over
  the cell, and the exact bound E_q[log p((x + u) / 4) - log q(u | x)]. The method's bits/dim,
  averaged over 2 000 draws u ~ q(u | x), equals that bound converted with D ln 4 (a wrong
  sign of log q, a missing term or a misplaced cell moves it), and is at least
  -log2 P(x) / D."""
  c = variational(tiny_flow_config("nice"))
  c.model.logit_alpha = 1e-4
  info = gdata.Info((1, 2, 1), 4, 0, ("train", "test"))
  method = flow_method.build(c, info)
  assert method.protocol["dequantization"] == "variational"   # every report says so
  levels = np.stack(np.meshgrid(range(4), range(4), indexing="ij"), -1).reshape(16, 1, 1, 2, 1)
  state = method.init(jax.random.PRNGKey(0), {"x": jnp.asarray(levels[:, 0] / 3.0),
                                              "levels": jnp.asarray(levels[:, 0], jnp.int32)})
  state = state.replace(params=perturbed(state.params, jax.random.PRNGKey(1), 0.3))
  n = 200
  u = (np.arange(n) + 0.5) / n
  grid = np.stack(np.meshgrid(u, u, indexing="ij"), -1).reshape(-1, 1, 2, 1)
  log_p = jax.jit(lambda y: method.log_density(state, y))
  log_q = jax.jit(lambda x, v: dequantization.Dequantizer(8, 2).apply(
      {"params": state.params["dequantizer"]}, jnp.broadcast_to(x, v.shape), v, inverse=True)[1])
  lp = np.stack([np.asarray(log_p(jnp.asarray((x + grid) / 4, jnp.float32)), np.float64) for x in levels])
  lq = np.stack([np.asarray(log_q(jnp.asarray(x / 3.0, jnp.float32), jnp.asarray(grid, jnp.float32)), np.float64)
                 for x in levels])
  np.testing.assert_allclose(np.exp(lq).mean(1), 1.0, atol=2e-3)
  mass = np.exp(lp).mean(1) / 16
  np.testing.assert_allclose(mass.sum(), 1.0, atol=2e-3)
  bound_bits = (-(np.exp(lq) * (lp - lq)).mean(1) + 2 * np.log(4)) / (2 * np.log(2))
  draws = 2_000
  batch = {"x": jnp.tile(levels[:, 0] / 3.0, (draws, 1, 1, 1)),
           "levels": jnp.tile(jnp.asarray(levels[:, 0], jnp.int32), (draws, 1, 1, 1))}
  eval_step = jax.jit(jax.shard_map(method.eval_step, mesh=parallel.make_mesh(jax.devices()[:1]),
                                    in_specs=(P(), P(AXIS), P()), out_specs=P(AXIS), check_vma=False))
  bits = np.asarray(eval_step(state, batch, jax.random.PRNGKey(2))["bits_per_dim"], np.float64).reshape(draws, 16)
  np.testing.assert_allclose(bits.mean(0), bound_bits, atol=4 * bits.std(0).max() / np.sqrt(draws))
  assert np.all(bound_bits >= -np.log2(mass) / 2)


def test_variational_dequantisation_needs_the_integer_images_and_images():
  """The data pipeline must not also add uniform noise; 2-D data has nothing to dequantise."""
  images_config = tiny_flow_config("glow")
  images_config.model.dequantization = "variational"             # data.dequantize still True
  points = variational(tiny_flow_config("realnvp", "toy2d/rings"))
  points.data.dequantize = False
  unknown = tiny_flow_config("glow")
  unknown.model.dequantization = "logistic"
  for c, field in ((images_config, "data.dequantize"), (points, "model.dequantization"),
                   (unknown, "model.dequantization")):
    with pytest.raises(ConfigError, match=field):
      flow_method.build(c, gdata.info(c.data.name))
