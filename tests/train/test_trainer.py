"""The loop: resume equals uninterrupted, corrupt checkpoints fall back, bad input is one line."""
import json
import logging
import os
import pathlib

import jax
import numpy as np
import pytest

from genjax.errors import ConfigError, InputError
from genjax.train import Diverged, trainer
from genjax.train.checkpoint import Checkpointer
from tests.conftest import load_config


def tiny(**kw):
  c = load_config("ae_mlp_digits")
  c.num_steps, c.checkpoint_every, c.log_every = 6, 2, 2
  c.update(kw)
  return c


def final_state(workdir, config):
  run = trainer.Run(config, str(workdir))
  step, state = run.checkpoints.restore_latest(run.compiled.abstract_state)
  run.checkpoints.close()
  return step, jax.device_get(state)


def test_resumed_run_equals_uninterrupted(tmp_path):
  trainer.train(tiny(), str(tmp_path / "a"))
  trainer.train(tiny(num_steps=4), str(tmp_path / "b"))   # "interrupted" at step 4
  trainer.train(tiny(), str(tmp_path / "b"))              # the same command, resumed
  (sa, a), (sb, b) = final_state(tmp_path / "a", tiny()), final_state(tmp_path / "b", tiny())
  assert sa == sb == 6
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(x, y)
  rows = [json.loads(l) for l in open(tmp_path / "a" / "metrics.jsonl")]
  assert [r["step"] for r in rows if "train/loss" in r] == [2, 4, 6]
  assert any("eval/loss" in r for r in rows)
  assert list((tmp_path / "a" / "samples").glob("*.png"))
  assert list((tmp_path / "a" / "tensorboard").glob("events.out.tfevents.*"))


def fed(feed, limit=2048.0, **kw):
  c = tiny(**kw)
  c.data.feed, c.data.resident_max_mb = feed, limit
  return c


def test_streamed_batches_train_as_the_resident_split_does_and_resume_exactly(tmp_path, caplog):
  """data.feed='stream' (the host puts each batch on the devices, prefetched in a thread)
  reads the rows and keys the resident path reads: a streamed run stopped at step 6 and
  resumed (by 'auto' over a 0 MiB limit, then with the split memory-mapped from its on-disk
  cache, data.storage='disk') across the epoch's end (10 steps of 128) ends with the
  resident run's parameters."""
  caplog.set_level(logging.INFO, logger="absl")
  run = lambda c, name: trainer.train(c, str(tmp_path / name))
  run(tiny(num_steps=12, batch_size=128), "resident")
  assert "resident on every device" in caplog.text
  caplog.clear()
  run(fed("stream", num_steps=6, batch_size=128), "streamed")
  run(fed("auto", limit=0, num_steps=8, batch_size=128), "streamed")
  on_disk = fed("auto", num_steps=12, batch_size=128)
  on_disk.data.storage, on_disk.data.data_dir = "disk", str(tmp_path / "tfds")
  run(on_disk, "streamed")
  assert caplog.text.count("streamed from the host, 2 batches prefetched") == 3
  assert f"memory-mapped from {tmp_path / 'tfds' / 'genjax_rows'}" in caplog.text
  c = tiny(num_steps=12, batch_size=128)
  (sa, a), (sb, b) = final_state(tmp_path / "resident", c), final_state(tmp_path / "streamed", c)
  assert sa == sb == 12
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-7)


def test_auto_feed_keeps_a_split_resident_up_to_its_limit():
  split = trainer.gdata.load(tiny().data)["train"]
  megabytes = (split.x.nbytes + split.label.nbytes) / 2**20
  at = lambda limit, k=1: trainer.feed(fed("auto", limit, steps_per_dispatch=k), split)
  assert at(megabytes) == "resident" and at(megabytes * 0.99) == "stream"
  assert at(0, k=2) == "resident"   # several steps per dispatch read the resident split


