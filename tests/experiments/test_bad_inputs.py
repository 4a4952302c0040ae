"""Every bad input to every binary, as a user types it: one line `error: ...`, its exit status,
and no file created or changed. New validations get a row here.

Each row runs the real binary (`python -m` its module, with the row's argv) in a process of
its own, in a folder of its own holding a trained smoke run (`run/`), a regular file (`afile`)
and whatever the row's setup adds; the folder is fingerprinted (paths, sizes, bytes) before and
after. The processes are forked from a server that has imported jax, flax, orbax and genjax
once (no JAX backend started), so 90-odd rows do not each pay ~1.3 s of imports.
"""
import concurrent.futures
import fcntl
import hashlib
import json
import os
import pathlib
import queue
import re
import select
import shutil
import subprocess
import sys

import pytest

from genjax.train import trainer
from tests.conftest import REPO, load_config, process_env

ENV = process_env()
DIGITS = str(REPO / "experiments/configs/ae_mlp_digits.py")
AUGMENT = str(REPO / "experiments/configs/augment_mnist.py")
TRAIN = ("experiments.train", f"--config={DIGITS}:smoke")


def train_smoke(config):
  """experiments.train on a config's smoke variant, into a new workdir."""
  return ("experiments.train", f"--config={REPO / 'experiments/configs' / config}.py:smoke", "--workdir=w")


PIXELCNN, PIXELCNN_MNIST = train_smoke("pixelcnn_binarized_mnist"), train_smoke("pixelcnn_mnist")
GATED_CIFAR = train_smoke("gated_pixelcnn_cifar10")
GLOW = train_smoke("glow_mnist")
LOG_LINE = re.compile(r"^[IWE]\d{4} \d\d:\d\d:\d\d\.\d+ ")   # absl's prefix: I1126 15:07:07.466002


def garbage_config(row):
  (row / "run" / "config.json").write_text("{not json")


def empty_config(row):
  (row / "run" / "config.json").write_text("")


def other_model_config(row):
  (row / "run" / "config.json").write_text('{"seed": 0}')


def held_lock(row):
  """Another process (this test) holds the run's lock."""
  fd = os.open(row / "run" / "lock", os.O_RDWR)
  fcntl.flock(fd, fcntl.LOCK_EX)
  return fd


