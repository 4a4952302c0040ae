"""Layers the families share.

`Pointwise` is flax's `nn.Dense` (the same parameters, names and initialisers) for a dense
layer applied at every pixel of an image (B, H, W, C): a 1x1 convolution, or a product of 3x3
patches. It computes the same product; only the gradient of its kernel is arranged
differently. Autodiff of x @ kernel gives that gradient as the transpose of a (features, C)
product of the output's gradient with x, summed over every pixel of the batch. XLA's CPU
backend folds the transpose into the product and then runs it outside its YNNPACK kernels, at
~13 GFLOP/s on this machine's W4 (a 5x slower product than the forward one of the same size:
a third of a W4 step). Taking the kernel's transpose behind an optimization barrier keeps the
two apart, and the product runs in YNNPACK like the forward one. Forward and reverse mode both
still work. Other backends get the plain product: the barrier is a CPU workaround, not
measured on accelerators.
"""
import functools

import flax.linen as nn
import jax


def dense_numbers(x):
  """dot_general's dimension numbers of x @ kernel: x's last axis with the kernel's first."""
  return ((x.ndim - 1,), (0,)), ((), ())


def transposed_kernel_dot(x, kernel, dimension_numbers, precision=None, preferred_element_type=None):
  """x @ kernel over x's last axis (flax's dot_general for Dense), on XLA's CPU backend with
  the kernel transposed behind an optimization barrier (see the module docstring)."""
  if kernel.ndim != 2 or dimension_numbers != dense_numbers(x):
    raise ValueError(f"transposed_kernel_dot contracts x's last axis with a matrix's first, "
                     f"not {dimension_numbers} with a kernel of shape {kernel.shape}")
  if jax.default_backend() == "cpu":   # contract with the transposed kernel's second axis
    kernel, dimension_numbers = jax.lax.optimization_barrier(kernel.T), (((x.ndim - 1,), (1,)), ((), ()))
  return jax.lax.dot_general(x, kernel, dimension_numbers, precision=precision,
                             preferred_element_type=preferred_element_type)


def pointwise(x, kernel):
  """x @ kernel at every position, as `Pointwise` multiplies (for kernels built, not stored)."""
  return transposed_kernel_dot(x, kernel, dense_numbers(x))


Pointwise = functools.partial(nn.Dense, dot_general=transposed_kernel_dot)
