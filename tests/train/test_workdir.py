"""A workdir holds one run: one writer, a log each step appears in once, a config.json that
records only an accepted run (resolved, merged onto today's defaults when read)."""
import json
import os
import shutil
import struct

import pytest

from genjax import evaluation
from genjax.errors import ConfigError, InputError
from genjax.train import trainer, workdir as wd
from tests.conftest import load_config
from tests.train.test_trainer import flip_a_byte, tiny


def test_a_second_writer_is_refused_naming_the_holder_and_the_lock_is_released(tmp_path):
  with wd.locked(str(tmp_path)):
    with pytest.raises(InputError, match=rf"--workdir={tmp_path} is in use by process {os.getpid()} "):
      trainer.train(tiny(num_steps=2), str(tmp_path))
    assert not (tmp_path / "checkpoints").exists()
  trainer.train(tiny(num_steps=2), str(tmp_path))     # released when the holder exits
  trainer.train(tiny(num_steps=4), str(tmp_path))     # and by a finished run
  assert sorted(os.listdir(tmp_path / "checkpoints")) == ["2", "4"]


def tensorboard_scalars(directory):
  """(tag, step) of every scalar TensorBoard shows, applying its purge rule: a SessionLog
  START at step p drops the events with step >= p written before it."""
  from tensorboardX.proto import event_pb2
  seen = []
  for path in sorted(directory.glob("events.out.tfevents.*")):     # TensorBoard's order: by name
    raw = path.read_bytes()
    i = 0
    while i < len(raw):
      (n,) = struct.unpack("<Q", raw[i:i + 8])
      event = event_pb2.Event.FromString(raw[i + 12:i + 12 + n])
      i += 12 + n + 4
      if event.HasField("session_log") and event.session_log.status == event.session_log.START:
        seen = [(t, s) for t, s in seen if s < event.step]
      for v in event.summary.value:
        if v.HasField("simple_value"):
          seen.append((v.tag, event.step))
  return seen


def test_resume_drops_what_was_logged_after_the_restored_step(tmp_path):
  c = tiny(num_steps=6, checkpoint_every=4, log_every=1)
  trainer.train(c, str(tmp_path))
  shutil.rmtree(tmp_path / "checkpoints" / "6")        # a crash after step 6 was logged, before its save
  trainer.train(c, str(tmp_path))                      # resumes at 4, trains 5 and 6 again
  rows = [json.loads(l) for l in open(tmp_path / "metrics.jsonl")]
  assert [r["step"] for r in rows if "train/loss" in r] == [1, 2, 3, 4, 5, 6]
  assert [r["step"] for r in rows if "eval/loss" in r] == [6]
  scalars = tensorboard_scalars(tmp_path / "tensorboard")
  assert sorted(s for t, s in scalars if t == "train/loss") == [1, 2, 3, 4, 5, 6]
  assert len(scalars) == len(set(scalars))
  trainer.train(c, str(tmp_path))                      # finished: re-evaluates step 6 only
  again = [json.loads(l) for l in open(tmp_path / "metrics.jsonl")]
  assert [r["step"] for r in again if "eval/loss" in r] == [6] and len(again) == len(rows)
  scalars = tensorboard_scalars(tmp_path / "tensorboard")
  assert sorted(s for t, s in scalars if t == "train/loss") == [1, 2, 3, 4, 5, 6]
  assert sorted(s for t, s in scalars if t == "eval/loss") == [6] and len(scalars) == len(set(scalars))


def test_every_checkpoint_corrupt_stops_with_one_line_and_moves_nothing(tmp_path):
  trainer.train(tiny(), str(tmp_path))
  for step in ("2", "4", "6"):
    flip_a_byte(tmp_path / "checkpoints" / step)
  with pytest.raises(InputError, match=r"none of the 3 checkpoint\(s\) in .* verifies \(newest, step 6: ") as e:
    trainer.train(tiny(), str(tmp_path))
  assert "\n" not in str(e.value)
  assert sorted(os.listdir(tmp_path / "checkpoints")) == ["2", "4", "6"]
  assert not (tmp_path / "checkpoints.corrupt").exists()


