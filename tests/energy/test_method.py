"""The RBM in the trainer: W5's CD-1 update is the gradient of the CD surrogate, every config
trains and reports F(v) + log Z with log Z's AIS standard error, persistent chains resume
bitwise (8 devices equal 1 is tests/train/test_contract.py's)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax.energy import rbm
from genjax.train import parallel, trainer
from tests.conftest import embedded_smoke
from tests.train.test_trainer import final_state


def test_w5s_cd1_update_is_the_gradient_of_the_cd_surrogate_with_reconstruction_probabilities():
  """WORKLOADS.md's W5: W += lr/B (v0' ph0 - v1' ph1), b += lr mean(v0 - v1),
  c += lr mean(ph0 - ph1), with v1 = p(v | h0); the surrogate's gradient is minus that."""
  k = jax.random.split(jax.random.PRNGKey(0), 4)
  params = {"W": 0.3 * jax.random.normal(k[0], (12, 7)), "b": jax.random.normal(k[1], (12,)),
            "c": jax.random.normal(k[2], (7,))}
  v0 = (jax.random.uniform(k[3], (5, 12)) < 0.5).astype(jnp.float32)
  h0 = rbm.bernoulli(jax.random.PRNGKey(1), rbm.hidden_given_visible(params, v0))
  v1 = rbm.visible_given_hidden(params, h0)
  ph0, ph1 = rbm.hidden_given_visible(params, v0), rbm.hidden_given_visible(params, v1)
  grads = jax.grad(rbm.cd_loss)(params, v0, v1)
  np.testing.assert_allclose(-grads["W"], (v0.T @ ph0 - v1.T @ ph1) / 5, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(-grads["b"], (v0 - v1).mean(0), rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(-grads["c"], (ph0 - ph1).mean(0), rtol=1e-5, atol=1e-6)
  closed_form = rbm.cd_gradients(params, v0, v1)          # what the method's step uses
  for k in params:
    np.testing.assert_allclose(closed_form[k], grads[k], rtol=1e-5, atol=1e-6, err_msg=k)


@pytest.mark.parametrize("name", ["rbm_binarized_mnist", "rbm_cd1_binarized_mnist"])
def test_smoke_config_trains_and_reports_free_energy_plus_ais_log_z(name, tmp_path):
  c = embedded_smoke(name)
  results = trainer.train(c, str(tmp_path), mesh=parallel.make_mesh(jax.devices()[:1]))
  assert np.isfinite(results["log_z"]) and results["log_z_se"] >= 0
  assert results["nll_nats"] > 0 and np.isfinite(results["nll_nats"])
  names = sorted(p.name for p in (tmp_path / "samples").glob("*.png"))
  assert "step_00000004.png" in names and any("filters" in n for n in names), names


def test_persistent_chains_resume_bitwise(tmp_path):
  """A PCD run stopped at step 2 and resumed equals the uninterrupted run: parameters,
  optimiser state, the persistent chains and the data mean, bit for bit."""
  def config(num_steps):
    c = embedded_smoke("rbm_binarized_mnist")
    c.num_steps, c.checkpoint_every, c.log_every, c.optim.schedule = num_steps, 2, 2, "constant"
    c.evals.eval.every = -1         # no evaluation: only the training state matters here
    return c
  trainer.train(config(4), str(tmp_path / "a"))
  trainer.train(config(2), str(tmp_path / "b"))
  trainer.train(config(4), str(tmp_path / "b"))
  (sa, a), (sb, b) = final_state(tmp_path / "a", config(4)), final_state(tmp_path / "b", config(4))
  assert sa == sb == 4
  assert float(np.abs(a.chains - b.chains).sum()) == 0.0 and a.chains.shape == (16, 784)
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(x, y)


def test_ais_binary_reports_log_z_raise_and_draws_the_traces(tmp_path):
  """experiments.ais on a smoke RBM trained on bars and stripes (static binary data): one JSON
  line whose log Z, effective sample size and RAISE NLL are the library's estimators' with
  the same keys, and the traces' picture."""
  import json
  import subprocess
  import sys
  from PIL import Image
  from genjax import data as gdata
  from genjax.energy import diagnostics
  from genjax.train import keys
  from tests.conftest import REPO
  from tests.experiments.test_binaries import ENV
  c = embedded_smoke("rbm_binarized_mnist")
  c.data.name, c.data.binarize = "bars_and_stripes", "none"
  trainer.train(c, str(tmp_path / "run"), mesh=parallel.make_mesh(jax.devices()[:1]))
  r = subprocess.run([sys.executable, "-m", "experiments.ais", f"--workdir={tmp_path / 'run'}", "--runs=8",
                      "--temperatures=50", "--raise_examples=32", f"--out={tmp_path / 'ais.png'}"], cwd=REPO,
                     env=ENV, capture_output=True, text=True, timeout=300)
  assert r.returncode == 0, r.stderr[-2000:]
  out = json.loads(r.stdout.strip().splitlines()[-1])
  _, state = final_state(tmp_path / "run", c)
  key = keys.stream(jax.random.PRNGKey(0), "estimates")
  args = (state.params, rbm.base_rate_bias(state.data_mean), key, rbm.ais_betas(50), 8)
  log_z, se = rbm.ais_log_z(*args)
  np.testing.assert_allclose(out["log_z"], log_z, rtol=1e-5)
  np.testing.assert_allclose(out["log_z_se"], se, rtol=1e-3, atol=1e-6)
  np.testing.assert_allclose(out["effective_sample_size"], rbm.effective_sample_size(rbm.ais_log_weights(*args)),
                             rtol=1e-4)
  v = jnp.asarray(gdata.load(c.data)["test"].x[:32].reshape(32, 16), jnp.float32)
  expected = diagnostics.raise_report(state.params, state.data_mean, v, out["log_z"], jax.random.fold_in(key, 1), 50)
  for k in expected:
    np.testing.assert_allclose(out[k], expected[k], rtol=1e-4, err_msg=k)
  picture = np.asarray(Image.open(tmp_path / "ais.png"))
  assert picture.shape == (256, 512) and (picture < 128).sum() > 8 * 50    # eight traces drawn
