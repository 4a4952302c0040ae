"""Optimisers from config: schedules and their validation."""
import numpy as np
import pytest

from experiments.configs import base
from genjax.errors import ConfigError
from genjax.train import optim


def test_cosine_schedule_decays_from_lr_to_zero():
  cfg = base.get_config().optim
  cfg.schedule, cfg.decay_steps, cfg.lr = "cosine", 100, 0.5
  lr = optim.learning_rate(cfg, num_steps=1000)
  np.testing.assert_allclose([lr(0), lr(50), lr(100)], [0.5, 0.25, 0.0], atol=1e-6)
  cfg.decay_steps = 0   # follows the run's length, including a --config.num_steps override
  lr = optim.learning_rate(cfg, num_steps=200)
  np.testing.assert_allclose([lr(100), lr(200)], [0.25, 0.0], atol=1e-6)


@pytest.mark.parametrize("field,value", [("schedule", "linear"), ("name", "lamb"), ("lr", 0.0)])
def test_bad_optimiser_fields(field, value):
  cfg = base.get_config().optim
  cfg[field] = value
  with pytest.raises(ConfigError, match=f"config.optim.{field}="):
    optim.validate(cfg)


@pytest.mark.parametrize("field,value", [("decay_steps", -1), ("momentum", 1.0)])
def test_bad_schedule_and_momentum(field, value):
  cfg = base.get_config().optim
  cfg[field] = value
  with pytest.raises(ConfigError, match=f"config.optim.{field}={value}"):
    optim.validate(cfg)


def test_weight_decay_is_refused_where_the_optimiser_would_ignore_it():
  cfg = base.get_config().optim
  cfg.weight_decay = 1e-4                 # adam: optax.adam has no decay; it would do nothing
  with pytest.raises(ConfigError, match="config.optim.weight_decay=0.0001 .*only 'adamw' decays"):
    optim.validate(cfg)
  cfg.name = "adamw"
  optim.validate(cfg)


def test_sgd_momentum_is_its_own_field():
  import jax.numpy as jnp
  cfg = base.get_config().optim
  cfg.name, cfg.lr = "sgd", 0.1          # b1 keeps Adam's 0.9; SGD must not read it
  tx = optim.make(cfg, 10)
  params = {"w": jnp.ones(2)}
  state = tx.init(params)
  grads = {"w": jnp.ones(2)}
  u1, state = tx.update(grads, state, params)
  u2, state = tx.update(grads, state, params)
  np.testing.assert_allclose(u2["w"], u1["w"])   # no momentum: the same step twice
