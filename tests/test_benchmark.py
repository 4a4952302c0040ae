"""The benchmark's FLOP count and utilisation arithmetic (genjax/benchmark.py)."""
import jax
import jax.numpy as jnp
import pytest

from genjax import benchmark


def test_step_flops_counts_a_matrix_product_as_2mkn():
  flops = benchmark.step_flops(jax.jit(lambda a, b: a @ b), jnp.ones((4, 5)), jnp.ones((5, 6)))
  assert flops == 2 * 4 * 5 * 6


def test_utilisation_divides_the_steps_flops_per_second_by_every_devices_peak():
  # 10 steps/s of 1 TFLOP on 2 chips of 5 TFLOP/s each: 10 TFLOP/s, all of their peak.
  report = {"examples_per_sec": 640.0, "batch": 64, "devices": 2}
  out = benchmark.utilisation(report, 1e12, peak=(5e12, "tf32"))
  assert out["tflops_per_sec"] == pytest.approx(10.0) and out["mfu"] == pytest.approx(1.0)
  assert out["mfu_peak"] == "tf32 5 TFLOP/s per chip"


def test_a_cpu_has_no_listed_peak_and_so_no_utilisation():
  assert benchmark.peak_flops() is None
  out = benchmark.utilisation({"examples_per_sec": 640.0, "batch": 64, "devices": 8}, 1e9)
  assert out["mfu"] is None and out["tflops_per_sec"] == pytest.approx(1e-2)


@pytest.mark.parametrize("kind, peak, bf16", [("NVIDIA H100 80GB HBM3", 494.7e12, 989.4e12),
                                              ("NVIDIA H100 PCIe", 378e12, 756e12),
                                              ("NVIDIA A100-SXM4-40GB", 156e12, 312e12), ("TPU v4", 275e12, 275e12)])
def test_peak_flops_is_looked_up_by_the_devices_kind_and_the_steps_precision(kind, peak, bf16):
  device = type("Device", (), {"device_kind": kind})()
  assert benchmark.peak_flops(device)[0] == peak
  assert benchmark.peak_flops(device, "bfloat16")[0] == bf16


@pytest.mark.parametrize("name, conditional", [("pixelrnn_row_binarized_mnist", False),
                                               ("gated_pixelcnn_binarized_mnist", True)])
def test_time_sampling_times_the_configs_own_fast_sampler_against_the_naive_one(name, conditional):
  """--sampling with a config: the config's fast sampler (the Row LSTM's; a class-conditional
  Gated PixelCNN's, given the classes), timed beside the naive passes, draws the same images."""
  from tests.conftest import load_config
  c = load_config(name, "smoke")
  c.data.name, c.data.binarize = ("digits", "none") if conditional else ("bars_and_stripes", "none")
  c.model.conditional = conditional
  out = benchmark.time_sampling(c, n=8)
  assert out["shape"] == ([8, 8, 1] if conditional else [4, 4, 1]) and out["samples_equal"] is True
