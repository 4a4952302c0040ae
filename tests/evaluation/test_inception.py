"""The optional standard-FID path: the converter's names match the Flax Inception-v3, and the
loader checks every variable before anything runs."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import traverse_util

from experiments.reference.convert_inception import convert
from genjax.errors import InputError
from genjax.evaluation import inception


def torch_named(variables):
  """The state dict pytorch-fid's weights file would hold for these variables."""
  out = {"fc.weight": np.zeros((1008, 2048)), "AuxLogits.conv0.conv.weight": np.zeros(1)}
  back = {"scale": "weight", "bias": "bias", "mean": "running_mean", "var": "running_var"}
  for path, a in traverse_util.flatten_dict(variables).items():
    module, name = ".".join(path[1:-1]), path[-1]
    if name == "kernel":
      out[f"{module}.weight"] = np.asarray(a).transpose(3, 2, 0, 1)
    else:
      out[f"{module}.{back[name]}"] = np.asarray(a)
      out[f"{module}.num_batches_tracked"] = np.zeros(())
  return out


def test_converted_weights_load_and_give_the_networks_features(tmp_path):
  net = inception.InceptionV3()
  # The variables' shapes without compiling the network's init; kernels drawn as its
  # (LeCun normal) init draws them, and non-trivial BatchNorm statistics, so that a swapped
  # mean/var would show.
  shapes = jax.eval_shape(net.init, jax.random.PRNGKey(0), jnp.zeros((1, 299, 299, 3)))
  rng = np.random.default_rng(0)
  fill = {"kernel": lambda s: rng.normal(0, 1 / np.sqrt(np.prod(s[:-1])), s), "scale": np.ones,
          "bias": np.zeros, "mean": lambda s: rng.normal(0, 0.1, s), "var": lambda s: rng.uniform(0.5, 2.0, s)}
  flat = {k: fill[k[-1]](v.shape) for k, v in traverse_util.flatten_dict(shapes).items()}
  variables = traverse_util.unflatten_dict({k: jnp.asarray(v, jnp.float32) for k, v in flat.items()})
  path = tmp_path / "inception.npz"
  np.savez(path, **convert(torch_named(variables)))
  loaded = inception.load_weights(str(path))
  x = rng.integers(0, 256, (2, 28, 28, 1)).astype(np.uint8)
  feats = inception.make_features(loaded)(x)
  assert feats.shape == (2, 2048)
  img = jax.image.resize(jnp.repeat(x.astype(np.float32) / 255.0, 3, -1), (2, 299, 299, 3), "bilinear")
  np.testing.assert_allclose(feats, jax.jit(net.apply)(variables, 2 * img - 1), rtol=1e-4, atol=1e-5)


def test_incomplete_weights_are_refused_in_one_line(tmp_path):
  path = tmp_path / "bad.npz"
  np.savez(path, **{"params/Conv2d_1a_3x3/conv/kernel": np.zeros((3, 3, 3, 32))})
  with pytest.raises(InputError, match="missing"):
    inception.load_weights(str(path))
