"""The VAE family in the trainer: one step of every config, its evaluation, bad configs."""
import glob
import os

import numpy as np
import pytest

from genjax import evaluation
from genjax.errors import ConfigError
from genjax.train import trainer
from tests.conftest import REPO, embedded_smoke, load_config

CONFIGS = sorted(os.path.basename(p)[:-3] for p in
                 glob.glob(str(REPO / "experiments/configs/vae_*.py")) +
                 glob.glob(str(REPO / "experiments/configs/iwae_*.py")))


@pytest.mark.parametrize("name", CONFIGS)
def test_smoke_config_trains_and_reports_bounds(name, tmp_path):
  results = trainer.train(embedded_smoke(name), str(tmp_path))
  assert results["nll_nats"] <= results["neg_elbo_nats"] + 1e-3   # IWAE-k is the tighter bound
  np.testing.assert_allclose(results["neg_elbo_bits"], results["neg_elbo_nats"] / np.log(2), rtol=1e-5)
  written = sorted(p.name for p in (tmp_path / "samples").glob("*.png"))
  expected = ["interpolations_step_00000004.png", "reconstructions_step_00000004.png", "step_00000004.png"]
  if load_config(name).model.latents == 2:
    expected.insert(1, "manifold_step_00000004.png")
  assert written == expected


def test_evaluate_states_the_protocol(tmp_path):
  trainer.train(load_config("vae_digits"), str(tmp_path))
  out = evaluation.evaluate(str(tmp_path), k=16)
  assert out["k"] == 16 and out["estimator"].startswith("IWAE-16")
  assert out["dataset"] == "digits" and out["binarization"] == "none"
  assert out["likelihood"] == "discretised logistic" and out["num_examples"] == 297
  m = out["evals"]["eval"]["metrics"]
  np.testing.assert_allclose(m["bits_per_dim"], m["nll_nats"] / (64 * np.log(2)), rtol=1e-5)


@pytest.mark.parametrize("field,value,message", [
    ("model.likelihood", "bernoulli", "config.model.likelihood='bernoulli' is invalid: expected 'logistic' for grey-level"),
    ("model.objective", "vi", "config.model.objective='vi' is invalid"),
    ("model.beta", 0.0, "config.model.beta=0.0 is invalid"),
    ("model.eval_chunk", 3, "config.model.eval_chunk=3 is invalid: expected a divisor of model.eval_k=8"),
])
def test_bad_vae_config_is_one_line(tmp_path, field, value, message):
  c = load_config("vae_digits")
  section, key = field.split(".")
  c[section][key] = value
  with pytest.raises(ConfigError) as e:
    trainer.train(c, str(tmp_path))
  assert message in str(e.value)
