"""Generic codecs on the same binary images, for the table beside the models' rates: gzip,
bz2 and lzma (each at its strongest setting) on the images' bits packed 8 to a byte and on
one byte per pixel (the better is reported), and PNG (1-bit, all images stacked into one
picture, so a per-file header is paid once)."""
import bz2
import gzip
import io
import lzma

import numpy as np
from PIL import Image

CODECS = {"gzip": lambda b: gzip.compress(b, 9, mtime=0), "bz2": lambda b: bz2.compress(b, 9),
          "lzma": lambda b: lzma.compress(b, preset=9 | lzma.PRESET_EXTREME)}


def png_bytes(images: np.ndarray) -> bytes:
  """All images, (n, H, W) of 0/1, one under another, as a 1-bit PNG."""
  n, h, w = images.shape[:3]
  buf = io.BytesIO()
  Image.fromarray(images.reshape(n * h, w).astype(bool)).save(buf, format="PNG", optimize=True)
  return buf.getvalue()


def generic_bits_per_dim(images: np.ndarray) -> dict:
  """{codec: bits per pixel} for binary images (n, ...) of 0/1."""
  images = np.asarray(images, np.uint8)
  pixels = images.size
  forms = (np.packbits(images.reshape(-1)).tobytes(), images.tobytes())
  out = {name: min(len(fn(b)) for b in forms) * 8 / pixels for name, fn in CODECS.items()}
  out["png"] = len(png_bytes(images.reshape(images.shape[:3]))) * 8 / pixels
  return out
