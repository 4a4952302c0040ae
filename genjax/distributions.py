"""Log-densities shared across families, written for speed on XLA's CPU backend too."""
import jax
import jax.numpy as jnp


@jax.custom_jvp
def softplus(x):
  """log(1 + e^x), stable for any x: max(x, 0) + log1p(e^-|x|).

  jax.nn.softplus (logaddexp) compiles to a much slower kernel on XLA's CPU backend; this
  form is ~4x faster there. Its derivative is given exactly (sigmoid), because the two
  kinked pieces would otherwise each report a one-sided derivative at x = 0.
  """
  return jnp.maximum(x, 0.0) + jnp.log1p(jnp.exp(-jnp.abs(x)))


softplus.defjvps(lambda g, ans, x: g * jax.nn.sigmoid(x))


def bernoulli_log_prob(logits, x):
  """log Bernoulli(x | sigmoid(logits)) = x l - softplus(l), elementwise.

  x may be fractional, making this the negative binary cross-entropy. Equals
  -optax.sigmoid_binary_cross_entropy, which is ~4.5x slower on XLA's CPU backend (value and
  gradient over a 256x784 batch: ~0.26 ms vs ~1.2 ms on this project's 2-core machine).
  """
  return logits * x - softplus(logits)
