"""Staged runs (a DBN's greedy layer-wise training): each stage its own run and state shape,
the next stage initialised from the previous one's final state, resumed exactly mid-stage and
at a boundary, a finished stage never retrained."""
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from genjax.errors import ConfigError
from genjax.train import trainer
from genjax.train.method import AXIS, Method
from tests.conftest import load_config


def layer_builder(config, info):
  """Stage 1 fits w1 (3,) to the first pixels; stage 2 freezes w1 and fits w2 (5,) to
  features scaled by it: a state of another shape, built from the previous stage's."""
  tx = optax.sgd(config.optim.lr)
  width = 3 if config.stage == 1 else 5

  def features(state, x):
    f = x.reshape(x.shape[0], -1)[:, :width]
    return f if config.stage == 1 else f * (1.0 + state["frozen"].sum())

  def init(rng, batch, previous=None):
    params = {"w": jax.random.normal(rng, (width,))}
    frozen = {} if previous is None else {"frozen": previous["params"]["w"]}
    return {"step": jnp.zeros((), jnp.int32), "params": params, "opt_state": tx.init(params), **frozen}

  def loss(params, state, x):
    return jnp.mean((features(state, x) - params["w"]) ** 2)

  def train_step(state, batch, rng):
    value, grads = jax.value_and_grad(loss)(state["params"], state, batch["x"])
    updates, opt_state = tx.update(jax.lax.pmean(grads, AXIS), state["opt_state"])
    return dict(state, step=state["step"] + 1, params=optax.apply_updates(state["params"], updates),
                opt_state=opt_state), {"loss": value}

  def eval_step(state, batch, rng):
    return {"loss": jnp.mean((features(state, batch["x"]) - state["params"]["w"]) ** 2, -1)}

  return Method(init=init, train_step=train_step, eval_step=eval_step)


def staged(stage2_steps=6):
  c = load_config("ae_mlp_digits")
  c.log_every = c.checkpoint_every = 2
  c.stages.stage1 = {"num_steps": 4, "optim": {"lr": 0.1}}
  c.stages.stage2 = {"num_steps": stage2_steps, "optim": {"lr": 0.05}}
  return c


def test_stages_train_in_order_each_from_the_previous_final_state(tmp_path):
  results = trainer.train(staged(), str(tmp_path), build=layer_builder)
  assert sorted(results) == ["stage1", "stage2"] and "loss" in results["stage2"]
  for k, name in enumerate(["stage1", "stage2"], 1):
    saved = json.loads((tmp_path / name / "config.json").read_text())
    assert saved["stage"] == k and "stages" not in saved          # each checkpoint knows its stage
    assert json.loads((tmp_path / name / "done.json").read_text())["step"] == (4, 6)[k - 1]
  _, s1 = params_of(tmp_path, 1)
  step, s2 = params_of(tmp_path, 2, s1)
  assert step == 6 and s1["params"]["w"].shape == (3,) and s2["params"]["w"].shape == (5,)
  np.testing.assert_array_equal(s2["frozen"], s1["params"]["w"])   # frozen, as stage 1 left it


def _cfg(k):
  from genjax.train import stages
  return stages.stage_config(staged(), f"stage{k}")


def params_of(workdir, k, previous=None):
  run = trainer.Run(_cfg(k), str(workdir / f"stage{k}"), method=layer_builder(_cfg(k), None),
                    previous=previous)
  step, state = run.checkpoints.restore_latest(run.compiled.abstract_state, move_aside=False)
  run.checkpoints.close()
  return step, jax.device_get(state)


def test_a_stage_interrupted_midway_resumes_exactly_and_finished_stages_are_skipped(tmp_path):
  trainer.train(staged(), str(tmp_path / "a"), build=layer_builder)
  trainer.train(staged(stage2_steps=2), str(tmp_path / "b"), build=layer_builder)
  (tmp_path / "b" / "stage2" / "done.json").unlink()       # as a SIGKILL after step 2 leaves it
  stage1_files = sorted(os.listdir(tmp_path / "b" / "stage1" / "checkpoints"))
  stage1_log = (tmp_path / "b" / "stage1" / "metrics.jsonl").read_text()
  trainer.train(staged(), str(tmp_path / "b"), build=layer_builder)
  assert (tmp_path / "b" / "stage1" / "metrics.jsonl").read_text() == stage1_log   # not retrained
  assert sorted(os.listdir(tmp_path / "b" / "stage1" / "checkpoints")) == stage1_files
  _, a1 = params_of(tmp_path / "a", 1)
  (sa, a2), (sb, b2) = params_of(tmp_path / "a", 2, a1), params_of(tmp_path / "b", 2, a1)
  assert sa == sb == 6
  for x, y in zip(jax.tree.leaves(a2), jax.tree.leaves(b2)):
    np.testing.assert_array_equal(x, y)


def test_a_stage_that_finished_without_its_marker_is_not_retrained(tmp_path):
  trainer.train(staged(), str(tmp_path), build=layer_builder)
  (tmp_path / "stage1" / "done.json").unlink()             # killed at the boundary
  log = (tmp_path / "stage1" / "metrics.jsonl").read_text()
  trainer.train(staged(), str(tmp_path), build=layer_builder)
  rows = [json.loads(l) for l in (tmp_path / "stage1" / "metrics.jsonl").read_text().splitlines()]
  assert [r["step"] for r in rows if "train/loss" in r] == [2, 4]                     # no step twice
  assert [r["step"] for r in rows if "eval/loss" in r] == [4]
  assert [r for r in rows if "train/loss" in r] == [json.loads(l) for l in log.splitlines() if "train/loss" in l]
  assert (tmp_path / "stage1" / "done.json").exists()


@pytest.mark.parametrize("stages,message", [
    ({"stage2": {"num_steps": 2}}, "stage1 .. stageK, none missing"),
    ({"layer1": {"num_steps": 2}}, "stages named stage1, stage2"),
    ({"stage1": {"num_stepz": 2}}, "config.stages.stage1.num_stepz=2 is invalid"),
    ({"stage1": {"num_steps": -2}}, "config.num_steps=-2 is invalid"),
    ({"stage1": {}, "stage2": {}}, "expected one stage: the autoencoder family's init does not take"),
])
def test_bad_stages_are_one_line_before_any_work(tmp_path, stages, message):
  c = load_config("ae_mlp_digits")
  c.stages = stages
  build = None if "autoencoder" in message else layer_builder    # the registered autoencoder
  with pytest.raises(ConfigError, match=message):
    trainer.train(c, str(tmp_path), build=build)
  assert not os.listdir(tmp_path)