def test_k_steps_per_dispatch_equal_single_steps_across_an_epoch_and_off_the_grid(tmp_path):
  """On the 8 faked devices, 10 steps an epoch: a run stopped at step 6 with single steps and
  resumed with 4 per dispatch takes single steps to 8, then one compiled scan of steps 8-11
  (across the epoch's end); the same states and logged losses as 12 single steps, and its
  checkpoints at 8 and 12."""
  tiny_k = lambda n, k, every: tiny(num_steps=n, log_every=every, checkpoint_every=every, batch_size=128,
                                    steps_per_dispatch=k)
  trainer.train(tiny_k(12, 1, 4), str(tmp_path / "a"))
  trainer.train(tiny_k(6, 1, 2), str(tmp_path / "b"))
  trainer.train(tiny_k(12, 4, 4), str(tmp_path / "b"))
  c = tiny_k(12, 1, 4)
  (sa, a), (sb, b) = final_state(tmp_path / "a", c), final_state(tmp_path / "b", c)
  assert sa == sb == 12 and {8, 12} <= set(Checkpointer(str(tmp_path / "b" / "checkpoints"), 5).steps())
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-7)
  losses = [{r["step"]: r["train/loss"] for r in map(json.loads, open(tmp_path / w / "metrics.jsonl"))
             if "train/loss" in r} for w in "ab"]
  np.testing.assert_allclose(losses[1][12], losses[0][12], rtol=1e-6)   # the mean over the scan's 4 rows


def test_a_dispatch_longer_than_an_epoch_is_refused(tmp_path):
  c = tiny(num_steps=12, log_every=12, checkpoint_every=12, batch_size=128, steps_per_dispatch=12)
  with pytest.raises(ConfigError, match="steps_per_dispatch=12 is invalid: expected at most the 10 steps of an epoch"):
    trainer.train(c, str(tmp_path))
  assert not (tmp_path / "checkpoints").exists()


def test_divergence_inside_a_dispatch_names_its_step(tmp_path):
  c = diverging(8)
  c.log_every, c.steps_per_dispatch = 2, 2
  with pytest.raises(Diverged, match=r"kl is inf at step 3; stopped, keeping the last good checkpoint \(step 2\)"):
    trainer.train(c, str(tmp_path))


def flip_a_byte(checkpoint_dir):
  """Flips one bit in the middle of every array data file (wherever OCDBT put the chunks)."""
  files = [p for p in pathlib.Path(checkpoint_dir, "state").rglob("*")
           if p.is_file() and p.parent.name == "d"]
  assert files
  for target in files:
    raw = bytearray(target.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    target.write_bytes(bytes(raw))


def test_byte_flipped_latest_checkpoint_falls_back_to_previous(tmp_path):
  trainer.train(tiny(), str(tmp_path))
  flip_a_byte(tmp_path / "checkpoints" / "6")
  step, _ = final_state(tmp_path, tiny())
  assert step == 4
  assert (tmp_path / "checkpoints.corrupt" / "6").exists()   # moved aside, not deleted
  assert not (tmp_path / "checkpoints" / "6").exists()


def test_checksum_detects_a_changed_state(tmp_path):
  state = {"w": np.arange(6, dtype=np.float32)}
  ck = Checkpointer(str(tmp_path / "c"), keep=3)
  ck.save(1, state)
  ck.save(2, {"w": state["w"] + 1})
  meta = tmp_path / "c" / "2" / "meta" / "metadata"
  m = json.loads(meta.read_text())
  m["sha256"] = "0" * 64
  meta.write_text(json.dumps(m))
  abstract = {"w": jax.ShapeDtypeStruct((6,), np.float32)}
  step, restored = ck.restore_latest(abstract)
  assert step == 1
  np.testing.assert_array_equal(restored["w"], state["w"])


def test_a_state_split_over_devices_has_one_digest_on_any_mesh_and_old_records_still_verify(tmp_path):
  """Persistent chains split over the data axis enter the checksum by their rows: the same
  digest on 8 devices as on 1 (so on any number of processes), one flipped bit changes it,
  and a checkpoint recorded before row digests (every leaf's bytes) still verifies."""
  from jax.sharding import NamedSharding, PartitionSpec as P
  from genjax.train.checkpoint import digest
  from genjax.train.parallel import make_mesh
  chains = np.arange(48, dtype=np.float32).reshape(16, 3)
  state = lambda mesh, x: {"chains": jax.device_put(x, NamedSharding(mesh, P("data"))),
                           "w": jax.device_put(np.ones(2, np.float32), NamedSharding(mesh, P()))}
  eight, one = make_mesh(), make_mesh(jax.devices()[:1])
  assert digest(state(eight, chains)) == digest(state(one, chains))
  flipped = chains.copy()
  flipped.view(np.uint32)[5, 1] ^= 1
  assert digest(state(eight, flipped)) != digest(state(eight, chains))
  Checkpointer(str(tmp_path), keep=2).save(1, state(eight, chains))
  meta = tmp_path / "1" / "meta" / "metadata"
  record = json.loads(meta.read_text())
  del record["digest"]
  record["sha256"] = digest(state(eight, chains), legacy=True)
  meta.write_text(json.dumps(record))
  abstract = jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=a.sharding),
                          state(eight, chains))
  assert Checkpointer(str(tmp_path), keep=2).restore_latest(abstract)[0] == 1