# (id, argv, setup, exit status, fragment of the one line)
ROWS = [
    # train: flags and config values
    ("train-unknown-config-field", TRAIN + ("--workdir=w", "--config.model.nonexistent=3"), None, 2,
     "--config.model.nonexistent names no field of the config"),
    ("train-unknown-top-level-field", TRAIN + ("--workdir=w", "--config.nonexistent=3"), None, 2,
     "--config.nonexistent names no field of the config"),
    ("train-bfloat16-on-a-cpu", TRAIN + ("--workdir=w", "--config.precision=bfloat16"), None, 2,
     "config.precision='bfloat16' is invalid: expected 'float32' on a CPU"),
    ("train-missing-config-file", ("experiments.train", "--config=missing.py", "--workdir=w"), None, 2,
     "flag --config=missing.py: OSError: [Errno 2] No such file or directory: 'missing.py'"),
    ("train-unknown-config-variant", ("experiments.train", f"--config={DIGITS}:nonexistent", "--workdir=w"),
     None, 2, "config argument 'nonexistent' is not known: expected 'smoke' or nothing"),
    ("train-config-not-python", ("experiments.train", "--config=afile", "--workdir=w"), None, 2,
     "flag --config=afile"),
    ("train-no-workdir", TRAIN, None, 2, "Flag --workdir must have a value other than None"),
    ("train-empty-workdir", TRAIN + ("--workdir=",), None, 2, "--workdir='' is invalid: expected a directory path"),
    ("train-workdir-is-a-file", TRAIN + ("--workdir=afile",), None, 2,
     "--workdir=afile is a file: expected a directory"),
    ("train-workdir-cannot-be-created", TRAIN + ("--workdir=/proc/1/genjax-run",), None, 2,
     "--workdir=/proc/1/genjax-run cannot be created or written: /proc/1 is not a writable directory"),
    ("train-unknown-flag", TRAIN + ("--workdir=w", "--nonsense=1"), None, 2, "Unknown command line flag 'nonsense'"),
    ("train-int-field-not-a-number", TRAIN + ("--workdir=w", "--config.batch_size=abc"), None, 2,
     "flag --config.batch_size=abc: invalid literal for int()"),
    ("train-float-field-not-a-number", TRAIN + ("--workdir=w", "--config.optim.lr=fast"), None, 2,
     "flag --config.optim.lr=fast"),
    ("train-negative-seed", TRAIN + ("--workdir=w", "--config.seed=-1"), None, 2,
     "config.seed=-1 is invalid: expected a non-negative integer"),
    ("train-zero-batch", TRAIN + ("--workdir=w", "--config.batch_size=0"), None, 2,
     "config.batch_size=0 is invalid: expected a positive integer"),
    ("train-negative-eval-batch", TRAIN + ("--workdir=w", "--config.eval_batch_size=-8"), None, 2,
     "config.eval_batch_size=-8 is invalid"),
    ("train-batch-over-the-split", TRAIN + ("--workdir=w", "--config.batch_size=1600"), None, 2,
     "config.batch_size=1600 is invalid: expected at most the 1350 examples"),
    ("train-negative-steps", TRAIN + ("--workdir=w", "--config.num_steps=-5"), None, 2, "config.num_steps=-5 is invalid"),
    ("train-zero-log-every", TRAIN + ("--workdir=w", "--config.log_every=0"), None, 2, "config.log_every=0 is invalid"),
    ("train-zero-keep", TRAIN + ("--workdir=w", "--config.keep_checkpoints=0"), None, 2,
     "config.keep_checkpoints=0 is invalid"),
    ("train-bad-evaluator-schedule", TRAIN + ("--workdir=w", "--config.evals.eval.every=-2"), None, 2,
     "config.evals.eval.every=-2 is invalid: expected N > 0 steps, 0 (at the end) or -1"),
    ("train-unknown-evaluator-kind", TRAIN + ("--workdir=w", "--config.evals.eval.kind=fid"), None, 2,
     "config.evals.eval.kind='fid' is invalid: expected one of per_example"),
    ("train-eval-on-a-split-it-trains-on", TRAIN + ("--workdir=w", "--config.data.eval_split=train"), None, 2,
     "config.data.eval_split='train' is invalid: expected a split the run does not train on"),
    ("train-validation-fraction-of-one", TRAIN + ("--workdir=w", "--config.data.validation_fraction=1.0"),
     None, 2, "config.data.validation_fraction=1.0 is invalid"),
    ("train-zero-sample-chunk", TRAIN + ("--workdir=w", "--config.sample_chunk=0"), None, 2,
     "config.sample_chunk=0 is invalid"),
    ("train-unknown-data-set", TRAIN + ("--workdir=w", "--config.data.name=imagenet"), None, 2,
     "config.data.name='imagenet' is invalid: expected one of"),
    ("train-unknown-split", TRAIN + ("--workdir=w", "--config.data.train_split=valid"), None, 2,
     "config.data.train_split='valid' is invalid: expected a split of digits (train, test, validation)"),
    ("train-unknown-binarisation", TRAIN + ("--workdir=w", "--config.data.binarize=sometimes"), None, 2,
     "config.data.binarize='sometimes' is invalid"),
    ("train-negative-subset", TRAIN + ("--workdir=w", "--config.data.train_subset=-1"), None, 2,
     "config.data.train_subset=-1 is invalid"),
    ("train-data-dir-is-a-file", TRAIN + ("--workdir=w", "--config.data.data_dir=afile"), None, 2,
     "config.data.data_dir='afile' is invalid: expected a directory"),
    ("train-missing-manual-dir", TRAIN + ("--workdir=w", "--config.data.manual_dir=nowhere"), None, 2,
     "config.data.manual_dir='nowhere' is invalid: expected an existing directory"),
    ("train-missing-augment-file", TRAIN + ("--workdir=w", "--config.data.augment_with=missing.npz"), None, 2,
     "config.data.augment_with='missing.npz' is invalid: expected an existing .npz file"),
    ("train-unknown-model", TRAIN + ("--workdir=w", "--config.model.name=diffusion"), None, 2,
     "config.model.name='diffusion' is invalid: expected one of autoencoder"),
    ("train-loss-the-family-lacks", TRAIN + ("--workdir=w", "--config.model.loss=hinge"), None, 2,
     "config.model.loss='hinge' is invalid: expected one of bce, mse"),
    ("train-unknown-arch", TRAIN + ("--workdir=w", "--config.model.arch=transformer"), None, 2,
     "config.model.arch='transformer' is invalid"),
    ("train-scale-the-model-cannot-output", TRAIN + ("--workdir=w", "--config.data.scale=[-1,1]"), None, 2,
     "config.data.scale='[-1,1]' is invalid"),
    ("train-absurd-learning-rate", TRAIN + ("--workdir=w", "--config.optim.lr=1e12"), None, 2,
     "config.optim.lr=1000000000000.0 is invalid: expected a positive learning rate of at most 10"),
    ("train-unknown-optimiser", TRAIN + ("--workdir=w", "--config.optim.name=lbfgs"), None, 2,
     "config.optim.name='lbfgs' is invalid"),
    ("train-adam-beta-of-one", TRAIN + ("--workdir=w", "--config.optim.b2=1.0"), None, 2,
     "config.optim.b1=(0.9, 1.0) is invalid: expected Adam's b1 and b2 in [0, 1)"),
    # train: autoregressive configs
    ("train-autoregressive-unknown-arch", PIXELCNN + ("--config.model.arch=wavenet",), None, 2,
     "config.model.arch='wavenet' is invalid: expected one of nade, made, pixelcnn"),
    ("train-bernoulli-head-on-grey-levels", PIXELCNN_MNIST + ("--config.model.head=bernoulli",), None, 2,
     "config.model.head='bernoulli' is invalid: expected 'bernoulli' for binary data and only for it"),
    ("train-categorical-head-on-colour", GATED_CIFAR + ("--config.model.head=categorical",), None, 2,
     "config.model.head='categorical' is invalid: expected 'logistic_mixture' for colour images"),
    ("train-autoregressive-dequantized", PIXELCNN_MNIST + ("--config.data.dequantize=True",), None, 2,
     "config.data.dequantize=True is invalid: expected False: an autoregressive model's likelihood is discrete"),
    ("train-conditional-pixelcnn", PIXELCNN + ("--config.model.conditional=True",), None, 2,
     "config.model.conditional=True is invalid: expected False, or arch='gated_pixelcnn' on a labelled data set"),
    ("train-mask-sets-without-made", PIXELCNN + ("--config.model.num_masks=2",), None, 2,
     "config.model.num_masks=2 is invalid: expected 1 and order_agnostic=False except for MADE"),
    # train: flow configs
    ("train-flow-without-dequantization", GLOW + ("--config.data.dequantize=False",), None, 2,
     "config.data.dequantize=False is invalid: expected True with model.dequantization='uniform'"),
    ("train-flow-with-more-levels-than-halvings", GLOW + ("--config.model.levels=3",), None, 2,
     "config.model.levels=3 is invalid: expected at most the number of times (28, 28) halves evenly"),
    ("train-glow-on-2d-points", train_smoke("realnvp_toy2d") + ("--config.model.arch=glow",), None, 2,
     "config.model.arch='glow' is invalid: expected nice, realnvp, spline, maf or iaf for vector data"),
    ("train-flow-negative-temperature", GLOW + ("--config.model.temperature=-1.0",), None, 2,
     "config.model.temperature=-1.0 is invalid: expected a positive number"),
    # train: RBM configs
    ("train-rbm-on-grey-levels", train_smoke("rbm_binarized_mnist") + ("--config.data.name=mnist",), None, 2,
     "config.data.binarize='none' is invalid: expected 'dynamic' or 'threshold' (a Bernoulli RBM needs binary data)"),
    ("train-pcd-with-mean-field-chains", train_smoke("rbm_binarized_mnist") + ("--config.model.mean_field_visible=True",),
     None, 2, "config.model.mean_field_visible=True is invalid: expected False with persistent=True"),
    ("train-bm-on-64-units", train_smoke("bm_toy") + ("--config.data.name=digits", "--config.data.binarize=threshold"),
     None, 2, "config.data.name='digits' is invalid: expected a data set of at most 20 binary values per example"),
    ("train-dbn-with-more-stages-than-layers", train_smoke("dbn_binarized_mnist") + ("--config.model.hiddens=(16,)",),
     None, 2, "config.model.hiddens=(16,) is invalid: expected at least 2 layers, one per stage"),
    ("train-ebm-buffer-not-in-lanes", train_smoke("ebm_mnist") + ("--config.model.buffer_size=100",), None, 2,
     "config.model.buffer_size=100 is invalid: expected a multiple of batch_size=16"),
    # train: workdirs that hold something else
    ("train-resume-with-another-model", TRAIN + ("--workdir=run", "--config.model.latents=3"), None, 2,
     "--workdir=run holds a run with config.model.latents=16, not 3"),
    ("train-workdir-in-use", TRAIN + ("--workdir=run",), held_lock, 2, "--workdir=run is in use by process"),
    ("train-garbage-config-json", TRAIN + ("--workdir=run",), garbage_config, 2,
     "run/config.json is unreadable (JSONDecodeError"),
    ("train-config-json-without-model", TRAIN + ("--workdir=run",), other_model_config, 2,
     "run/config.json is not a genjax run config"),
    # evaluate
    ("evaluate-no-run", ("experiments.evaluate", "--workdir=missing"), None, 2, "--workdir=missing has no config.json"),
    ("evaluate-workdir-is-a-file", ("experiments.evaluate", "--workdir=afile"), None, 2, "--workdir=afile is a file"),
    ("evaluate-empty-workdir", ("experiments.evaluate", "--workdir="), None, 2, "--workdir='' is invalid"),
    ("evaluate-unknown-split", ("experiments.evaluate", "--workdir=run", "--split=valid"), None, 2,
     "--split=valid is not a split of digits"),
    ("evaluate-negative-k", ("experiments.evaluate", "--workdir=run", "--k=-1"), None, 2, "--k=-1 is invalid"),
    ("evaluate-negative-seed", ("experiments.evaluate", "--workdir=run", "--seed=-2"), None, 2, "--seed=-2 is invalid"),
    ("evaluate-negative-samples", ("experiments.evaluate", "--workdir=run", "--num_samples=-1"), None, 2,
     "flag --num_samples=-1: -1 is not"),
    ("evaluate-missing-classifier", ("experiments.evaluate", "--workdir=run", "--classifier=nowhere"), None, 2,
     "--classifier=nowhere is not a run directory"),
    ("evaluate-missing-inception-weights", ("experiments.evaluate", "--workdir=run",
                                            "--inception_weights=missing.npz"), None, 2,
     "--inception_weights=missing.npz does not exist"),
    ("evaluate-negative-truncation", ("experiments.evaluate", "--workdir=run", "--truncation=-0.5"), None, 2,
     "--truncation=-0.5 is invalid: expected 0 (untruncated)"),
    ("evaluate-truncation-of-an-autoencoder", ("experiments.evaluate", "--workdir=run", "--truncation=0.5"), None, 2,
     "--truncation=0.5 is invalid for --workdir=run: its model is 'autoencoder', expected a GAN"),
    ("sample-truncation-of-an-autoencoder", ("experiments.sample", "--workdir=run", "--truncation=1"), None, 2,
     "--truncation=1.0 is invalid for --workdir=run: its model is 'autoencoder'"),
    ("evaluate-zero-truncation-of-an-autoencoder", ("experiments.evaluate", "--workdir=run", "--truncation=0"), None, 2,
     "--truncation=0.0 is invalid for --workdir=run: its model is 'autoencoder', expected a GAN"),
    ("evaluate-empty-config-json", ("experiments.evaluate", "--workdir=run"), empty_config, 2,
     "run/config.json is unreadable"),
    # sample
    ("sample-no-run", ("experiments.sample", "--workdir=missing"), None, 2, "--workdir=missing has no config.json"),
    ("sample-zero-samples", ("experiments.sample", "--workdir=run", "--num=0"), None, 2, "flag --num=0: 0 is not"),
    ("sample-negative-seed", ("experiments.sample", "--workdir=run", "--seed=-1"), None, 2, "flag --seed=-1"),
    ("sample-output-under-a-file", ("experiments.sample", "--workdir=run", "--out=afile/grid"), None, 2,
     "--out=afile/grid cannot be created or written: "),
    ("sample-output-cannot-be-created", ("experiments.sample", "--workdir=run", "--out=/proc/genjax/grid"),
     None, 2, "cannot create /proc/genjax"),
    ("sample-garbage-config-json", ("experiments.sample", "--workdir=run"), garbage_config, 2,
     "run/config.json is unreadable"),
    # several hosts (every binary)
    ("distributed-address-alone", ("experiments.train", f"--config={DIGITS}", "--workdir=run",
                                   "--coordinator_address=127.0.0.1:1234"), None, 2,
     "--coordinator_address, --num_processes and --process_id go together"),
    ("distributed-process-id-out-of-range", ("experiments.evaluate", "--workdir=run",
                                             "--coordinator_address=127.0.0.1:1234", "--num_processes=2",
                                             "--process_id=2"), None, 2,
     "--process_id=2 is out of range: expected 0 .. 1"),
    ("distributed-no-cluster", ("experiments.evaluate", "--workdir=run", "--distributed"), None, 2,
     "jax.distributed did not start (coordinator_address should be defined"),
    # benchmark
    ("benchmark-unknown-workload", ("experiments.benchmark", "--workload=nope"), None, 2,
     "flag --workload=nope: value should be one of"),
    ("benchmark-negative-steps", ("experiments.benchmark", "--steps=-4"), None, 2,
     "flag --steps=-4: -4 is not a non-negative integer"),
    ("benchmark-negative-warmup", ("experiments.benchmark", "--warmup=-1"), None, 2, "flag --warmup=-1"),
    ("benchmark-missing-config-file", ("experiments.benchmark", "--config=missing.py"), None, 2,
     "flag --config=missing.py: OSError: [Errno 2] No such file or directory: 'missing.py'"),
    ("benchmark-bad-config-value", ("experiments.benchmark", f"--config={DIGITS}:smoke", "--config.batch_size=0"),
     None, 2, "config.batch_size=0 is invalid"),
    ("benchmark-all-on-several-hosts", ("experiments.benchmark", "--all", "--distributed"), None, 2,
     "--all times each entry in a process of its own: launch it without"),
    ("benchmark-sampling-another-workload", ("experiments.benchmark", "--workload=ae_mlp", "--sampling"), None, 2,
     "--sampling times the pixelcnn workload's samplers or --config's"),
    ("benchmark-sampling-without-a-fast-sampler", ("experiments.benchmark", f"--config={DIGITS}:smoke", "--sampling"),
     None, 2, "(autoencoder, None) has no fast sampler; expected an arch among pixelcnn"),
    ("benchmark-entries-without-all", ("experiments.benchmark", "--entries=pixelcnn"), None, 2,
     "--entries chooses among --all's entries: pass --all too"),
    ("benchmark-all-unknown-entry", ("experiments.benchmark", "--all", "--entries=pixelcnn,nope"), None, 2,
     "--entries=nope is not a workload or main config: expected some of ae_mlp, gan_mlp"),
    # ais
    ("ais-of-an-autoencoder", ("experiments.ais", "--workdir=run"), None, 2,
     "--workdir=run holds a 'autoencoder' run: expected an 'rbm' or 'dbn' run"),
    ("ais-no-runs", ("experiments.ais", "--workdir=run", "--runs=0"), None, 2, "flag --runs=0"),
    # compress / decompress
    ("compress-with-an-autoencoder", ("experiments.compress", "--workdir=run", "--input=afile", "--output=o.gjz"),
     None, 2, "--workdir=run holds a 'autoencoder' model: expected a VAE with a Bernoulli likelihood"),
    ("compress-no-lanes", ("experiments.compress", "--workdir=run", "--input=afile", "--output=o.gjz", "--lanes=0"),
     None, 2, "flag --lanes=0"),
    ("decompress-not-a-gjz", ("experiments.decompress", "--workdir=run", "--input=afile", "--output=o.npy"),
     None, 2, "--input=afile is not a genjax compressed file"),
    ("decompress-missing-file", ("experiments.decompress", "--workdir=run", "--input=no.gjz", "--output=o.npy"),
     None, 2, "--input=no.gjz does not exist"),
    # augment
    ("augment-bad-config-value", ("experiments.augment", f"--config={AUGMENT}:smoke", "--workdir=w",
                                  "--config.budgets=(100, -5)"), None, 2,
     "config.budgets=(100, -5) is invalid: expected a non-empty tuple of positive label budgets"),
    ("augment-workdir-is-a-file", ("experiments.augment", f"--config={AUGMENT}:smoke", "--workdir=afile"), None, 2,
     "--workdir=afile is a file"),
]


