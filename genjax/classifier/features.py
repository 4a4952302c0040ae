"""A trained genjax classifier as the feature network of sample-quality metrics.

`load(workdir)` restores the newest good checkpoint of a classifier run; its `embed(x)`
maps uint8 images (as the data set stores them) through the classifier's own preprocessing
to (penultimate-layer features, class logits). Every report names the network by its
workdir, step, checkpoint sha256 and freshly measured test accuracy.
"""
import dataclasses
from typing import Callable, Dict, Tuple

import jax
import numpy as np

from genjax import data as gdata
from genjax.errors import InputError
from genjax.train.checkpoint import digest


@dataclasses.dataclass
class FeatureNet:
  workdir: str
  dataset: str
  step: int
  sha256: str
  accuracy: float
  feature_dim: int
  _apply: Callable = dataclasses.field(repr=False)

  def embed(self, x_uint8: np.ndarray, batch: int = 1000) -> Tuple[np.ndarray, np.ndarray]:
    feats, logits = zip(*(jax.device_get(self._apply(x_uint8[i:i + batch]))
                          for i in range(0, len(x_uint8), batch)))
    return np.concatenate(feats).astype(np.float64), np.concatenate(logits).astype(np.float64)

  def describe(self) -> Dict[str, object]:
    return {"network": f"genjax classifier ({self.dataset}), penultimate layer, "
                       f"{self.feature_dim} features", "workdir": self.workdir, "step": self.step,
            "checkpoint_sha256": self.sha256, "test_accuracy": self.accuracy}


def load(workdir: str) -> FeatureNet:
  from genjax.classifier.method import make_network
  from genjax.train.restore import restore
  run, step, state = restore(workdir)
  if run.config.model.name != "classifier":
    raise InputError(f"--classifier={workdir} holds a {run.config.model.name}, not a classifier")
  net = make_network(run.config, run.info)
  data_cfg = run.config.data.copy_and_resolve_references()
  data_cfg.dequantize = False                      # features of an image are deterministic
  preprocess = gdata.make_preprocess(data_cfg, run.info)
  params = state.params

  @jax.jit
  def apply(x):
    x = preprocess(x, jax.random.PRNGKey(0))
    return (net.apply({"params": params}, x, method=net.features),
            net.apply({"params": params}, x))

  accuracy = run.evaluate(state, "test")["accuracy"]
  return FeatureNet(workdir, run.config.data.name, int(step), digest(state), float(accuracy),
                    run.config.model.feature_dim, apply)
