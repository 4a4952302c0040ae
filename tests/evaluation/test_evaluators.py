"""Evaluators: once-per-evaluation estimates, replicates and their Monte-Carlo error, seeds,
schedules, and the validation/test rule."""
import json

import jax
import jax.numpy as jnp
import numpy as np

from genjax import data as gdata, evaluation
from genjax.evaluation import evaluators
from genjax.train import trainer
from genjax.train.method import Method
from tests.conftest import load_config
from tests.train.test_trainer import tiny


def log_z_method():
  """A stand-in for an energy model: per-example free energy sum(x), and log Z = 3 + w
  estimated once per evaluation; the NLL is free energy + log Z."""
  def init(rng, batch):
    return {"w": jnp.full((), 0.25)}

  def eval_step(state, batch, rng):
    free_energy = batch["x"].reshape(batch["x"].shape[0], -1).sum(-1)
    return {"nll": free_energy + batch["estimates"]["log_z"]}

  return Method(init=init, train_step=lambda s, b, r: (s, {"loss": 0.0}), eval_step=eval_step,
                estimates=lambda state, rng: {"log_z": 3.0 + state["w"]})


def test_estimates_are_made_once_and_every_eval_step_sees_them(tmp_path):
  c = tiny()
  run = trainer.Run(c, str(tmp_path), method=log_z_method())
  state = run.compiled.init(jax.random.PRNGKey(0), run.batches(0))
  out = run.evaluate(state, "test")
  x = run.splits["test"].x.reshape(297, -1) / 16.0          # digits' 17 levels scaled to [0, 1]
  np.testing.assert_allclose(out["log_z"], 3.25)
  np.testing.assert_allclose(out["nll"], x.sum(-1).mean() + 3.25, rtol=1e-5)


def vae_run(tmp_path):
  c = load_config("vae_digits")
  c.num_steps = 2
  trainer.train(c, str(tmp_path))
  return evaluation.restore(str(tmp_path))


def test_replicates_report_their_mean_and_its_monte_carlo_error_and_seeds_change_draws(tmp_path):
  run, _, state = vae_run(tmp_path)
  spec = {"eval": evaluators.evaluator("per_example", replicates=3)}
  report = evaluators.run_all(run, state, "validation", 5, spec)["eval"]
  passes = [run.evaluate(state, "validation", seed=5, replicate=r)["nll_nats"] for r in range(3)]
  assert len(set(passes)) == 3                                   # independent draws
  m = report["metrics"]
  np.testing.assert_allclose(m["nll_nats"], np.mean(passes), rtol=1e-6)
  np.testing.assert_allclose(m["nll_nats_mc_se"], np.std(passes, ddof=1) / np.sqrt(3), rtol=1e-6)
  assert report["replicates"] == 3 and report["seed"] == 5 and report["split"] == "validation"
  again = evaluators.run_all(run, state, "validation", 5, spec)["eval"]["metrics"]
  other = evaluators.run_all(run, state, "validation", 6, spec)["eval"]["metrics"]
  assert again == m and other["nll_nats"] != m["nll_nats"]


def test_evaluate_scores_the_test_split_with_every_evaluator_and_its_protocol(tmp_path):
  vae_run(tmp_path)
  out = evaluation.evaluate(str(tmp_path), k=8, replicates=2, seed=1)
  assert out["split"] == "test" and out["num_examples"] == 297 and out["seed"] == 1
  ev = out["evals"]["eval"]
  assert ev["replicates"] == 2 and ev["protocol"]["k"] == 8 and "nll_nats_mc_se" in ev["metrics"]


def test_evaluators_run_on_their_schedule_on_validation(tmp_path):
  c = tiny(num_steps=6, log_every=2)
  c.evals.eval.every = 2
  c.evals.late = evaluators.evaluator("per_example", every=-1)
  trainer.train(c, str(tmp_path))
  rows = [json.loads(l) for l in open(tmp_path / "metrics.jsonl")]
  assert [r["step"] for r in rows if "eval/loss" in r] == [2, 4, 6]
  assert not any(k.startswith("late/") for r in rows for k in r)
  run, _, state = evaluation.restore(str(tmp_path))
  np.testing.assert_allclose([r["eval/loss"] for r in rows if "eval/loss" in r][-1],
                             run.evaluate(state, "validation")["loss"], rtol=1e-5)
  assert "late" in evaluation.evaluate(str(tmp_path), replicates=1)["evals"]
  assert len(gdata.load(c.data)["validation"]) == 150
