"""GANs: the chapter's MLP GAN with non-saturating, hinge and WGAN-GP losses, EMA sampling."""
from genjax.gan import losses, metrics, sample_quality
from genjax.gan.method import State, build
from genjax.gan.modules import MLPDiscriminator, MLPGenerator

__all__ = ["MLPDiscriminator", "MLPGenerator", "State", "build", "losses", "metrics",
           "sample_quality"]
