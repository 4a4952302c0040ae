"""A workdir holds one run: its config, a lock while it trains, files written atomically.

`config.json` is written once the run is accepted (after the resumability check and a
checkpoint restore that worked), atomically, with every path resolved, so a workdir can be
evaluated from any directory. Reading it merges it onto today's defaults, so a run saved
before a field existed still loads.
"""
import contextlib
import fcntl
import io
import json
import os
import tempfile
from typing import Iterable

import ml_collections
import numpy as np

from genjax.errors import InputError

CONFIG = "config.json"
LOCK = "lock"
# Fields that may change between a run and its resumption (its length, its cadence and where
# its files are); a family adds its evaluation-only fields (`Method.resumable_fields`).
RESUMABLE_FIELDS = ("num_steps", "log_every", "checkpoint_every", "keep_checkpoints",
                    "sample_every", "num_samples", "block_every", "sample_chunk", "steps_per_dispatch",
                    "data.manual_dir", "data.data_dir", "data.download", "data.feed",
                    "data.resident_max_mb", "data.storage", "precision", "evals.*")
# Config fields holding paths: stored resolved, so the workdir does not depend on the cwd.
PATH_FIELDS = ("data.manual_dir", "data.data_dir", "data.augment_with", "evals.*.classifier",
               "evals.*.inception_weights")


def check_workdir(workdir: str, flag: str = "--workdir", writable: bool = True) -> str:
  """A usable workdir path (new, or a directory; for a writer, one it can create or write),
  checked without creating anything."""
  if not workdir:
    raise InputError(f"{flag}='' is invalid: expected a directory path (new, or written by experiments.train)")
  if os.path.exists(workdir) and not os.path.isdir(workdir):
    raise InputError(f"{flag}={workdir} is a file: expected a directory (new, or written by experiments.train)")
  if writable:
    check_creatable(workdir, f"{flag}={workdir}")
  return workdir


def check_creatable(path: str, what: str):
  """The nearest existing folder at or above `path` is a writable directory."""
  parent = os.path.abspath(path)
  while not os.path.exists(parent):
    parent = os.path.dirname(parent)
  if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
    raise InputError(f"{what} cannot be created or written: {parent} is not a writable directory")


def makedirs(path: str):
  """os.makedirs, with a failure as one line."""
  try:
    os.makedirs(path, exist_ok=True)
  except OSError as e:
    raise InputError(f"cannot create {path}: {e.strerror or e}") from None


def atomic_write(path: str, data: bytes):
  """Writes `path` whole or not at all (a temporary file beside it, then a rename)."""
  directory = os.path.dirname(os.path.abspath(path))
  makedirs(directory)
  try:
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".")
  except OSError as e:
    raise InputError(f"cannot write {path}: {e.strerror or e}") from None
  try:
    with os.fdopen(fd, "wb") as f:
      f.write(data)
    os.chmod(tmp, 0o666 & ~_UMASK)   # mkstemp's 0600 would hide the file from the group
    os.replace(tmp, path)
  except OSError as e:
    os.unlink(tmp)
    raise InputError(f"cannot write {path}: {e.strerror or e}") from None
  except BaseException:
    os.unlink(tmp)
    raise


_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write_npy(path: str, array: np.ndarray):
  """`array` as a .npy file at `path`, written whole or not at all."""
  buffer = io.BytesIO()
  np.save(buffer, array, allow_pickle=False)
  atomic_write(path, buffer.getvalue())


@contextlib.contextmanager
def locked(workdir: str):
  """Holds an advisory lock on `workdir` (released on any exit, a SIGKILL included)."""
  makedirs(workdir)
  path = os.path.join(workdir, LOCK)
  try:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
  except OSError as e:
    raise InputError(f"cannot open the lock {path}: {e.strerror or e}") from None
  try:
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
      raise InputError(f"--workdir={workdir} is in use by process {holder} (it holds {path}): "
                       f"wait for it to stop, or use another workdir") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    yield
  finally:
    os.close(fd)   # closing the descriptor releases the lock


