"""The Langevin EBM: the Langevin step's stationary variance on a Gaussian energy is the
closed form of the unadjusted Langevin algorithm; the replay buffer reads and writes one slot
per lane; samples start from distinct buffer entries; the smoke config trains and resumes
bitwise, buffer included (8 devices equal 1 is tests/train/test_contract.py's)."""
import jax
import jax.numpy as jnp
import numpy as np

from genjax.energy import langevin
from genjax.train import parallel, trainer
from tests.conftest import embedded_smoke
from tests.train.test_trainer import final_state


def test_langevin_on_a_gaussian_energy_reaches_the_ula_stationary_variance():
  """E(x) = (x - mu)^2 / (2 s^2), step h, noise sqrt(2 h): the unadjusted Langevin chain's
  stationary law is N(mu, s^2 / (1 - h / (2 s^2))) exactly (and the clip to [0, 1] is far)."""
  mu, s, h = 0.5, 0.05, 1e-3
  energy = lambda x: ((x - mu) ** 2).sum(-1) / (2 * s * s)
  x = jnp.full((100_000, 1), 0.2)
  step = lambda x, k: (langevin.langevin_step(energy, x, k, h, np.sqrt(2 * h)), None)
  x, _ = jax.lax.scan(step, x, jax.random.split(jax.random.PRNGKey(0), 300))
  variance = s * s / (1 - h / (2 * s * s))
  se_var = variance * np.sqrt(2 / x.shape[0])
  assert abs(float(x.mean()) - mu) < 4 * np.sqrt(variance / x.shape[0])
  assert abs(float(x.var()) - variance) < 4 * se_var, (float(x.var()), variance, s * s)
  assert abs(s * s - variance) > 8 * se_var        # the test tells ULA's variance from s^2


def test_the_buffer_reads_and_writes_one_slot_per_lane():
  buffer = jnp.arange(3 * 4 * 2, dtype=jnp.float32).reshape(3, 4, 2)
  slots, fresh = jnp.array([1, 3, 0]), -jnp.ones((3, 2))
  start = langevin.buffer_read(buffer, slots, fresh, jnp.array([False, True, False]))
  np.testing.assert_array_equal(start, [buffer[0, 1], fresh[1], buffer[2, 0]])
  written = langevin.buffer_write(buffer, slots, start + 100)
  expected = np.array(buffer)
  expected[[0, 1, 2], [1, 3, 0]] = np.array(start) + 100
  np.testing.assert_array_equal(written, expected)


def smoke(num_steps=4):
  c = embedded_smoke("ebm_mnist")
  c.num_steps, c.checkpoint_every, c.log_every = num_steps, 2, 2
  return c


def test_samples_are_distinct_buffer_entries(tmp_path):
  """With no Langevin movement (step 0, noise 0) the samples are buffer entries, all different."""
  c = smoke()
  trainer.train(c, str(tmp_path), mesh=parallel.make_mesh(jax.devices()[:1]))
  c.model.step_size, c.model.noise = 0.0, 0.0
  run = trainer.Run(c, str(tmp_path))
  _, state = run.checkpoints.restore_latest(run.compiled.abstract_state)
  run.checkpoints.close()
  samples = run.samples(state, 64).reshape(64, -1)
  stored = np.asarray(state.buffer).reshape(64, -1)
  assert len({s.tobytes() for s in samples}) == 64
  assert {s.tobytes() for s in samples} == {s.tobytes() for s in stored}


def test_the_replay_buffer_resumes_bitwise(tmp_path):
  c4, c2 = smoke(4), smoke(2)
  for c in (c4, c2):
    c.evals.eval.every = -1
  trainer.train(c4, str(tmp_path / "a"))
  trainer.train(c2, str(tmp_path / "b"))
  trainer.train(c4, str(tmp_path / "b"))
  (sa, a), (sb, b) = final_state(tmp_path / "a", c4), final_state(tmp_path / "b", c4)
  assert sa == sb == 4 and a.buffer.shape == (16, 4, 28, 28, 1)
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(x, y)
