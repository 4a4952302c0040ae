"""Converts pytorch-fid's Inception weights to the .npz genjax's optional standard FID reads.

Needs torch (not a genjax dependency) and the weights file you obtained yourself:
  python experiments/reference/convert_inception.py pt_inception-2015-12-05-6726825d.pth inception_fid.npz
then: python -m experiments.evaluate --workdir=... --inception_weights=inception_fid.npz
"""
import sys

import numpy as np

RENAME = {"weight": "scale", "bias": "bias", "running_mean": "mean", "running_var": "var"}


def convert(state_dict):
  out = {}
  for key, value in state_dict.items():
    parts = key.split(".")
    if parts[0] in ("fc", "AuxLogits") or parts[-1] == "num_batches_tracked":
      continue
    module, name = "/".join(parts[:-1]), parts[-1]
    a = np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value, np.float32)
    if parts[-2] == "conv":                       # torch (O, I, H, W) -> flax (H, W, I, O)
      out[f"params/{module}/kernel"] = a.transpose(2, 3, 1, 0)
    else:
      collection = "batch_stats" if name.startswith("running") else "params"
      out[f"{collection}/{module}/{RENAME[name]}"] = a
  return out


if __name__ == "__main__":
  import torch
  src, dst = sys.argv[1:3]
  np.savez(dst, **convert(torch.load(src, map_location="cpu")))
