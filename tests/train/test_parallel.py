"""One per-device step: the same under shard_map on 8 devices, jax.pmap, and 1 device; compiled once."""
import jax
import numpy as np

from genjax import data as gdata
from genjax.train import parallel, trainer
from tests.conftest import load_config

KEY = jax.random.PRNGKey(7)


def setup(mesh):
  config = load_config("ae_mlp_digits")
  config.model.hidden = (24,)
  info = trainer.validate(config, mesh.size)
  method = trainer.build_method(config, info)
  pre = gdata.make_preprocess(config.data, info)
  batches = gdata.Batches(gdata.load(config.data)["train"], config.batch_size, config.seed)
  return method, pre, batches, parallel.Compiled(method, pre, mesh, batches(0), batches.steps_per_epoch)


def run_steps(compiled, batches, n=3):
  state = compiled.init(jax.random.PRNGKey(0), batches(0))
  losses = []
  for step in range(n):
    state, m = compiled.train_step(state, compiled.put_batch(batches(step)), KEY, np.int32(step))
    losses.append(float(m["loss"]))
  return jax.device_get(state), losses


def test_eight_devices_pmap_and_one_device_agree():
  assert jax.device_count() == 8
  _, _, batches, c8 = setup(parallel.make_mesh())
  method, pre, _, c1 = setup(parallel.make_mesh(jax.devices()[:1]))
  s8, l8 = run_steps(c8, batches)
  s1, l1 = run_steps(c1, batches)

  step = jax.pmap(parallel.per_device_train_step(method, pre), axis_name="data", in_axes=(None, 0, None))
  state = jax.device_get(c1.init(jax.random.PRNGKey(0), batches(0)))
  lp = []
  for i in range(3):
    b = jax.tree.map(lambda a: a.reshape((8, -1) + a.shape[1:]), batches(i))
    out, m = step(state, b, jax.random.fold_in(KEY, i))
    state = jax.tree.map(lambda a: a[0], out)
    lp.append(float(m["loss"][0]))
  sp = jax.device_get(state)

  np.testing.assert_allclose(l8, l1, rtol=1e-5)
  np.testing.assert_allclose(lp, l1, rtol=1e-5)
  for a, b, c in zip(jax.tree.leaves(s8), jax.tree.leaves(s1), jax.tree.leaves(sp)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(c, b, rtol=1e-5, atol=1e-5)
  assert l1[-1] < l1[0]


def test_train_step_compiles_once():
  _, _, batches, c = setup(parallel.make_mesh())
  state = c.init(jax.random.PRNGKey(0), batches(0))
  for step in range(4):
    state, m = c.train_step(state, c.put_batch(batches(step)), KEY, np.int32(step))
    jax.block_until_ready(m)
  assert c.train_step._cache_size() == 1


def test_state_is_donated():
  _, _, batches, c = setup(parallel.make_mesh(jax.devices()[:1]))
  state = c.init(jax.random.PRNGKey(0), batches(0))
  leaf = jax.tree.leaves(state)[0]
  c.train_step(state, c.put_batch(batches(0)), KEY, np.int32(0))
  assert leaf.is_deleted()


def test_resident_data_step_equals_the_host_fed_step_and_compiles_once():
  _, _, batches, c = setup(parallel.make_mesh())
  resident = c.put_replicated(gdata.take(batches.split, slice(None)))
  a = c.init(jax.random.PRNGKey(0), batches(0))
  b = c.init(jax.random.PRNGKey(0), batches(0))
  for step in range(batches.steps_per_epoch + 2):   # crosses an epoch boundary
    perm = c.put_replicated(batches.permutation(step // batches.steps_per_epoch).astype(np.int32))
    a, ma = c.train_step_resident(a, resident, perm, KEY, np.int32(step))
    b, mb = c.train_step(b, c.put_batch(batches(step)), KEY, np.int32(step))
    np.testing.assert_allclose(float(ma["loss"]), float(mb["loss"]), rtol=1e-6)
  for x, y in zip(jax.tree.leaves(jax.device_get(a)), jax.tree.leaves(jax.device_get(b))):
    np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
  assert c.train_step_resident._cache_size() == 1


def test_one_device_steps_have_no_collectives_and_eight_do():
  """On one device the data-axis averages are the values themselves: XLA keeps a one-device
  all-reduce (a copy of every gradient, ~5 % of W5's step), so the steps must not emit it."""
  def all_reduces(mesh):
    _, _, batches, c = setup(mesh)
    state = c.init(jax.random.PRNGKey(0), batches(0))
    x = c.put_batch(batches(0))
    text = c.train_step.lower(state, x, KEY, np.int32(0)).compile().as_text()
    mask = jax.device_put(np.ones(len(batches(0)["x"]), np.float32), c.batch_sharding)
    text += c.eval_step.lower(state, x, mask, KEY, {}).compile().as_text()
    return text.count("all-reduce(")
  assert all_reduces(parallel.make_mesh(jax.devices()[:1])) == 0
  assert all_reduces(parallel.make_mesh()) > 0


def test_pmean_and_psum_through_one_buffer_per_dtype_equal_the_per_leaf_collectives():
  """method.pmean/psum concatenate the leaves of each dtype into one buffer for the all-reduce
  and split it back: every leaf must come back with its own shape, the collective's dtype and
  its average (sum)."""
  from jax.sharding import PartitionSpec as P
  from genjax.train import method as gmethod
  mesh = parallel.make_mesh()
  n = mesh.size
  rng = np.random.default_rng(0)
  tree = {"w": rng.standard_normal((n, 3, 4)).astype(np.float32),
          "b": rng.standard_normal((n, 5)).astype(np.float32),
          "count": rng.integers(0, 9, (n, 2)).astype(np.int32),
          "scale": rng.standard_normal((n,)).astype(np.float32)}

  def per_device(collective, reference):
    def f(t):
      t = jax.tree.map(lambda v: v[0], t)              # this device's leaves
      want = jax.tree.map(lambda v: reference(v, gmethod.AXIS), t)
      return jax.tree.map(lambda v: v[None], (collective(t), want))
    return jax.jit(jax.shard_map(f, mesh=mesh, in_specs=P(gmethod.AXIS), out_specs=P(gmethod.AXIS)))

  for collective, reference in ((gmethod.pmean, jax.lax.pmean), (gmethod.psum, jax.lax.psum)):
    got, want = per_device(collective, reference)(tree)
    for k in tree:
      assert got[k].shape == want[k].shape == tree[k].shape and got[k].dtype == want[k].dtype, k
      np.testing.assert_allclose(got[k], want[k], rtol=1e-6, atol=1e-6, err_msg=k)
