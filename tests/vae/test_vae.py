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


def test_training_metrics_are_the_steps_likelihood_and_kl_terms():
  """The step reports log p(x|z) and KL of its own draw (log p(x|z) is derived from the
  bound and the KL): both equal the terms computed directly from the pre-step parameters,
  with beta != 1 so a wrong weight shows."""
  import jax
  from genjax import data as gdata
  from genjax.train import parallel
  from genjax.vae import method as vae_method, objectives
  c = load_config("vae_digits")
  c.model.beta = 2.0
  mesh = parallel.make_mesh(jax.devices()[:1])
  info = trainer.validate(c, mesh.size)
  pre = gdata.make_preprocess(c.data, info)
  batches = gdata.Batches(gdata.load(c.data)["train"], c.batch_size, c.seed)
  compiled = parallel.Compiled(trainer.build_method(c, info), pre, mesh, batches(0), batches.steps_per_epoch)
  state = compiled.init(jax.random.PRNGKey(0), batches(0))
  params = jax.device_get(state.params)
  key = jax.random.PRNGKey(3)
  _, metrics = compiled.train_step(state, compiled.put_batch(batches(0)), key, np.int32(0))

  rng_data, rng_model = jax.random.split(jax.random.fold_in(key, 0))
  x = pre(batches(0)["x"], rng_data, jax.random.uniform)
  encoder, decoder = vae_method.networks(c, info)
  log_prob, _ = vae_method.make_likelihood(c, info)
  model = objectives.Model(encode=lambda x: encoder.apply({"params": params["encoder"]}, x),
                           log_likelihood=lambda z, x: log_prob(decoder.apply({"params": params["decoder"]}, z), x))
  eps = jax.random.normal(rng_model, (x.shape[0], c.model.latents))
  _, log_px_z, kl = objectives.elbo(model, x, None, c.model.beta, eps=eps)
  np.testing.assert_allclose(float(metrics["log_px_z"]), float(log_px_z.mean()), rtol=1e-4)
  np.testing.assert_allclose(float(metrics["kl"]), float(kl.mean()), rtol=1e-4)
