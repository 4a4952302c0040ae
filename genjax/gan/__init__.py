"""GANs: the chapter's MLP GAN and DCGAN, unconditional or class-conditional (projection
discriminator), non-saturating, hinge and WGAN-GP losses, spectral norm, EMA sampling."""
from genjax.gan import losses, metrics
from genjax.gan.method import State, build
from genjax.gan.modules import ConvDiscriminator, ConvGenerator, MLPDiscriminator, MLPGenerator

__all__ = ["ConvDiscriminator", "ConvGenerator", "MLPDiscriminator", "MLPGenerator", "State",
           "build", "losses", "metrics"]