@pytest.mark.parametrize("field,value,message", [
    ("batch_size", 0, "config.batch_size=0 is invalid: expected a positive integer"),
    ("batch_size", 12, "config.batch_size=12 is invalid: expected a multiple of the 8 devices"),
    ("num_steps", -5, "config.num_steps=-5 is invalid"),
    ("data.name", "imagenet", "config.data.name='imagenet' is invalid: expected one of"),
    ("model.name", "diffusion", "config.model.name='diffusion' is invalid: expected one of autoencoder"),
    ("model.arch", "transformer", "config.model.arch='transformer' is invalid"),
    ("model.latents", 0, "config.model.latents=0 is invalid"),
    ("optim.lr", -1.0, "config.optim.lr=-1.0 is invalid"),
    ("data.scale", "[-1,1]", "config.data.scale='[-1,1]' is invalid"),
    ("steps_per_dispatch", 4, "config.num_steps=6 is invalid: expected a multiple of steps_per_dispatch=4"),
    ("data.feed", "disk", "config.data.feed='disk' is invalid: expected one of auto, resident, stream"),
    ("data.resident_max_mb", -1.0, "config.data.resident_max_mb=-1.0 is invalid: expected a non-negative number"),
])
def test_bad_config_values_fail_before_compiling_with_one_line(tmp_path, field, value, message):
  c = tiny()
  *parents, leaf = field.split(".")
  node = c
  for p in parents:
    node = node[p]
  node[leaf] = value
  with pytest.raises(ConfigError) as e:
    trainer.train(c, str(tmp_path))
  assert message in str(e.value) and "\n" not in str(e.value)
  assert not (tmp_path / "checkpoints").exists()


def test_batch_larger_than_the_split_is_rejected(tmp_path):
  with pytest.raises(ConfigError, match="at most the 1350 examples"):
    trainer.train(tiny(batch_size=1600), str(tmp_path))


def test_resuming_with_a_different_model_is_refused(tmp_path):
  trainer.train(tiny(num_steps=2), str(tmp_path))
  c = tiny()
  c.model.latents = 8
  with pytest.raises(InputError, match="model.latents=16, not 8"):
    trainer.train(c, str(tmp_path))


def diverging(num_steps):
  """The digits VAE at learning rate 10: finite for 2 steps, its KL infinite at step 3."""
  c = load_config("vae_digits")
  c.num_steps, c.checkpoint_every, c.log_every = num_steps, 2, 1
  c.optim.lr = 10.0
  return c


def test_nan_loss_stops_naming_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
  trainer.train(diverging(2), str(tmp_path))
  with pytest.raises(Diverged, match=r"kl is inf at step 3; stopped, keeping the last good checkpoint \(step 2\)"):
    trainer.train(diverging(8), str(tmp_path))
  assert sorted(os.listdir(tmp_path / "checkpoints")) == ["2"]


def test_divergence_before_any_checkpoint_says_none_was_saved(tmp_path):
  c = diverging(8)
  c.checkpoint_every = 4
  with pytest.raises(Diverged, match=r"at step 3; stopped, keeping no checkpoint \(none was saved yet\)"):
    trainer.train(c, str(tmp_path))
  assert not os.listdir(tmp_path / "checkpoints")


def test_checkpoints_that_no_longer_match_the_code_stop_the_run_and_stay_put(tmp_path):
  ck = Checkpointer(str(tmp_path / "c"), keep=3)
  for step in (1, 2):
    ck.save(step, {"w": np.arange(6, dtype=np.float32) + step})
  changed_model = {"w": jax.ShapeDtypeStruct((7,), np.float32)}
  with pytest.raises(InputError, match="no checkpoint in .* could be restored .*code or config may not match"):
    ck.restore_latest(changed_model)
  assert sorted(os.listdir(tmp_path / "c")) == ["1", "2"]
  assert not (tmp_path / "checkpoints.corrupt").exists()


def test_readers_skip_a_corrupt_checkpoint_without_moving_it(tmp_path):
  trainer.train(tiny(), str(tmp_path))
  flip_a_byte(tmp_path / "checkpoints" / "6")
  run = trainer.Run(tiny(), str(tmp_path))
  step, _ = run.checkpoints.restore_latest(run.compiled.abstract_state, move_aside=False)
  run.checkpoints.close()
  assert step == 4 and (tmp_path / "checkpoints" / "6").exists()
