"""Several processes through jax.distributed: two processes on 127.0.0.1 (4 CPU devices each,
gloo collectives) train as one process with 8 devices does, on either data feed, also when
killed and resumed.
Every wait is bounded, so a hung collective fails the test instead of hanging the suite."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import jax
import numpy as np

from tests.conftest import REPO, process_env

# A persistent-chain RBM: its chains are split over the devices (and so over the processes),
# its weights replicated; checkpoints verify both without gathering the chains on one host.
CONFIG = "--config=experiments/configs/rbm_binarized_mnist.py:smoke"
STEPS = ("--config.num_steps=40", "--config.checkpoint_every=10", "--config.log_every=2",
         "--config.data.name=mnist_like", "--config.data.binarize=threshold",
         "--config.data.train_split=train", "--config.data.eval_split=test")


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def _launch(workdir, *flags):
  """Both processes of a two-process `train` run, each driving 4 devices."""
  port = _free_port()
  return [subprocess.Popen(
      [sys.executable, "-m", "experiments.train", CONFIG, f"--workdir={workdir}", *STEPS, *flags,
       f"--coordinator_address=127.0.0.1:{port}", "--num_processes=2", f"--process_id={i}",
       "--distributed_timeout=60"], cwd=REPO, env=process_env(4), stdout=subprocess.DEVNULL,
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


def _await_checkpoint(procs, checkpoints, step, timeout=120):
  deadline = time.time() + timeout
  while not os.path.isdir(os.path.join(checkpoints, str(step))):
    if time.time() > deadline or any(p.poll() is not None for p in procs):
      for p in procs:
        p.kill()
      raise AssertionError(f"no checkpoint at step {step} before the processes ended: " +
                           "".join(p.communicate()[1][-1000:] for p in procs))
    time.sleep(0.05)


def _kill_after_checkpoint(procs, checkpoints, step):
  _await_checkpoint(procs, checkpoints, step)
  for p in procs:
    p.kill()   # SIGKILL
    p.communicate(timeout=30)


def test_two_processes_stopped_killed_and_resumed_train_to_one_processes_parameters(tmp_path):
  """SIGTERM to process 1 alone stops both at one step, saved; then, streaming its batches
  from the hosts, the run is SIGKILLed; resumed with the split resident, it ends where one
  process with 8 devices does."""
  two, one = tmp_path / "two", tmp_path / "one"
  procs = _launch(two)
  _await_checkpoint(procs, two / "checkpoints", 10)
  procs[1].send_signal(signal.SIGTERM)
  errs = _finish(procs)
  saved = [re.search(r"saved step (\d+) and stopped", err) for err in errs]
  assert all(saved) and saved[0][1] == saved[1][1] and saved[0][1] != "40", errs[0][-1000:]
  assert "signal to another process received" in errs[0] and "signal 15 received" in errs[1]
  _kill_after_checkpoint(_launch(two, "--config.data.feed=stream"), two / "checkpoints", 20)
  assert "40" not in os.listdir(two / "checkpoints")   # killed mid-run
  errs = _finish(_launch(two))
  assert all("resumed from the checkpoint at step" in err for err in errs)
  r = subprocess.run([sys.executable, "-m", "experiments.train", CONFIG, f"--workdir={one}", *STEPS],
                     cwd=REPO, env=process_env(8), capture_output=True, text=True, timeout=120)
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
