"""Sample pictures: image grids and 2-D point densities as PNG."""
import io
import math

import numpy as np
from PIL import Image


def grid(images: np.ndarray, cols: int = 0, pad: int = 1) -> np.ndarray:
  """(n, H, W, C) floats in [0, 1] -> one uint8 image (rows*(H+pad), cols*(W+pad), C)."""
  n, h, w, c = images.shape
  cols = cols or math.ceil(math.sqrt(n))
  rows = math.ceil(n / cols)
  out = np.ones((rows * (h + pad) + pad, cols * (w + pad) + pad, c), np.float32)
  for i, im in enumerate(images):
    r, q = divmod(i, cols)
    out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + q * (w + pad):pad + q * (w + pad) + w] = im
  return (np.clip(out, 0, 1) * 255).round().astype(np.uint8)


def points_image(points: np.ndarray, size: int = 256, extent: float = 4.5) -> np.ndarray:
  """A 2-D sample set rendered as a log-density histogram, (size, size, 1) uint8."""
  hist, _, _ = np.histogram2d(points[:, 1], points[:, 0], bins=size,
                              range=[[-extent, extent], [-extent, extent]])
  img = np.log1p(hist[::-1])
  img = 1.0 - img / max(img.max(), 1e-9)
  return (img * 255).round().astype(np.uint8)[..., None]


def picture(samples: np.ndarray) -> np.ndarray:
  """Samples in [0, 1] (images) or raw 2-D points -> one uint8 picture."""
  if samples.ndim == 2:
    return points_image(samples)
  return grid(samples)


def save_png(path: str, image: np.ndarray, scale: int = 1):
  """Writes the PNG atomically: a reader never sees half a picture."""
  from genjax.train.workdir import atomic_write
  img = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
  if scale > 1:
    img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
  buffer = io.BytesIO()
  img.save(buffer, format="PNG")
  atomic_write(path, buffer.getvalue())
