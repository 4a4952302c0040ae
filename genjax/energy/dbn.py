"""Deep belief networks (Hinton, Osindero & Teh 2006): a stack of RBMs trained greedily, each
on samples of the hidden units of the one below. As a generative model the top RBM is an
undirected prior over the top two layers, and each layer below is a directed sigmoid belief
layer p(h_{l-1} | h_l) = sigmoid(b_l + W_l h_l), read from the RBM trained for it.

`below` is the tuple of the frozen RBMs' parameters, bottom first; `top` the top RBM's. With
q(h_l | h_{l-1}) = sigmoid(c_l + h_{l-1} W_l) the recognition distribution (Salakhutdinov &
Murray 2008, section 4), every q gives the variational lower bound

  log p(v) >= E_q[ sum_l log p(h_{l-1} | h_l) - F_top(h_{L-1}) ] - log Z_top + H(q),

with h_0 = v, F_top the top RBM's free energy and Z_top its partition function.
"""
import jax

from genjax.energy import rbm


def up(below, v, key, uniform=jax.random.uniform):
  """[h_1, ..., h_{L-1}]: a draw from q through the frozen layers, h_l ~ q(h_l | h_{l-1})."""
  hs = []
  for l, params in enumerate(below):
    v = rbm.bernoulli(jax.random.fold_in(key, l), rbm.hidden_given_visible(params, v), uniform)
    hs.append(v)
  return hs


def down(below, h, key):
  """p(v | h_{L-1}): draws h_{l-1} ~ p(h_{l-1} | h_l) down to h_1, then returns the visible
  probabilities (the picture)."""
  for l in range(len(below) - 1, -1, -1):
    p = rbm.visible_given_hidden(below[l], h)
    if l == 0:
      return p
    h = rbm.bernoulli(jax.random.fold_in(key, l), p)
  return h


def bernoulli_log_prob(x, logits):
  """sum_i log Bernoulli(x_i; sigmoid(logits_i)) = sum x l - softplus(l)."""
  return (x * logits - jax.nn.softplus(logits)).sum(-1)


def bernoulli_entropy(logits):
  """The entropy of independent Bernoulli units with these logits, in nats."""
  p = jax.nn.sigmoid(logits)
  return (jax.nn.softplus(logits) - p * logits).sum(-1)


def lower_bound_sample(below, top, log_z_top, v, key, uniform=jax.random.uniform):
  """One draw of the bound's estimator, (B,): for h ~ q(.|v), sum_l log p(h_{l-1} | h_l)
  - F_top(h_{L-1}) - log Z_top + sum_l H(q(h_l | h_{l-1})), the entropies in closed form
  given the draws below them. Its expectation over h is the lower bound on log p(v)."""
  value, x = -log_z_top, v
  for l, params in enumerate(below):
    q_logits = params["c"] + x @ params["W"]
    h = rbm.bernoulli(jax.random.fold_in(key, l), jax.nn.sigmoid(q_logits), uniform)
    value = value + bernoulli_log_prob(x, params["b"] + h @ params["W"].T) + bernoulli_entropy(q_logits)
    x = h
  return value - rbm.free_energy(top, x)


def lower_bound(below, top, log_z_top, v, key, samples: int, uniform=jax.random.uniform):
  """The bound's Monte Carlo estimate from `samples` draws of h per example, (B,)."""
  draw = lambda k: lower_bound_sample(below, top, log_z_top, v, k, uniform)
  return jax.vmap(draw)(jax.random.split(key, samples)).mean(0)
