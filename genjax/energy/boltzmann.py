"""The fully visible Boltzmann machine (Ackley, Hinton & Sejnowski 1985) on a few binary units,
small enough (n <= 20) that log Z, the log-likelihood and its gradient are exact sums over
all 2^n states.

  E(x) = -b.x - 1/2 x'Wx,   W symmetric with zero diagonal,   p(x) = exp(-E(x)) / Z,
  d log p(x) / dW_ij = x_i x_j - E_p[x_i x_j],   d log p(x) / db_i = x_i - E_p[x_i].
Parameters are {'W': (n, n), 'b': (n,)}; `couplings` symmetrises W and zeroes its diagonal,
so any (n, n) array is a valid parameter and the gradient lands on the free entries.
"""
import jax
import jax.numpy as jnp

from genjax.energy import rbm

MAX_UNITS = 20


def init(key, n: int, data_mean=None, scale: float = 0.01):
  """Small random couplings; biases logit(p) of the data's marginals (zero without them)."""
  b = jnp.zeros(n) if data_mean is None else rbm.base_rate_bias(data_mean)
  return {"W": scale * jax.random.normal(key, (n, n)), "b": b}


def couplings(params):
  w = params["W"]
  return 0.5 * (w + w.T) * (1.0 - jnp.eye(w.shape[0], dtype=w.dtype))


def energy(params, x):
  """E(x), (B,)."""
  return -(x @ params["b"]) - 0.5 * jnp.einsum("bi,ij,bj->b", x, couplings(params), x)


def states(n: int):
  """All 2^n binary states, (2^n, n) float32."""
  return rbm.binary_states(n)


def log_z(params):
  """log Z = logsumexp over all 2^n states of -E(x)."""
  return jax.nn.logsumexp(-energy(params, states(params["b"].shape[0])))


def log_prob(params, x):
  """Exact log p(x), (B,)."""
  return -energy(params, x) - log_z(params)


def moments(params, x):
  """(E[x x'], E[x]) under the empirical distribution of the rows of x."""
  return x.T @ x / x.shape[0], x.mean(0)


def model_moments(params):
  """(E_p[x x'], E_p[x]) under the model, by enumeration."""
  xs = states(params["b"].shape[0])
  p = jax.nn.softmax(-energy(params, xs))
  return (xs * p[:, None]).T @ xs, p @ xs


def nll_gradients(data_moments, negative_moments):
  """The gradient of the mean negative log-likelihood in the parameters, -(data moments - model
  moments): on b directly, on W halved and off the diagonal (`couplings` reads the coupling
  of i and j as the mean of W_ij and W_ji). With the model's exact moments this is the exact
  gradient; with moments of Gibbs samples, the CD / PCD estimate."""
  (xx_data, x_data), (xx_model, x_model) = data_moments, negative_moments
  off_diagonal = 1.0 - jnp.eye(x_data.shape[0], dtype=x_data.dtype)
  return {"W": -0.5 * (xx_data - xx_model) * off_diagonal, "b": -(x_data - x_model)}


def conditional(params, x, i):
  """p(x_i = 1 | x_-i) = sigmoid(b_i + sum_j W_ij x_j) (W_ii = 0)."""
  return jax.nn.sigmoid(params["b"][i] + x @ couplings(params)[:, i])


def gibbs_sweep(params, x, key, uniform=jax.random.uniform):
  """One systematic-scan Gibbs sweep: each unit in turn redrawn from p(x_i | x_-i), the others
  fixed (sequential updates: units of a Boltzmann machine are coupled, so redrawing all at
  once would not leave p invariant). `uniform(key, shape)` supplies the noise."""
  w, n = couplings(params), x.shape[1]
  u = uniform(key, x.shape)
  for i in range(n):   # n <= 20: unrolled
    p = jax.nn.sigmoid(params["b"][i] + x @ w[:, i])
    x = x.at[:, i].set((u[:, i] < p).astype(x.dtype))
  return x
