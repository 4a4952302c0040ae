"""Several processes through jax.distributed: two processes on 127.0.0.1 (4 CPU devices each,
gloo collectives) train as one process with 8 devices does, also when killed and resumed.
Every wait is bounded, so a hung collective fails the test instead of hanging the suite."""
import json
import os
import socket
import subprocess
import sys
import time

import jax
import numpy as np

from tests.conftest import REPO

CONFIG = "--config=experiments/configs/ae_mlp_digits.py:smoke"
STEPS = ("--config.num_steps=40", "--config.checkpoint_every=10", "--config.log_every=2")


def _env(devices):
  return {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}",
          "JAX_PLATFORMS": "cpu"}


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def _launch(workdir):
  """Both processes of a two-process `train` run, each driving 4 devices."""
  port = _free_port()
  return [subprocess.Popen(
      [sys.executable, "-m", "experiments.train", CONFIG, f"--workdir={workdir}", *STEPS,
       f"--coordinator_address=127.0.0.1:{port}", "--num_processes=2", f"--process_id={i}",
       "--distributed_timeout=60"], cwd=REPO, env=_env(4), stdout=subprocess.DEVNULL,
      stderr=subprocess.PIPE, text=True) for i in range(2)]


def _finish(procs, timeout=120):
  deadline, errs = time.time() + timeout, []
  try:
    for p in procs:
      errs.append(p.communicate(timeout=max(deadline - time.time(), 1))[1])
  finally:
    for p in procs:
      p.kill()
  for p, err in zip(procs, errs):
    assert p.returncode == 0, err[-2000:]
  return errs


def _kill_after_checkpoint(procs, checkpoints, step, timeout=120):
  deadline = time.time() + timeout
  while not os.path.isdir(os.path.join(checkpoints, str(step))):
    assert time.time() < deadline and all(p.poll() is None for p in procs), \
        "no checkpoint before the processes ended: " + "".join(p.communicate()[1][-1000:] for p in procs)
    time.sleep(0.05)
  for p in procs:
    p.kill()   # SIGKILL
    p.communicate(timeout=30)


def test_two_processes_killed_and_resumed_train_to_one_processes_parameters(tmp_path):
  two, one = tmp_path / "two", tmp_path / "one"
  _kill_after_checkpoint(_launch(two), two / "checkpoints", 10)
  assert "40" not in os.listdir(two / "checkpoints")   # killed mid-run
  errs = _finish(_launch(two))
  assert all("resumed from the checkpoint at step" in err for err in errs)
  r = subprocess.run([sys.executable, "-m", "experiments.train", CONFIG, f"--workdir={one}", *STEPS],
                     cwd=REPO, env=_env(8), capture_output=True, text=True, timeout=120)
  assert r.returncode == 0, r.stderr[-2000:]

  from genjax.train.restore import restore
  (_, step_two, state_two), (_, step_one, state_one) = restore(str(two)), restore(str(one))
  assert step_two == step_one == 40
  # Equal up to the order in which the all-reduce sums the devices' gradients.
  for a, b in zip(jax.tree.leaves(state_two), jax.tree.leaves(state_one)):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
  # Process 0 alone writes the metrics: each logged step once (the killed run's tail dropped).
  rows = [json.loads(l) for l in open(two / "metrics.jsonl")]
  train_steps = [r["step"] for r in rows if "train/loss" in r]
  assert train_steps == list(range(2, 41, 2))
