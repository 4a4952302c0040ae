"""Optimisers from config: schedules and their validation."""
import numpy as np
import pytest

from experiments.configs import base
from genjax.errors import ConfigError
from genjax.train import optim


def test_cosine_schedule_decays_from_lr_to_zero():
  cfg = base.get_config().optim
  cfg.schedule, cfg.decay_steps, cfg.lr = "cosine", 100, 0.5
  lr = optim.learning_rate(cfg)
  np.testing.assert_allclose([lr(0), lr(50), lr(100)], [0.5, 0.25, 0.0], atol=1e-6)


@pytest.mark.parametrize("field,value", [("schedule", "linear"), ("name", "lamb"), ("lr", 0.0)])
def test_bad_optimiser_fields(field, value):
  cfg = base.get_config().optim
  cfg[field] = value
  with pytest.raises(ConfigError, match=f"config.optim.{field}="):
    optim.validate(cfg)


def test_cosine_needs_decay_steps():
  cfg = base.get_config().optim
  cfg.schedule = "cosine"
  with pytest.raises(ConfigError, match="config.optim.decay_steps=0"):
    optim.validate(cfg)
