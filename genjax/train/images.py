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


def grid_points(size: int = 256, extent: float = 4.5) -> np.ndarray:
  """(size * size, 2) cell centres of [-extent, extent]^2, rows from top (y high) to bottom."""
  c = (np.arange(size) + 0.5) / size * 2 * extent - extent
  xx, yy = np.meshgrid(c, c[::-1])
  return np.stack([xx.ravel(), yy.ravel()], 1).astype(np.float32)


def density_image(log_density: np.ndarray, size: int = 256) -> np.ndarray:
  """log p on grid_points -> (size, size, 1) uint8, linear in p: black at and above the
  99.5th percentile of p over the grid (so a few narrow spikes do not wash the rest out),
  white where p vanishes."""
  p = np.exp(np.nan_to_num(np.asarray(log_density, np.float64), nan=-np.inf).reshape(size, size))
  img = np.clip(p / max(np.quantile(p, 0.995), 1e-300), 0.0, 1.0)
  return ((1.0 - img) * 255).round().astype(np.uint8)[..., None]


def side_by_side(*panels: np.ndarray, pad: int = 4) -> np.ndarray:
  """Pictures of equal height, left to right with white gaps."""
  gap = np.full(panels[0].shape[:1] + (pad,) + panels[0].shape[2:], 255, np.uint8)
  out = [panels[0]]
  for panel in panels[1:]:
    out += [gap, panel]
  return np.concatenate(out, axis=1)


def line_plot(xs: np.ndarray, ys: np.ndarray, height: int = 256, width: int = 512) -> np.ndarray:
  """Lines y_i(x) (ys: (lines, len(xs))) drawn dark on white, the axes spanning the data's
  ranges, with a grey line at y = 0 where it is in range: (height, width, 1) uint8. A plain
  picture for diagnostics (no axis labels: the caller states the ranges)."""
  xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
  (x0, x1), (y0, y1) = (xs.min(), xs.max()), (ys.min(), ys.max())
  col = lambda x: np.clip(np.round((x - x0) / max(x1 - x0, 1e-12) * (width - 1)), 0, width - 1).astype(int)
  row = lambda y: np.clip(np.round((y1 - y) / max(y1 - y0, 1e-12) * (height - 1)), 0, height - 1).astype(int)
  ink = np.zeros((height, width))
  if y0 <= 0.0 <= y1:
    ink[row(0.0), :] = 0.3
  dense = np.linspace(x0, x1, 8 * width)
  for y in ys:
    ink[row(np.interp(dense, xs, y)), col(dense)] += 1.0
  img = 1.0 - np.clip(ink, 0.0, 1.0)
  return (img * 255).round().astype(np.uint8)[..., None]


PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127))


def errorbar_plot(xs, lines, x_ticks, x_label: str, y_label: str, size=(720, 440)) -> np.ndarray:
  """A labelled line plot with error bars: lines = {name: (means, stds)} at positions xs
  (ticks labelled x_ticks), a legend in the lower right. (H, W, 3) uint8."""
  from PIL import ImageDraw
  w, h = size
  left, right, top, bottom = 60, w - 20, 20, h - 50
  xs = np.asarray(xs, np.float64)
  lo = min(min(m - s for m, s in zip(*v)) for v in lines.values())
  hi = max(max(m + s for m, s in zip(*v)) for v in lines.values())
  step = _nice_step((hi - lo) / 6)
  lo, hi = np.floor(lo / step) * step, np.ceil(hi / step) * step
  px = lambda x: left + (x - xs.min()) / max(np.ptp(xs), 1e-12) * (right - left - 20) + 10
  py = lambda y: bottom - (y - lo) / max(hi - lo, 1e-12) * (bottom - top)
  img = Image.new("RGB", size, "white")
  draw = ImageDraw.Draw(img)
  draw.rectangle([left, top, right, bottom], outline="black")
  for y in np.arange(lo, hi + step / 2, step):
    draw.line([left, py(y), right, py(y)], fill=(225, 225, 225))
    draw.text((4, py(y) - 6), f"{y:g}", fill="black")
  for x, tick in zip(xs, x_ticks):
    draw.text((px(x) - 3 * len(tick), bottom + 6), tick, fill="black")
  draw.text(((left + right) // 2 - 3 * len(x_label), h - 22), x_label, fill="black")
  draw.text((left, 4), y_label, fill="black")
  for i, (name, (means, stds)) in enumerate(lines.items()):
    colour, shift = PALETTE[i % len(PALETTE)], (i - (len(lines) - 1) / 2) * 3
    points = [(px(x) + shift, py(m)) for x, m in zip(xs, means)]
    draw.line(points, fill=colour, width=2)
    for (cx, cy), m, s in zip(points, means, stds):
      draw.line([cx, py(m - s), cx, py(m + s)], fill=colour, width=1)
      draw.ellipse([cx - 3, cy - 3, cx + 3, cy + 3], fill=colour)
    ly = bottom - 16 * (len(lines) - i) - 6
    draw.line([right - 190, ly + 6, right - 170, ly + 6], fill=colour, width=3)
    draw.text((right - 165, ly), name, fill="black")
  return np.asarray(img)


def _nice_step(raw: float) -> float:
  """The smallest of 1, 2, 5 x 10^k at least raw."""
  base = 10.0 ** np.floor(np.log10(max(raw, 1e-12)))
  return next(f * base for f in (1, 2, 5, 10) if f * base >= raw)


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