def matches(field: str, patterns) -> bool:
  """Whether a dotted field matches one of `patterns` ('*' stands for one name or, at the
  end, for anything below)."""
  for pattern in patterns:
    parts, names = pattern.split("."), field.split(".")
    if parts[-1] == "*" and len(names) >= len(parts):
      names = names[:len(parts)]
    if len(parts) == len(names) and all(p in ("*", n) for p, n in zip(parts, names)):
      return True
  return False


def resolve_paths(config) -> ml_collections.ConfigDict:
  """A copy of `config` with every non-empty path field made absolute."""
  flat = flatten(config.to_dict())
  config = ml_collections.ConfigDict(config.to_dict())
  for field, value in flat.items():
    if matches(field, PATH_FIELDS) and isinstance(value, str) and value:
      *parents, leaf = field.split(".")
      node = config
      for p in parents:
        node = node[p]
      node[leaf] = os.path.abspath(os.path.expanduser(value))
  return config


def save_config(config, workdir: str):
  atomic_write(os.path.join(workdir, CONFIG), resolve_paths(config).to_json_best_effort(indent=2).encode())


def read_saved(workdir: str) -> dict:
  """The raw saved config of a workdir, or {} when it has none; one line if it is unreadable."""
  path = os.path.join(workdir, CONFIG)
  if not os.path.exists(path):
    return {}
  try:
    with open(path) as f:
      saved = json.load(f)
  except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
    raise InputError(f"{path} is unreadable ({type(e).__name__}: {str(e).splitlines()[0][:120]}): "
                     f"expected the JSON config written by experiments.train") from None
  if not isinstance(saved, dict) or not isinstance(saved.get("model"), dict) or "name" not in saved["model"]:
    raise InputError(f"{path} is not a genjax run config: expected a JSON object with model.name")
  return saved


# Fields added since runs were first saved, with the value that reproduces how those runs
# were trained (today's default would change their meaning), and fields that moved.
LEGACY = {"data.validation_fraction": 0.0}
RENAMED = {"eval_every": "evals.eval.every", "model.classifier": "evals.quality.classifier",
           "model.eval_samples": "evals.modes.num"}


def upgrade(saved: dict, defaults: dict) -> dict:
  """A saved config in today's layout: moved fields at their new place (dropped where
  today's `defaults` have no such place), absent legacy fields at their old meaning."""
  flat, places = flatten(saved), _prefixes(flatten(defaults))
  for old, new in RENAMED.items():
    if old in flat:
      value = flat.pop(old)
      if new.rsplit(".", 1)[0] in places:
        flat[new] = value
  for field, value in LEGACY.items():
    flat.setdefault(field, value)
  return unflatten(flat)


def _prefixes(flat: dict):
  return {k.rsplit(".", 1)[0] for k in flat}


def unflatten(flat: dict) -> dict:
  out = {}
  for k, v in flat.items():
    *parents, leaf = k.split(".")
    node = out
    for p in parents:
      node = node.setdefault(p, {})
    node[leaf] = list(v) if isinstance(v, tuple) else v
  return out


def merge(defaults: dict, saved: dict) -> dict:
  """`saved` over `defaults`, recursively: fields added since the run was saved get defaults."""
  out = dict(defaults)
  for k, v in saved.items():
    out[k] = merge(defaults[k], v) if isinstance(v, dict) and isinstance(defaults.get(k), dict) else v
  return out


def to_config(d: dict) -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict(_lists_to_tuples(d))


def _lists_to_tuples(d):
  if isinstance(d, dict):
    return {k: _lists_to_tuples(v) for k, v in d.items()}
  return tuple(d) if isinstance(d, list) else d


def flatten(d, prefix="") -> dict:
  out = {}
  for k, v in d.items():
    if isinstance(v, dict):
      out.update(flatten(v, f"{prefix}{k}."))
    else:
      out[f"{prefix}{k}"] = tuple(v) if isinstance(v, list) else v
  return out


def changed_fields(saved: dict, config, resumable: Iterable[str]):
  """The fields whose values differ between a saved run and `config`, except resumable ones.
  Paths are compared resolved."""
  now = flatten(json.loads(resolve_paths(config).to_json_best_effort()))
  saved = flatten(saved)
  return [k for k in sorted(set(saved) | set(now))
          if not matches(k, resumable) and saved.get(k) != now.get(k)], saved, now
