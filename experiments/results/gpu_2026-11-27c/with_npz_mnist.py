"""Runs an experiments binary with MNIST read from .gpu_mnist.npz, this machine's TFDS MNIST
saved as arrays (the device has no tensorflow_datasets): python with_npz_mnist.py MODULE FLAGS..."""
import runpy
import sys

import numpy as np

from genjax.data import sources

d = np.load(".gpu_mnist.npz")
sources._LOADERS["mnist"] = lambda cfg: {"train": sources.Split(d["x_train"], d["y_train"]),
                                         "test": sources.Split(d["x_test"], d["y_test"])}
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
