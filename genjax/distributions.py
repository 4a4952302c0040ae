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


def log_sigmoid(x):
  return -softplus(-x)


def normal_log_prob(z, mean, log_var):
  """log N(z | mean, diag(exp(log_var))), summed over the last axis."""
  return -0.5 * jnp.sum(jnp.log(2 * jnp.pi) + log_var + jnp.square(z - mean) * jnp.exp(-log_var), -1)


def standard_normal_log_prob(z):
  return -0.5 * jnp.sum(jnp.log(2 * jnp.pi) + jnp.square(z), -1)


def gaussian_kl_to_standard(mean, log_var):
  """KL(N(mean, diag(exp(log_var))) || N(0, I)), in closed form, summed over the last axis."""
  return 0.5 * jnp.sum(jnp.square(mean) + jnp.exp(log_var) - 1.0 - log_var, -1)


def discretized_logistic_log_prob(x, mean, log_scale, num_levels):
  """log P(x) for x on num_levels evenly spaced levels in [-1, 1] (bin centres), under a
  logistic(mean, exp(log_scale)) discretised into those bins; the edge bins take the tails
  (Salimans et al. 2017, one mixture component). Sums to 1 over the levels exactly."""
  half_bin = 1.0 / (num_levels - 1)
  inv_scale = jnp.exp(-log_scale)
  centred = x - mean
  plus, minus = inv_scale * (centred + half_bin), inv_scale * (centred - half_bin)
  log_cdf_plus = log_sigmoid(plus)                  # lowest bin: P(X <= x + half)
  log_one_minus_cdf_minus = -softplus(minus)        # highest bin: P(X > x - half)
  cdf_delta = jax.nn.sigmoid(plus) - jax.nn.sigmoid(minus)
  # Where the bin mass underflows, use the density at the centre times the bin width.
  mid = inv_scale * centred
  log_pdf_mid = mid - log_scale - 2.0 * softplus(mid)
  log_mid = jnp.where(cdf_delta > 1e-5, jnp.log(jnp.maximum(cdf_delta, 1e-12)),
                      log_pdf_mid + jnp.log(2.0 * half_bin))
  return jnp.where(x < -1.0 + half_bin, log_cdf_plus,
                   jnp.where(x > 1.0 - half_bin, log_one_minus_cdf_minus, log_mid))
