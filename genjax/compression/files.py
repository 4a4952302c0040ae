"""Compressed files (.gjz): images coded with a trained run's model, and back.

The codec follows the model: bits-back coding (BB-ANS) with a Bernoulli VAE, exact coding
with an autoregressive model of binary pixels. Layout: b'GJZ1', a 4-byte little-endian
header length, the header (JSON), its sha256 (32 bytes), then the rANS message as
little-endian uint32 words. The header names the model (its checkpoint step and the sha256
of the state's bytes), the codec and its settings, the images' dtype and shape, and the
sha256 of the payload and of the images: a different model, a truncated or a corrupted file
is refused in one line, and a decode that does not reproduce the images' checksum (a model
computing other floats, e.g. on another backend) is refused rather than written.
"""
import dataclasses
import hashlib
import json
import math
import os
import struct
import time
import zipfile
from typing import Callable, Dict

import jax
import jax.numpy as jnp
import numpy as np

from genjax import data as gdata
from genjax.compression import ans, bbans, exact
from genjax.compression.baselines import generic_bits_per_dim
from genjax.errors import InputError
from genjax.train import checkpoint
from genjax.train.restore import restore
from genjax.train.trainer import load_config
from genjax.train.workdir import atomic_write, atomic_write_npy, check_creatable

MAGIC = b"GJZ1"


def check_model(workdir: str):
  """The run's config and data Info, if its model is one these files can code with: a VAE
  with a Bernoulli likelihood (bits-back), or an autoregressive model with a Bernoulli head
  (exact)."""
  config = load_config(workdir)
  m = config.model
  if not ((m.name == "vae" and m.get("likelihood") == "bernoulli") or
          (m.name == "autoregressive" and m.get("head") == "bernoulli")):
    raise InputError(f"--workdir={workdir} holds a '{m.name}' model: expected a VAE with a Bernoulli "
                     "likelihood (bits-back coding) or an autoregressive model with a Bernoulli head (exact)")
  return config, gdata.info(config.data.name)


def vae_codec(run, state, lanes: int, latent_bits: int, **precisions) -> bbans.Codec:
  """BB-ANS with a restored Bernoulli VAE: its encoder's q(z|x) and decoder's p(x|z), each
  one jitted call on (lanes, ...) so the encoder and the decoder compute the same floats."""
  from genjax.vae import method as vae_method
  config, info = run.config, run.info
  encoder, decoder = vae_method.networks(config, info)
  params = jax.device_get(state.params)
  shape = (lanes,) + tuple(info.shape)
  encode = jax.jit(lambda x: encoder.apply({"params": params["encoder"]}, x))
  decode = jax.jit(lambda z: jax.nn.sigmoid(decoder.apply({"params": params["decoder"]}, z)))

  def posterior(x):
    mean, log_var = encode(jnp.asarray(x.reshape(shape), jnp.float32))
    return np.asarray(mean), np.asarray(jnp.exp(0.5 * log_var))

  return bbans.Codec(posterior, lambda z: np.asarray(decode(jnp.asarray(z))), latent_bits=latent_bits,
                     **precisions)


def autoregressive_conditionals(run, state, lanes: int):
  """(conditionals(x) -> p(x_i = 1 | x_<i), (lanes, D); the pixel order): one jitted pass of
  the network (MADE: its first mask set, whose order it also gives)."""
  from genjax.autoregressive import Model
  model = Model(run.config, run.info)
  params = jax.device_get(state.params)
  shape = (lanes,) + tuple(run.info.shape)
  order = np.arange(model.d)
  if run.config.model.arch == "made":
    order = np.argsort(np.asarray(model.mask_degrees(0)[0]))
  probs = jax.jit(lambda x: jax.nn.sigmoid(model.apply(params, x)).reshape(lanes, -1))
  return (lambda x: np.asarray(probs(jnp.asarray(x.reshape(shape), jnp.float32))), order)


def check_output(path: str, flag: str):
  """`path` can be written as a file (an existing file is replaced)."""
  if os.path.isdir(path):
    raise InputError(f"{flag}={path} is a directory: expected a file name")
  check_creatable(os.path.dirname(os.path.abspath(path)), f"{flag}={path}")


