"""The deep belief network against exact references on networks small enough to enumerate:
the variational bound's estimator has the enumerated bound as its mean; top-down samples follow the exact p(v) (chi-square). In the trainer:
the staged smoke config on 8 devices equals 1, and a SIGKILL at the stage boundary resumes
without retraining stage 1."""
import itertools
import json
import signal
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
from scipy import stats

from genjax.energy import dbn, rbm
from genjax.train import parallel, trainer
from genjax.train.restore import restore
from tests.conftest import REPO, embedded_smoke
from tests.experiments.test_binaries import ENV


def random_rbm(key, visible, hidden, scale=1.0):
  k = jax.random.split(key, 3)
  return {"W": scale * jax.random.normal(k[0], (visible, hidden)), "b": jax.random.normal(k[1], (visible,)),
          "c": jax.random.normal(k[2], (hidden,))}


def tiny_dbn(widths=(4, 3, 3, 2), seed=0):
  """RBMs of widths[l] x widths[l + 1]: all but the last frozen below, the last the top."""
  keys = jax.random.split(jax.random.PRNGKey(seed), len(widths) - 1)
  layers = [random_rbm(keys[l], widths[l], widths[l + 1]) for l in range(len(widths) - 1)]
  return tuple(layers[:-1]), layers[-1]


def bernoulli_log(x, logits):
  return float(np.sum(x * logits - np.logaddexp(0.0, logits)))


def exact_log_p_and_bound(below, top, v):
  """Float64 sums over every h_1 .. h_{L-1}: log p(v), and E_q[log p(v, h) - log q(h | v)]."""
  below = [{k: np.asarray(a, np.float64) for k, a in p.items()} for p in below]
  top = {k: np.asarray(a, np.float64) for k, a in top.items()}
  free = lambda x: -x @ top["b"] - np.logaddexp(0.0, top["c"] + x @ top["W"]).sum()
  tops = np.array(list(itertools.product([0.0, 1.0], repeat=len(top["b"]))))
  log_z = np.logaddexp.reduce([-free(x) for x in tops])
  joint, bound = [], 0.0
  for hs in itertools.product(*[itertools.product([0.0, 1.0], repeat=len(p["c"])) for p in below]):
    log_joint, log_q, x = -free(np.array(hs[-1])) - log_z, 0.0, v
    for p, h in zip(below, map(np.array, hs)):
      log_joint += bernoulli_log(x, p["b"] + h @ p["W"].T)
      log_q += bernoulli_log(h, p["c"] + x @ p["W"])
      x = h
    joint.append(log_joint)
    bound += np.exp(log_q) * (log_joint - log_q)
  return np.logaddexp.reduce(joint), bound


def test_the_bound_estimator_averages_to_the_enumerated_bound():
  """Two and three layers: the mean of 40 000 draws is the enumerated bound within 4 standard
  errors."""
  for widths in [(4, 3, 3), (3, 3, 2, 2)]:
    below, top = tiny_dbn(widths, seed=len(widths))
    log_z = rbm.log_z_by_visible(top)
    for v in np.array([[1, 0, 1, 1], [0, 0, 1, 0]], np.float32)[:, :widths[0]]:
      _, bound = exact_log_p_and_bound(below, top, v)
      draws = jax.vmap(lambda k: dbn.lower_bound_sample(below, top, log_z, v[None], k))(
          jax.random.split(jax.random.PRNGKey(1), 40_000))[:, 0]
      se = float(jnp.std(draws)) / np.sqrt(draws.shape[0])
      assert abs(float(draws.mean()) - bound) < 4 * se + 1e-5, (widths, float(draws.mean()), bound, se)


def test_top_down_samples_follow_the_exact_distribution():
  """The top RBM's Gibbs chain (60 sweeps, 20 000 chains), then p(v | h_1) down two directed
  layers: the visible states' counts pass a chi-square test against the enumerated p(v)."""
  below, top = tiny_dbn((3, 3, 2, 3), seed=7)
  key = jax.random.PRNGKey(2)
  x = rbm.bernoulli(key, jnp.full((20_000, 2), 0.5))
  x = jax.lax.scan(lambda x, k: (rbm.gibbs_step(top, x, k)[0], None), x, jax.random.split(key, 60))[0]
  v = rbm.bernoulli(jax.random.PRNGKey(3), dbn.down(below, x, jax.random.PRNGKey(4)))
  counts = np.bincount(np.asarray(v @ jnp.array([4.0, 2.0, 1.0])).astype(int), minlength=8)
  p = np.exp([exact_log_p_and_bound(below, top, s)[0] for s in rbm.all_binary(3)])
  np.testing.assert_allclose(p.sum(), 1.0, rtol=1e-6)
  assert stats.chisquare(counts, p * counts.sum()).pvalue > 1e-3


def staged_smoke():
  c = embedded_smoke("dbn_binarized_mnist")
  c.log_every = c.checkpoint_every = 2
  return c


def test_stages_on_8_devices_equal_1_and_stage_2_freezes_stage_1(tmp_path):
  c = staged_smoke()
  for optimiser in ("stage1", "stage2"):
    c.stages[optimiser]["optim"] = {"name": "sgd"}     # as test_contract: no Adam on rounding
  r8 = trainer.train(c, str(tmp_path / "8"), mesh=parallel.make_mesh())
  r1 = trainer.train(c, str(tmp_path / "1"), mesh=parallel.make_mesh(jax.devices()[:1]))
  assert "nll_nats" in r1["stage1"] and "nll_bound_nats" in r1["stage2"]
  for stage in r1:
    for k in r1[stage]:
      np.testing.assert_allclose(r8[stage][k], r1[stage][k], rtol=2e-4, atol=1e-5, err_msg=f"{stage} {k}")
  for stage in ("stage1", "stage2"):             # stage 2 restored on top of its stage 1
    (_, _, a), (_, _, b) = restore(str(tmp_path / "8" / stage)), restore(str(tmp_path / "1" / stage))
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
      np.testing.assert_allclose(x, y, rtol=2e-4, atol=2e-5, err_msg=stage)


def test_sigkill_at_the_stage_boundary_resumes_without_retraining_stage_1(tmp_path):
  wd = tmp_path / "run"
  cmd = [sys.executable, "-m", "experiments.train", "--config=experiments/configs/dbn_binarized_mnist.py:smoke",
         f"--workdir={wd}", "--config.data.name=mnist_like", "--config.data.binarize=threshold"]
  p = subprocess.Popen(cmd + ["--config.stages.stage2.num_steps=1000000"], cwd=REPO, env=ENV,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  try:
    deadline = time.time() + 180
    while not (wd / "stage1" / "done.json").exists() and time.time() < deadline:
      time.sleep(0.05)
    assert (wd / "stage1" / "done.json").exists()
  finally:
    p.send_signal(signal.SIGKILL)
    p.wait()
  stage1_files = {f.name: f.read_bytes() for f in (wd / "stage1").iterdir() if f.is_file() and f.name != "lock"}
  r = subprocess.run(cmd, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
  assert r.returncode == 0, r.stderr[-2000:]
  assert "stage1 (1 of 2): finished at step 4; skipped" in r.stderr
  assert {f: (wd / "stage1" / f).read_bytes() for f in stage1_files} == stage1_files
  assert json.loads((wd / "stage2" / "done.json").read_text())["step"] == 4
