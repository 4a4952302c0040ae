"""The binaries as a user runs them: flags in, one line out on bad input, resume after SIGKILL."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, process_env

ENV = process_env()
DIGITS = "experiments/configs/ae_mlp_digits.py"

def run(*args, timeout=300):
  return subprocess.run([sys.executable, "-m", *args], cwd=REPO, env=ENV, capture_output=True,
                        text=True, timeout=timeout)

def test_train_sample_evaluate(tmp_path):
  wd = str(tmp_path / "run")
  r = run("experiments.train", f"--config={DIGITS}:smoke", f"--workdir={wd}")
  assert r.returncode == 0, r.stderr[-2000:]
  r = run("experiments.sample", f"--workdir={wd}", "--num=10")
  assert r.returncode == 0, r.stderr[-2000:]
  assert (tmp_path / "run" / "samples" / "sample_step4_seed0.png").exists()
  assert (tmp_path / "run" / "samples" / "sample_step4_seed0_reconstructions.png").exists()
  import numpy as np
  assert np.load(tmp_path / "run" / "samples" / "sample_step4_seed0.npy").shape == (10, 8, 8, 1)
  r = run("experiments.evaluate", f"--workdir={wd}")
  assert r.returncode == 0, r.stderr[-2000:]
  out = json.loads(r.stdout.strip().splitlines()[-1])
  assert out["step"] == 4 and out["num_examples"] == 297 and out["dataset"] == "digits"
  assert out["evals"]["eval"]["metrics"]["loss"] > 0 and out["evals"]["eval"]["replicates"] == 2
  assert out["evals"]["eval"]["metrics"]["loss_mc_se"] == 0.0     # the autoencoder draws nothing

def test_sigkill_then_the_same_command_resumes(tmp_path):
  wd = tmp_path / "run"
  cmd = [sys.executable, "-m", "experiments.train", f"--config={DIGITS}", f"--workdir={wd}",
         "--config.num_steps=200000", "--config.checkpoint_every=500", "--config.log_every=500"]
  p = subprocess.Popen(cmd, cwd=REPO, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  try:
    deadline = time.time() + 120
    while not (wd / "checkpoints" / "1000").exists() and time.time() < deadline:
      time.sleep(0.2)
    assert (wd / "checkpoints" / "1000").exists()
  finally:
    p.send_signal(signal.SIGKILL)
    p.wait()
  r = subprocess.run(cmd[:-3] + ["--config.num_steps=2000", "--config.checkpoint_every=500",
                                  "--config.log_every=500"],
                     cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
  assert r.returncode == 0, r.stderr[-2000:]
  assert "resumed from the checkpoint at step" in r.stderr
  assert (wd / "checkpoints" / "2000").exists()

def test_sigterm_saves_and_stops(tmp_path):
  wd = tmp_path / "run"
  cmd = [sys.executable, "-m", "experiments.train", f"--config={DIGITS}", f"--workdir={wd}",
         "--config.num_steps=10000000", "--config.checkpoint_every=1000000", "--config.log_every=100"]
  p = subprocess.Popen(cmd, cwd=REPO, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
  deadline = time.time() + 120
  while not (wd / "metrics.jsonl").exists() and time.time() < deadline:
    time.sleep(0.2)
  p.send_signal(signal.SIGTERM)
  _, err = p.communicate(timeout=120)
  assert p.returncode == 0, err[-2000:]
  assert "received: saved step" in err
  assert len(os.listdir(wd / "checkpoints")) == 1

def test_benchmark_prints_one_json_line():
  r = run("experiments.benchmark", "--workload=ae_mlp", "--steps=50", "--warmup=2")
  assert r.returncode == 0, r.stderr[-2000:]
  out = json.loads(r.stdout.strip().splitlines()[-1])
  for key in ("workload", "framework", "examples_per_sec", "steps", "batch", "first_loss",
              "final_loss", "compile_s", "gflops_per_sec", "devices", "backend"):
    assert key in out
  assert out["framework"] == "genjax" and out["first_loss"] > out["final_loss"]
  assert out["reuse_freed_memory"] is True and out["peak_host_memory_bytes"] > 0   # the binaries' default
  assert out["devices"] == 1   # one CPU device unless --cpu_devices says otherwise

def test_benchmark_of_a_missing_family_is_one_line():
  from genjax import benchmark
  from genjax.errors import InputError
  fake = {"w9": benchmark.Workload("no_such_family", 8, 1.0, 10)}
  with pytest.raises(InputError, match="workload w9 needs the 'no_such_family' family"):
    benchmark.check_family("w9", fake)


def test_benchmark_runs_w5_beside_its_plain_step():
  r = run("experiments.benchmark", "--workload=rbm_cd1", "--steps=20", "--warmup=1")
  assert r.returncode == 0, r.stderr[-2000:]
  out = json.loads(r.stdout.strip().splitlines()[-1])
  assert out["workload"] == "rbm_cd1" and out["examples_per_sec"] > 0 and out["plain_jax_examples_per_sec"] > 0

def test_benchmark_all_prints_a_line_per_entry_with_its_model_flops():
  """`--all` runs each chosen entry in its own process: a workload beside its plain step and a
  main config on embedded data, each with XLA's count of the step's FLOPs, and each with the
  parent's host allocator flag and CPU devices (the library's step data-parallel over both)."""
  r = run("experiments.benchmark", "--all", "--entries=rbm_cd1,rbm_binarized_mnist", "--steps=4",
          "--warmup=1", "--reuse_freed_memory=false", "--cpu_devices=2")
  assert r.returncode == 0, r.stderr[-2000:]
  w, c = [json.loads(line) for line in r.stdout.strip().splitlines()]
  assert w["workload"] == "rbm_cd1" and w["plain_jax_examples_per_sec"] > 0
  assert c["config"] == "experiments/configs/rbm_binarized_mnist.py" and c["examples_per_sec"] > 0
  assert w["reuse_freed_memory"] is False and c["reuse_freed_memory"] is False
  assert w["devices"] == 2 and c["devices"] == 2
  # CD-1 on a 784 x 500 RBM: at least the four (100 x 784 x 500) products of its update.
  assert w["flops_per_step"] >= 4 * 2 * 100 * 784 * 500 and c["flops_per_step"] > 0
  assert w["mfu"] is None and w["tflops_per_sec"] == w["flops_per_step"] * w["examples_per_sec"] / 100 / 1e12

def test_benchmark_times_an_experiment_config():
  r = run("experiments.benchmark", f"--config={DIGITS}:smoke", "--steps=10", "--warmup=1")
  assert r.returncode == 0, r.stderr[-2000:]
  out = json.loads(r.stdout.strip().splitlines()[-1])
  assert out["config"] == f"{DIGITS}:smoke" and out["model"] == "autoencoder" and out["examples_per_sec"] > 0
  assert "peak_memory_bytes" in out


def test_sigterm_inside_augment_saves_and_stops_with_one_line(tmp_path):
  wd = tmp_path / "augment"
  cmd = [sys.executable, "-m", "experiments.augment", "--config=experiments/configs/augment_mnist.py:smoke",
         f"--workdir={wd}", "--config.gan.data.name=mnist_like", "--config.classifier.data.name=mnist_like",
         "--config.gan.model.g_hidden=(8, 4)", "--config.gan.model.d_hidden=(4, 8)",
         "--config.gan.num_steps=1000000", "--config.gan.log_every=1"]
  p = subprocess.Popen(cmd, cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  deadline = time.time() + 120
  while not (wd / "real20" / "seed0" / "gan" / "metrics.jsonl").exists() and time.time() < deadline:
    time.sleep(0.2)
  p.send_signal(signal.SIGTERM)
  out, err = p.communicate(timeout=120)
  lines = [l for l in err.splitlines() if l.strip()]
  assert p.returncode == 0 and lines[-1].startswith("stopped: stopped by a signal during "), err[-2000:]
  assert "Traceback" not in err and out == ""
  assert len(os.listdir(wd / "real20" / "seed0" / "gan" / "checkpoints")) == 1   # saved where it stopped
