"""The benchmark workloads W1-W5 of ../shared/WORKLOADS.md as experiment configs.

`--config=experiments/configs/workloads.py:ae_mlp` trains W1's model for real; the
benchmark binary times the same config on the `mnist_like` synthetic data.
"""
from experiments.configs import autoencoder, autoregressive, flows, gan, rbm, vae


def ae_mlp():
  """W1: x(784) -> Dense(32, relu) -> Dense(784, sigmoid); BCE summed over pixels, mean over
  batch; Adam(1e-3, (0.9, 0.999)); batch 256; data u8 / 255."""
  c = autoencoder.get_config("mnist_like", "mlp")
  c.model.latents, c.model.hidden, c.model.loss = 32, (), "bce"
  c.optim.name, c.optim.lr, c.optim.b1, c.optim.b2 = "adam", 1e-3, 0.9, 0.999
  c.batch_size = 256
  c.num_steps = 3000
  return c


def vae_mlp():
  """W3: encoder 784-512-256 -> (mean, log-variance) 32, decoder 32-256-512-784 logits;
  Bernoulli likelihood + analytic KL, summed per example, mean over batch; Adam 1e-3;
  batch 128; data u8 >= 128."""
  c = vae.get_config("mnist_like", "mlp")
  c.model.latents, c.model.hidden, c.model.likelihood = 32, (512, 256), "bernoulli"
  c.model.objective, c.model.beta, c.model.kl = "elbo", 1.0, "analytic"
  c.optim.name, c.optim.lr, c.optim.b1, c.optim.b2 = "adam", 1e-3, 0.9, 0.999
  c.batch_size = 128
  c.num_steps = 1000
  c.data.binarize = "threshold"   # x/255 >= 0.5, i.e. u8 >= 128 (127.5 is not a level)
  return c


def gan_mlp():
  """W2: the chapter's MLP GAN; one step = one D update (real and fake as one batch of 2B)
  + one G update with fresh z; non-saturating loss; Adam(2e-4, (0.5, 0.999)) each; batch 128;
  data u8 / 127.5 - 1. W2 has no EMA: ema_decay 0 makes the EMA a copy of G."""
  c = gan.get_config("mnist_like")
  c.model.loss, c.model.d_steps, c.model.ema_decay = "ns", 1, 0.0
  c.batch_size = 128
  c.num_steps = 300
  return c


def pixelcnn():
  """W4: MaskedConv 7x7 type A 1 -> 64, 7 residual blocks (1x1 64 -> 32, 3x3 type B,
  1x1 32 -> 64), ReLU -> 1x1 64 -> ReLU -> 1x1 1: Bernoulli logits; BCE summed over pixels,
  mean over batch; Adam 1e-3; batch 64; data u8 >= 128."""
  c = autoregressive.get_config("pixelcnn", "mnist_like")
  c.model.head, c.model.width, c.model.depth, c.model.bottleneck = "bernoulli", 64, 7, 32
  c.model.out_hidden, c.model.kernel, c.model.first_kernel = 64, 3, 7
  c.optim.name, c.optim.lr, c.optim.b1, c.optim.b2 = "adam", 1e-3, 0.9, 0.999
  c.batch_size = 64
  c.num_steps = 30
  c.data.binarize = "threshold"
  return c


def glow():
  """glow: a small multi-scale Glow on 28x28. Data (u8 + u) / 256, u ~ U[0, 1), then
  logit(1e-6 + (1 - 2e-6) x) with its log-det; two levels, each a squeeze and 4 steps of
  (actnorm with data-dependent init, LU-parameterised 1x1 convolution, affine channel
  coupling: 3x3 conv 64, ReLU, 1x1 conv 64, ReLU, zero-initialised 3x3 conv to (t, raw),
  log-scale = scale * tanh(raw)); half the channels factored out after the first level;
  N(0, I) base; NLL in nats per image, mean over batch; Adam 1e-3; batch 64."""
  c = flows.get_config("glow", "mnist_like")
  c.model.levels, c.model.steps, c.model.width, c.model.depth = 2, 4, 64, 1
  c.model.logit_alpha = 1e-6
  c.optim.name, c.optim.lr, c.optim.b1, c.optim.b2, c.optim.grad_clip = "adam", 1e-3, 0.9, 0.999, 0.0
  c.batch_size = 64
  c.num_steps = 60
  return c


def rbm_cd1():
  """W5: 784 x 500 Bernoulli-Bernoulli RBM, CD-1 from the batch with the reconstruction
  probabilities v1 = p(v | h0) as the negative phase; plain SGD lr 0.01; batch 100; data u8 >= 128."""
  c = rbm.get_config()
  c.data.name, c.data.binarize = "mnist_like", "threshold"
  c.model.hidden, c.model.persistent, c.model.cd_k, c.model.mean_field_visible = 500, False, 1, True
  c.optim.name, c.optim.lr, c.optim.momentum, c.optim.schedule = "sgd", 0.01, 0.0, "constant"
  c.batch_size = 100
  c.num_steps = 2000
  return c


def get_config(arg="ae_mlp"):
  makers = {"ae_mlp": ae_mlp, "vae_mlp": vae_mlp, "gan_mlp": gan_mlp, "pixelcnn": pixelcnn, "glow": glow,
            "rbm_cd1": rbm_cd1}
  if arg not in makers:
    raise ValueError(f"workload config {arg!r} is not defined yet: expected one of {', '.join(makers)}")
  return makers[arg]()


# Each family's main config, as `benchmark --all` times it (on embedded data of the same shape).
MAIN_CONFIGS = ("ae_conv_mnist", "vae_mlp_binarized_mnist", "vae_conv_binarized_mnist", "dcgan_mnist",
                "made_binarized_mnist", "pixelcnn_binarized_mnist", "gated_pixelcnn_binarized_mnist",
                "pixelrnn_row_binarized_mnist", "glow_mnist", "realnvp_mnist", "maf_mnist",
                "rbm_binarized_mnist", "ebm_mnist", "classifier_mnist")
