"""DCGAN defaults (Radford et al. 2016, in the MNIST form of InfoGAN, Chen et al. 2016,
scaled for a CPU budget): G z(100) -> FC 1024 -> FC 7x7x128 (H/4) -> 14x14x64 -> 28x28 tanh,
BatchNorm and ReLU after every layer but the last; D 64 -> 128 4x4 stride-2 convs -> FC 1024
-> logit, LeakyReLU 0.2. Non-saturating loss with the R1 penalty (gamma 10, on every 4th real
image), Adam 2e-4 (0.5, 0.999), batch 64, EMA of G for sampling. The 2x upsamplings are
nearest-neighbour resizes followed by a 3x3 convolution (Odena et al. 2016).

Why (classifier-FID / precision of 5 000 EMA samples against the validation split, short
runs of dcgan_mnist, 2026-11-27):
- The earlier G upsampled by sub-pixel convolutions with 2x2 kernels (the maps of a 4x4
  stride-2 transposed convolution), which give each of the four output phases its own
  kernel: the phases disagree, and strokes came out broken and blotchy. At 3 000 steps:
  sub-pixel 2x2 168, sub-pixel 3x3 134, resize + 3x3 105 (one kernel shared by the phases:
  strokes stay connected); a G twice as wide 89, at 2.3x the cost per step.
- Resize alone, trained 12 000 steps, still scored 67.7 with precision 0.50 on the test
  split: strokes right, digits malformed. Its D had no dense layer, so its logit was linear
  in the last conv features: a sum of terms that each see one ~10x10 patch, blind to how the
  patches fit together. An FC 1024 layer in D (and one in G) gave 74.5 / 0.69 at 2 000 steps,
  where resize alone had 149 / 0.62.
- The EMA (decay 0.999) lags early: at 3 000 steps the live G scored 141 and 90 where its EMA
  scored 168 and 105 (the EMA still holds e^-3 of the initial weights); by the end of a full
  run that is gone.
- With the above, what was left was class balance, and it got worse with training: without a
  penalty, D and G chase each other between classes. On an H100, 20 000 steps each,
  classifier-FID / class imbalance (the total variation between the classes the classifier
  gives samples and validation images) of 5 000 samples at 5k, 10k, 15k and 20k steps:
  no penalty 34.5 / 0.11, 37.1 / 0.13, 51.2 / 0.18, 68.2 / 0.22; R1 with gamma 10 (Mescheder
  et al. 2018) 9.5 / 0.032, 3.7 / 0.028, 2.6 / 0.026, 2.1 / 0.023 (5 000 real training
  images: 1.5 / 0.034); R1 on every 4th real image only 9.6, 3.6, 2.5, 2.3. On one CPU core
  a step of 64 runs at ~4 steps/s without R1, ~3 with R1 on 16 images, ~2 with full R1. A
  minibatch standard-deviation map in D (Karras et al. 2018, groups of 4) did not help
  (2 000 steps on the CPU: 76.6 / 0.121 against 75.0 / 0.112).
"""
from experiments.configs import gan


def get_config(dataset="mnist", arg=None):
  c = gan.get_config(dataset, arg)
  c.model.arch = "conv"
  c.model.g_hidden = (128, 64)
  c.model.d_hidden = (64, 128)
  c.model.upsample, c.model.g_kernel = "resize", 3
  c.model.g_dense, c.model.d_dense = (1024,), (1024,)
  c.model.r1_weight, c.model.r1_stride = 10.0, 4     # R1 on 16 of each batch's 64 real images
  if arg == "smoke":   # the same layers, narrow: the tests compile and run them, no more
    c.model.g_hidden, c.model.d_hidden = (16, 8), (8, 16)
    c.model.g_dense, c.model.d_dense = (32,), (32,)
    c.model.r1_stride = 2     # each of 8 devices sees 2 of the 16 real images
  else:
    c.batch_size = 64
  return c
