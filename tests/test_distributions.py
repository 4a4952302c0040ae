"""Log-densities against closed forms and the library they replace."""
import jax
import jax.numpy as jnp
import numpy as np
import optax

from genjax.distributions import bernoulli_log_prob


def test_bernoulli_log_prob_matches_closed_form_and_optax_even_for_extreme_logits():
  logits = jnp.array([-200.0, -30.0, -2.0, 0.0, 0.5, 30.0, 200.0])
  for x in (0.0, 1.0, 0.3):
    xs = jnp.full_like(logits, x)
    got = bernoulli_log_prob(logits, xs)
    np.testing.assert_allclose(got, -optax.sigmoid_binary_cross_entropy(logits, xs), rtol=1e-6, atol=1e-6)
    assert np.all(np.isfinite(got))
  l = np.array([-2.0, 0.0, 0.5])
  p = 1 / (1 + np.exp(-l))
  np.testing.assert_allclose(bernoulli_log_prob(l, np.array([1.0, 0.0, 1.0])),
                             [np.log(p[0]), np.log(1 - p[1]), np.log(p[2])], rtol=1e-6)


def test_bernoulli_log_prob_gradient_is_x_minus_sigmoid():
  logits = jnp.array([-40.0, -1.0, 0.0, 2.0, 40.0])
  x = jnp.array([1.0, 0.0, 0.5, 1.0, 0.0])
  grad = jax.grad(lambda l: bernoulli_log_prob(l, x).sum())(logits)
  np.testing.assert_allclose(grad, x - jax.nn.sigmoid(logits), atol=1e-6)
