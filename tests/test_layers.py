"""genjax.layers.Pointwise: flax's Dense in every respect but how XLA compiles its kernel's
gradient."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax.layers import Pointwise, pointwise, transposed_kernel_dot

X_SHAPE = (3, 5, 4, 6)   # (B, H, W, C): a 1x1 convolution's input


def both(features=7):
  """nn.Dense and Pointwise initialised from one key, and an input."""
  x = jax.random.normal(jax.random.PRNGKey(1), X_SHAPE)
  dense, point = nn.Dense(features), Pointwise(features)
  params = dense.init(jax.random.PRNGKey(0), x)
  return dense, point, params, x


def test_pointwise_has_dense_parameters_outputs_and_both_modes_of_derivatives():
  """Same parameter tree (names, shapes, initial values), same output, same reverse-mode
  gradients and the same forward-mode tangents: a drop-in for nn.Dense, checkpoints included."""
  dense, point, params, x = both()
  p_params = point.init(jax.random.PRNGKey(0), x)
  assert jax.tree.structure(p_params) == jax.tree.structure(params)
  for a, b in zip(jax.tree.leaves(p_params), jax.tree.leaves(params)):
    np.testing.assert_array_equal(a, b)
  np.testing.assert_allclose(point.apply(params, x), dense.apply(params, x), rtol=1e-6, atol=1e-6)

  w = jax.random.normal(jax.random.PRNGKey(2), X_SHAPE[:-1] + (7,))
  loss = lambda m: (lambda p, x: jnp.sum(w * jnp.tanh(m.apply(p, x))))
  for a, b in zip(jax.tree.leaves(jax.grad(loss(point), argnums=(0, 1))(params, x)),
                  jax.tree.leaves(jax.grad(loss(dense), argnums=(0, 1))(params, x))):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)

  tangents = jax.tree.map(lambda v: jnp.cos(jnp.arange(v.size, dtype=v.dtype)).reshape(v.shape), (params, x))
  _, t_point = jax.jvp(point.apply, (params, x), tangents)
  _, t_dense = jax.jvp(dense.apply, (params, x), tangents)
  np.testing.assert_allclose(t_point, t_dense, rtol=1e-5, atol=1e-5)


def test_pointwise_computes_in_the_dtype_dense_computes_in():
  """bfloat16 compute (flax promotes inputs and kernel before the product, as mixed-precision
  training asks): Pointwise's output has nn.Dense's dtype and values."""
  _, _, params, x = both()
  dense, point = nn.Dense(7, dtype=jnp.bfloat16), Pointwise(7, dtype=jnp.bfloat16)
  y_point, y_dense = point.apply(params, x), dense.apply(params, x)
  assert y_point.dtype == y_dense.dtype == jnp.bfloat16
  np.testing.assert_allclose(np.float32(y_point), np.float32(y_dense), rtol=2e-2, atol=2e-2)


def test_pointwise_of_a_built_kernel_is_its_product_at_every_position():
  """pointwise(x, w) (Glow's LU-built 1x1 convolution) is x @ w, gradients included."""
  x = jax.random.normal(jax.random.PRNGKey(3), X_SHAPE)
  w = jax.random.normal(jax.random.PRNGKey(4), (6, 6))
  np.testing.assert_allclose(pointwise(x, w), x @ w, rtol=1e-5, atol=1e-5)
  g_built = jax.grad(lambda w: jnp.sum(jnp.sin(pointwise(x, w))))(w)
  g_plain = jax.grad(lambda w: jnp.sum(jnp.sin(x @ w)))(w)
  np.testing.assert_allclose(g_built, g_plain, rtol=1e-4, atol=1e-4)


def top_level_dots(module, params, x):
  """The dot instructions of the compiled gradient's entry computation: products XLA's CPU
  backend runs itself, outside a library (YNNPACK) fusion."""
  grad = jax.jit(jax.grad(lambda p, x: jnp.sum(module.apply(p, x) ** 2)))
  text = grad.lower(params, x).compile().as_text()
  return [line for line in text[text.index("ENTRY"):].splitlines() if " dot(" in line]


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="XLA's CPU backend's choice")
def test_pointwise_kernel_gradient_runs_in_the_library_fusion_where_dense_does_not():
  """The reason Pointwise exists: nn.Dense's kernel gradient over an image compiles to a
  product XLA runs itself (a dot instruction of the entry computation) with the pixels as its
  leading contracted axis (5x slower than the forward product on a W4 layer); Pointwise's
  leaves no such dot: its products are inside library fusions. Compiled as the tests compile
  (conftest.py); the binaries' W4 and glow profiles show the same. If XLA stops producing the
  slow form for nn.Dense, the first assertion says so and Pointwise can go."""
  dense, point, params, x = both()
  slow = top_level_dots(dense, params, x)
  assert slow and all("lhs_contracting_dims={0}" in line for line in slow), slow
  assert top_level_dots(point, params, x) == []


def test_transposed_kernel_dot_refuses_other_contractions():
  """It serves Dense's x @ kernel only: another contraction, or a kernel that is not a matrix
  (whose .T would reverse every axis), is one clear error, not a wrong product."""
  with pytest.raises(ValueError, match="contracts x's last axis"):
    transposed_kernel_dot(jnp.ones((2, 3)), jnp.ones((2, 4)), (((0,), (0,)), ((), ())))
  with pytest.raises(ValueError, match="kernel of shape"):
    transposed_kernel_dot(jnp.ones((2, 3)), jnp.ones((3, 4, 5)), (((1,), (0,)), ((), ())))