def test_a_refused_run_does_not_rewrite_config_json(tmp_path):
  trainer.train(tiny(num_steps=2), str(tmp_path))
  (tmp_path / "config.json").unlink()                 # lost
  other = tiny(num_steps=4)
  other.model.latents = 8
  with pytest.raises(InputError, match="could be restored .*differently shaped parameters"):
    trainer.train(other, str(tmp_path))
  assert not (tmp_path / "config.json").exists()
  trainer.train(tiny(num_steps=4), str(tmp_path))     # the run's own command still resumes it
  assert json.loads((tmp_path / "config.json").read_text())["model"]["latents"] == 16


def test_saved_paths_are_resolved_so_a_workdir_works_from_any_directory(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  (tmp_path / "raw").mkdir()
  c = tiny(num_steps=2)
  c.data.manual_dir, c.data.data_dir = "raw", "tfds"
  trainer.train(c, "run")
  saved = json.loads((tmp_path / "run" / "config.json").read_text())
  assert saved["data"]["manual_dir"] == str(tmp_path / "raw")
  assert saved["data"]["data_dir"] == str(tmp_path / "tfds")
  monkeypatch.chdir(tmp_path / "raw")
  assert evaluation.evaluate(str(tmp_path / "run"))["step"] == 2


def test_a_run_saved_before_a_field_existed_still_evaluates_and_resumes(tmp_path):
  old = tiny(num_steps=2)
  old.data.validation_fraction, old.data.eval_split = 0.0, "test"   # as runs were trained then
  trainer.train(old, str(tmp_path))
  saved = json.loads((tmp_path / "config.json").read_text())
  del saved["optim"]["momentum"], saved["sample_chunk"], saved["model"]["loss"]
  del saved["data"]["validation_fraction"], saved["evals"]
  saved["eval_every"] = 7                                            # a field that moved since
  (tmp_path / "config.json").write_text(json.dumps(saved))
  config = trainer.load_config(str(tmp_path))
  assert (config.optim.momentum, config.sample_chunk, config.model.loss) == (0.0, 1000, "bce")
  assert config.data.validation_fraction == 0.0      # not today's 0.1: the run saw all of train
  assert config.evals.eval.every == 7 and "eval_every" not in config
  assert evaluation.evaluate(str(tmp_path))["step"] == 2
  resumed = tiny(num_steps=4)
  resumed.data.validation_fraction, resumed.data.eval_split = 0.0, "test"
  resumed.evals.eval.every = 7
  trainer.train(resumed, str(tmp_path))              # today's config equals the upgraded one


def test_a_family_declares_which_of_its_fields_may_change_on_resume(tmp_path):
  c = load_config("vae_digits")
  c.num_steps = 2
  trainer.train(c, str(tmp_path))
  c.num_steps, c.model.eval_k, c.model.eval_chunk = 4, 16, 8   # the VAE's evaluation-only fields
  trainer.train(c, str(tmp_path))
  c.model.k = 2                                                # a training field
  with pytest.raises(InputError, match=r"holds a run with config.model.k=1, not 2"):
    trainer.train(c, str(tmp_path))


def test_a_run_is_not_resumed_with_fewer_steps_than_it_reached(tmp_path):
  trainer.train(tiny(num_steps=4), str(tmp_path))
  with pytest.raises(ConfigError, match=r"config.num_steps=2 is invalid: expected at least the step "
                                        r"the run in .* has reached \(4\)"):
    trainer.train(tiny(num_steps=2), str(tmp_path))
  rows = [json.loads(l) for l in open(tmp_path / "metrics.jsonl")]
  assert [r["step"] for r in rows if "eval/loss" in r] == [4]      # nothing logged twice
