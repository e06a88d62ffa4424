"""Training losses in Paddle, differentiable; every name is importable from ``lib.losses``.

* :mod:`.image`: a restored image against its target (L1, Charbonnier, PSNR, SSIM, MS-SSIM, colour
  and their mixes) and the SSIM / MS-SSIM functions lib.metrics shares;
* :mod:`.gan`: the inpainting GAN's adversarial losses (hinge, WGAN) and its generator objective;
* :mod:`.perceptual`: frozen VGG-16 features and the perceptual L1 of the inpainting GAN.
"""

from .gan import (
    DEEPFILL_LOSS_WEIGHTS,
    GAN_LOSSES,
    composite,
    discriminator_loss,
    generator_loss,
    hinge_d_loss,
    hinge_g_loss,
    wgan_d_loss,
)
from .image import (
    MS_SSIM_WEIGHTS,
    SSIM_SIGMA,
    SSIM_WIN_SIZE,
    CharbonnierLoss,
    CharbonnierMSSSIMLoss,
    CharbonnierSSIMLoss,
    ColorLoss,
    L1Loss,
    MSSSIMLoss,
    PSNRLoss,
    SSIMLoss,
    _check_pair,  # noqa: F401 -- private, but lab/tracks/deblur/losses.py builds its losses on them
    _float32,  # noqa: F401 -- (see the line above)
    gaussian_window,
    ms_ssim,
    ms_ssim_min_size,
    ssim,
)
from .perceptual import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    REFERENCE_VGG_LAYERS,
    VGG16_URL,
    PretrainedWeightsError,
    VGG16Features,
    perceptual_l1,
    vgg16_features,
)

__all__ = [
    # image
    "MS_SSIM_WEIGHTS",
    "SSIM_SIGMA",
    "SSIM_WIN_SIZE",
    "CharbonnierLoss",
    "CharbonnierMSSSIMLoss",
    "CharbonnierSSIMLoss",
    "ColorLoss",
    "L1Loss",
    "MSSSIMLoss",
    "PSNRLoss",
    "SSIMLoss",
    "gaussian_window",
    "ms_ssim",
    "ms_ssim_min_size",
    "ssim",
    # gan
    "DEEPFILL_LOSS_WEIGHTS",
    "GAN_LOSSES",
    "composite",
    "discriminator_loss",
    "generator_loss",
    "hinge_d_loss",
    "hinge_g_loss",
    "wgan_d_loss",
    # perceptual
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "REFERENCE_VGG_LAYERS",
    "VGG16_URL",
    "PretrainedWeightsError",
    "VGG16Features",
    "perceptual_l1",
    "vgg16_features",
]
