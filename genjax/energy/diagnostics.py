"""AIS diagnostics for a trained RBM (or a DBN's top RBM): the runs' log weights over the
temperatures, relative to their log-mean-exp at each temperature, as a picture, with log Z,
its standard error and the weights' effective sample size."""
import math
from typing import Dict, Tuple

import jax
import numpy as np

from genjax.energy import rbm
from genjax.train import images


def ais_report(params, data_mean, key, num_betas: int, runs: int) -> Tuple[Dict[str, float], np.ndarray]:
  """({log_z, log_z_se, effective_sample_size, ...}, picture): the picture plots each run's
  log w accumulated up to the t-th temperature (x axis: t, from beta = 0 on the left to
  beta = 1 on the right, so Salakhutdinov & Murray's dense steps near 1 fill most of it)
  minus the runs' log-mean-exp at t (y axis, its range in the report). A spread that keeps
  growing towards the right, or one run far above the rest (a small effective sample size),
  says the schedule is too short for the estimate to be trusted."""
  base_bias, betas = rbm.base_rate_bias(data_mean), rbm.ais_betas(num_betas)
  trace = np.asarray(jax.jit(rbm.ais_log_weight_trace, static_argnums=4)(params, base_bias, key, betas, runs))
  log_z, se = rbm.log_z_from_weights(trace[-1], base_bias, params["c"].shape[0])
  relative = trace - (np.logaddexp.reduce(trace, axis=1, keepdims=True) - math.log(runs))
  report = {"log_z": float(log_z), "log_z_se": float(se),
            "effective_sample_size": float(rbm.effective_sample_size(trace[-1])), "runs": runs,
            "temperatures": num_betas, "relative_log_w_range": [float(relative.min()), float(relative.max())]}
  return report, images.line_plot(np.arange(len(trace)), relative.T)


def raise_report(params, data_mean, v, log_z, key, num_betas: int) -> Dict[str, float]:
  """RAISE beside AIS on the same test vectors v (B, V): the mean of -log w (one reverse run
  per vector; in expectation above the annealed model's NLL, a conservative estimate) and of
  F(v) + log Z (log Z by AIS), each with its standard error over the vectors."""
  base_bias, betas = rbm.base_rate_bias(data_mean), rbm.ais_betas(num_betas)
  log_w = np.asarray(jax.jit(rbm.raise_log_weights)(params, base_bias, v, key, betas), np.float64)
  ais_nll = np.asarray(rbm.free_energy(params, v), np.float64) + log_z
  n = len(log_w)
  return {"raise_examples": n, "raise_nll_nats": float(-log_w.mean()),
          "raise_nll_se": float(log_w.std() / math.sqrt(n)), "ais_nll_nats_same_examples": float(ais_nll.mean()),
          "ais_nll_se_same_examples": float(ais_nll.std() / math.sqrt(n))}