def read_images(path: str, shape) -> np.ndarray:
  """The uint8 images of a .npy (or a .npz holding one array), as (n, *shape); the model's
  data is binary, so the values must be 0 or 1."""
  if not os.path.isfile(path):
    raise InputError(f"--input={path} does not exist: expected a .npy or .npz of uint8 images")
  try:
    data = np.load(path, allow_pickle=False)
    if isinstance(data, np.lib.npyio.NpzFile):
      if len(data.files) != 1:
        raise InputError(f"--input={path} holds {len(data.files)} arrays: expected one array of images")
      data = data[data.files[0]]
  except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
    raise InputError(f"--input={path} is not a readable .npy/.npz ({type(e).__name__}: {e})") from None
  shape = tuple(shape)
  if data.dtype != np.uint8 or data.ndim < 2 or (data.shape[1:] != shape and data.shape[1:] + (1,) != shape):
    raise InputError(f"--input={path} holds {data.dtype} {data.shape}: expected uint8 images (n, "
                     f"{', '.join(map(str, shape))})")
  if len(data) == 0:
    raise InputError(f"--input={path} holds no images: expected at least one")
  if data.max() > 1:
    raise InputError(f"--input={path} has values up to {data.max()}: expected binary images of 0 and 1")
  return data


@dataclasses.dataclass(frozen=True)
class Coder:
  """How a run's model codes one flat binary image per lane on a message, and back."""
  encode: Callable      # (message, images (lanes, D) bool) -> None
  decode: Callable      # message -> images (lanes, D) bool
  settings: dict        # what the header records to rebuild the same coder


def make_coder(run, state, lanes: int, settings: dict) -> Coder:
  """BB-ANS for a VAE, exact coding for an autoregressive model; `settings` (latent_bits,
  precisions) default where not given."""
  d = math.prod(run.info.shape)
  if run.config.model.name == "vae":
    codec = vae_codec(run, state, lanes, settings.get("latent_bits", 8),
                      **{k: settings[k] for k in ("posterior_precision", "pixel_precision") if k in settings})
    latents = int(run.config.model.latents)
    return Coder(lambda m, x: bbans.encode(m, x, codec), lambda m: bbans.decode(m, latents, d, codec),
                 {"codec": "bbans-vae", "latent_bits": codec.latent_bits,
                  "posterior_precision": codec.posterior_precision, "pixel_precision": codec.pixel_precision})
  conditionals, order = autoregressive_conditionals(run, state, lanes)
  precision = settings.get("pixel_precision", 16)
  return Coder(lambda m, x: exact.encode(m, x, conditionals, order, precision),
               lambda m: exact.decode(m, d, conditionals, order, precision),
               {"codec": "exact-autoregressive", "pixel_precision": precision})


