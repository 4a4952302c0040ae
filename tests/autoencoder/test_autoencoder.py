"""The autoencoder family: the seed's architecture, its loss, one step of every config."""
import glob
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import data as gdata
from genjax.autoencoder import ConvAutoencoder, MLPAutoencoder, reconstruction_loss
from genjax.train import parallel, trainer
from tests.conftest import REPO, embedded_smoke, load_config

CONFIGS = sorted(os.path.basename(p)[:-3] for p in glob.glob(str(REPO / "experiments/configs/ae_*.py")))


def test_mlp_is_the_keras_seed():
  net = MLPAutoencoder(latents=32, hidden=(), data_shape=(28, 28, 1))
  params = net.init(jax.random.PRNGKey(0), jnp.zeros((1, 28, 28, 1)))["params"]
  shapes = sorted(tuple(x.shape) for x in jax.tree.leaves(params))
  assert shapes == [(32,), (32, 784), (784,), (784, 32)]
  assert net.apply({"params": params}, jnp.zeros((3, 28, 28, 1))).shape == (3, 784)


@pytest.mark.parametrize("shape", [(8, 8, 1), (28, 28, 1), (32, 32, 3)])
def test_conv_reconstructs_the_input_shape(shape):
  net = ConvAutoencoder(latents=5, data_shape=shape)
  x = jnp.zeros((2,) + shape)
  out, _ = net.init_with_output(jax.random.PRNGKey(0), x)
  assert out.shape == x.shape


def test_bce_loss_is_the_summed_cross_entropy():
  rng = np.random.default_rng(0)
  logits, x = rng.normal(size=(4, 6)), rng.uniform(size=(4, 6))
  p = 1 / (1 + np.exp(-logits))
  expected = -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(-1)
  np.testing.assert_allclose(reconstruction_loss(jnp.asarray(logits), jnp.asarray(x), "bce"), expected, rtol=1e-5)
  np.testing.assert_allclose(reconstruction_loss(jnp.asarray(logits), jnp.asarray(x), "mse"),
                             ((p - x) ** 2).sum(-1), rtol=1e-5)


def test_train_step_follows_the_gradient_of_the_loss():
  config = load_config("ae_mlp_digits")
  config.optim.name, config.optim.lr, config.optim.b1 = "sgd", 0.01, 0.0
  info = trainer.validate(config, 1)
  method = trainer.build_method(config, info)
  batches = gdata.Batches(gdata.load(config.data)["train"], 16, 0)
  c = parallel.Compiled(method, gdata.make_preprocess(config.data, info),
                        parallel.make_mesh(jax.devices()[:1]), batches(0),
                        batches.steps_per_epoch)
  state = jax.device_get(c.init(jax.random.PRNGKey(0), batches(0)))
  x = np.asarray(batches(0)["x"], np.float32) / 16.0
  net = MLPAutoencoder(latents=16, hidden=(), data_shape=(8, 8, 1))
  loss = lambda p: reconstruction_loss(net.apply({"params": p}, x), x, "bce").mean()
  grads = jax.grad(loss)(state.params)
  expected = jax.tree.map(lambda p, g: p - 0.01 * g, state.params, grads)
  new, m = c.train_step(c.init(jax.random.PRNGKey(0), batches(0)), c.put_batch(batches(0)),
                        jax.random.PRNGKey(1), np.int32(0))
  np.testing.assert_allclose(float(m["loss"]), float(loss(state.params)), rtol=1e-5)
  for a, b in zip(jax.tree.leaves(jax.device_get(new.params)), jax.tree.leaves(expected)):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", CONFIGS)
def test_smoke_config_trains_evaluates_and_samples(name, tmp_path):
  results = trainer.train(embedded_smoke(name), str(tmp_path))
  assert np.isfinite(results["loss"]) and results["loss"] > 0
  assert (tmp_path / "checkpoints" / "4").exists()
  assert list((tmp_path / "samples").glob("*.png"))