def fingerprint(root: pathlib.Path):
  return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
          for p in sorted(root.rglob("*"))}


# Reads {"cwd", "argv", "stderr"} lines; runs `python -m argv...` in a forked child whose stderr
# goes to the named file; answers each with the child's exit status. What an uncaught
# exception or a SystemExit would print and return, the child prints and returns.
SERVER = """
import atexit, json, os, runpy, signal, sys, traceback
import experiments.common, genjax.augmentation, genjax.benchmark, genjax.compression.files
import genjax.data, genjax.energy.diagnostics, genjax.evaluation, genjax.train
from ml_collections import config_flags
from jax._src import xla_bridge
assert not xla_bridge._backends, "forking after a JAX backend started is unsafe"
for line in sys.stdin:
  row = json.loads(line)
  pid = os.fork()
  if pid == 0:
    signal.alarm(120)            # a row that hangs dies by SIGALRM: status -14
    os.chdir(row["cwd"])
    os.dup2(os.open(row["stderr"], os.O_WRONLY | os.O_CREAT), 2)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    sys.argv, sys.path[0] = list(row["argv"]), row["cwd"]
    try:
      runpy.run_module(row["argv"][0], run_name="__main__", alter_sys=True)
      code = 0
    except SystemExit as e:   # as the interpreter treats it: a status, None for 0, else printed and 1
      if e.code is None or isinstance(e.code, int):
        code = e.code or 0
      else:
        print(e.code, file=sys.stderr)
        code = 1
    except BaseException:
      traceback.print_exc()
      code = 1
    atexit._run_exitfuncs()
    sys.stderr.flush()
    os._exit(code)
  print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory):
  """A folder holding the trained smoke run every row copies (`run/`)."""
  folder = tmp_path_factory.mktemp("bad_inputs")
  trainer.train(load_config("ae_mlp_digits"), str(folder / "run"))
  return folder


@pytest.fixture(scope="module")
def results(base):
  """Runs every row, two at a time: {id: (status, stderr, files changed)}."""
  servers = queue.Queue()
  for _ in range(2):
    servers.put(subprocess.Popen([sys.executable, "-c", SERVER], cwd=base, env=ENV, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE))

  def one(row):
    name, argv, setup, _, _ = row
    folder = base / name
    shutil.copytree(base / "run", folder / "run")
    (folder / "afile").write_text("a regular file\n")
    held = setup(folder) if setup else None
    before = fingerprint(folder)
    server, stderr = servers.get(timeout=300), base / f"{name}.stderr"
    try:
      server.stdin.write(json.dumps({"cwd": str(folder), "argv": argv, "stderr": str(stderr)}) + "\n")
      server.stdin.flush()
      ready, _, _ = select.select([server.stdout], [], [], 180)
      reply = server.stdout.readline() if ready else ""
    finally:
      servers.put(server)
    assert reply, f"the row server gave no answer (exit status {server.poll()}; its stderr is above)"
    code = int(reply)
    if held is not None:
      os.close(held)
    after = fingerprint(folder)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return name, (code, stderr.read_text(), changed)

  try:
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
      return dict(pool.map(one, ROWS))
  finally:
    while not servers.empty():
      server = servers.get()
      server.stdin.close()
      server.wait(timeout=60)


def test_the_table_covers_every_binary_with_at_least_40_rows():
  binaries = {argv[0] for _, argv, _, _, _ in ROWS}
  assert binaries == {"experiments.train", "experiments.evaluate", "experiments.sample",
                      "experiments.benchmark", "experiments.augment", "experiments.ais",
                      "experiments.compress", "experiments.decompress"}
  assert len(ROWS) >= 40 and len({r[0] for r in ROWS}) == len(ROWS)


@pytest.mark.parametrize("name", ["train-missing-config-file", "train-zero-batch", "evaluate-negative-k"])
def test_a_forked_row_gives_what_python_m_gives(base, results, tmp_path, name):
  """The row server's fork against a real `python -m` process on the same row: the same
  status and the same lines on stderr (absl's log lines aside). Output that importing the
  libraries prints, which the server's children would not repeat, shows up here."""
  _, argv, setup, _, _ = next(r for r in ROWS if r[0] == name)
  assert setup is None
  (tmp_path / "afile").write_text("a regular file\n")
  shutil.copytree(base / "run", tmp_path / "run")
  r = subprocess.run([sys.executable, "-m", *argv], cwd=tmp_path, env=ENV, capture_output=True,
                     text=True, timeout=120)
  ours = lambda text: [l for l in text.splitlines() if l.strip() and not LOG_LINE.match(l)]
  code, stderr, _ = results[name]
  assert (r.returncode, ours(r.stderr)) == (code, ours(stderr)), r.stderr[-1500:]


@pytest.mark.parametrize("name,argv,setup,status,fragment", ROWS, ids=[r[0] for r in ROWS])
def test_bad_input_is_one_line_its_status_and_changes_nothing(results, name, argv, setup, status, fragment):
  code, stderr, changed = results[name]
  lines = [l for l in stderr.splitlines() if l.strip()]
  ours = [l for l in lines if not LOG_LINE.match(l)]    # absl's own log lines aside
  assert code == status, stderr[-1500:]
  assert len(ours) == 1 and ours[0] == lines[-1], stderr[-1500:]
  assert ours[0].startswith("error: ") and fragment in ours[0], stderr[-1500:]
  assert changed == [], f"{name} changed {changed}"