def compress(workdir: str, input_path: str, output: str, lanes: int = 10, latent_bits: int = 8,
             seed: int = 0, baselines: bool = False) -> Dict[str, object]:
  """Codes the images of `input_path` with the run's model into `output`; returns the
  rate and throughput (and with `baselines`, generic codecs' rates on the same images)."""
  if lanes < 1 or not 1 <= latent_bits <= 16:
    raise InputError(f"--lanes={lanes} --latent_bits={latent_bits}: expected lanes >= 1 and 1-16 bits")
  _, info = check_model(workdir)
  images = read_images(input_path, info.shape)
  check_output(output, "--output")
  run, step, state = restore(workdir)
  coder = make_coder(run, state, lanes, {"latent_bits": latent_bits})
  n, d = len(images), int(np.prod(run.info.shape))
  flat = np.zeros((-(-n // lanes) * lanes, d), bool)       # the last lanes padded with blank images
  flat[:n] = images.reshape(n, d)
  t = time.perf_counter()
  message = ans.empty(lanes, seed)
  try:
    ans.encode_chain(message, flat, coder.encode)
  except ValueError as e:
    raise InputError(f"--workdir={workdir}: {e}") from None
  seconds = time.perf_counter() - t
  payload = ans.to_words(message).astype("<u4").tobytes()
  header = {**coder.settings, "model": {"step": int(step), "sha256": checkpoint.digest(state)},
            "lanes": lanes, "dtype": "uint8", "shape": list(images.shape), "coded": len(flat),
            "images_sha256": hashlib.sha256(images.tobytes()).hexdigest(),
            "payload_sha256": hashlib.sha256(payload).hexdigest()}
  head = json.dumps(header).encode()
  atomic_write(output, MAGIC + struct.pack("<I", len(head)) + head + hashlib.sha256(head).digest() + payload)
  size = os.path.getsize(output)
  out = {"codec": coder.settings["codec"], "images": n, "bytes": size, "bits_per_dim": 8 * size / (n * d),
         "payload_bits_per_dim": 8 * len(payload) / (n * d), "encode_images_per_sec": n / seconds}
  if baselines:
    out["generic_bits_per_dim"] = generic_bits_per_dim(images)
  return out


HEADER_FIELDS = {"codec": str, "model": dict, "lanes": int, "dtype": str, "shape": list, "coded": int,
                 "pixel_precision": int, "images_sha256": str, "payload_sha256": str}


def read_file(path: str):
  """(header, payload words) of a .gjz file, checked: signature, the header's and the
  payload's checksums, and the header's fields."""
  if not os.path.isfile(path):
    raise InputError(f"--input={path} does not exist: expected a .gjz file written by experiments.compress")
  with open(path, "rb") as f:
    blob = f.read()
  if blob[:4] != MAGIC or len(blob) < 8:
    raise InputError(f"--input={path} is not a genjax compressed file (no GJZ1 signature)")
  (length,) = struct.unpack("<I", blob[4:8])
  head, digest, payload = blob[8:8 + length], blob[8 + length:40 + length], blob[40 + length:]
  if hashlib.sha256(head).digest() != digest:
    raise InputError(f"--input={path} is truncated or corrupted: its header does not match its checksum")
  try:
    header = json.loads(head)
  except ValueError:
    header = None
  if not isinstance(header, dict):
    raise InputError(f"--input={path} has an invalid header (not a JSON object): not written by experiments.compress")
  if hashlib.sha256(payload).hexdigest() != header.get("payload_sha256") or len(payload) % 4:
    raise InputError(f"--input={path} is truncated or corrupted: its payload does not match its checksum")
  _check_header(header, path)
  return header, np.frombuffer(payload, "<u4").astype(np.uint32)


def _check_header(header: dict, path: str):
  """A header with the fields decoding reads, in range (a checksummed header fails this only
  if it was written by other code)."""
  bad = [k for k, t in HEADER_FIELDS.items() if not isinstance(header.get(k), t)]
  lanes, coded, shape = header.get("lanes"), header.get("coded"), header.get("shape")
  if (not bad and (lanes < 1 or coded % lanes or not shape or coded < shape[0] or
                   not all(isinstance(d, int) and d > 0 for d in shape) or
                   header["codec"] not in ("bbans-vae", "exact-autoregressive") or
                   not 1 <= header["pixel_precision"] <= 32)):
    bad = ["lanes/coded/shape/codec/precision"]
  if not bad and header["codec"] == "bbans-vae" and not (
      isinstance(header.get("latent_bits"), int) and 1 <= header["latent_bits"] <= 16 and
      isinstance(header.get("posterior_precision"), int) and header["latent_bits"] < header["posterior_precision"] <= 32):
    bad = ["latent_bits/posterior_precision"]
  if bad:
    raise InputError(f"--input={path} has an invalid header ({', '.join(bad)}): not written by experiments.compress")


def decompress(workdir: str, input_path: str, output: str) -> Dict[str, object]:
  """Decodes a .gjz written by `compress` with the same run's model into a .npy."""
  header, words = read_file(input_path)
  _, info = check_model(workdir)
  if int(np.prod(header["shape"][1:])) != int(np.prod(info.shape)):
    raise InputError(f"--input={input_path} holds images of shape {tuple(header['shape'][1:])}, but "
                     f"--workdir={workdir} models {tuple(info.shape)}: decode with the model that coded it")
  check_output(output, "--output")
  run, step, state = restore(workdir)
  coded = header["model"]
  # Exactly the model's step and digest (files coded before 2026-11-27: its legacy digest).
  if (coded != {"step": int(step), "sha256": coded.get("sha256")}
      or not checkpoint.matches(coded.get("sha256"), state, legacy=True)):
    model = {"step": int(step), "sha256": checkpoint.digest(state)}
    raise InputError(f"--input={input_path} was coded with the model at step {coded.get('step')} "
                     f"(sha256 {str(coded.get('sha256'))[:12]}...), but --workdir={workdir} holds step "
                     f"{step} (sha256 {model['sha256'][:12]}...): decode with the model that coded it")
  lanes, shape = header["lanes"], tuple(header["shape"])
  coder = make_coder(run, state, lanes, header)
  if coder.settings["codec"] != header["codec"]:
    raise InputError(f"--input={input_path} was coded by '{header['codec']}', but --workdir={workdir} "
                     f"codes by '{coder.settings['codec']}'")
  t = time.perf_counter()
  try:
    flat = ans.decode_chain(ans.from_words(words, lanes), header["coded"], coder.decode)
  except ans.DecodeError as e:
    raise InputError(f"--input={input_path}: {e}") from None
  seconds = time.perf_counter() - t
  images = flat[:shape[0]].astype(np.uint8).reshape(shape)
  if hashlib.sha256(images.tobytes()).hexdigest() != header["images_sha256"]:
    raise InputError(f"--input={input_path} decoded to images that differ from those coded: the model "
                     "computed different numbers here (another backend or library version?)")
  atomic_write_npy(output, images)
  return {"images": shape[0], "decode_images_per_sec": shape[0] / seconds}
