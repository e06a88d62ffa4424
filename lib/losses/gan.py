"""The adversarial losses of the inpainting GAN (DeepFillv2, lib.models.deepfillv2) and its
generator's objective on the composited outputs.

The reference PyTorch implementation (zhaoyuzhi/deepfillv2) trains with ``gan_type='WGAN'`` by
default (``d = -mean(D(real)) + mean(D(fake))``, no gradient penalty: spectral norm bounds D) and
an LSGAN variant; the paper uses the hinge loss. Both WGAN and hinge are here, with the reference's
generator weights: 100 x L1(coarse composite, img) + 100 x L1(refined composite, img)
+ 10 x perceptual + 1 x GAN. The perceptual term is :func:`lib.losses.perceptual.perceptual_l1`.
Reference optimiser: Adam, lr_g 1e-4, lr_d 4e-4, betas (0.5, 0.999), halved every 10 epochs,
batch 1, 40 epochs, 256x256 images.
"""

from __future__ import annotations

from typing import Any, Callable

import paddle.nn.functional as F

__all__ = [
    "DEEPFILL_LOSS_WEIGHTS",
    "GAN_LOSSES",
    "composite",
    "hinge_d_loss",
    "hinge_g_loss",
    "wgan_d_loss",
    "discriminator_loss",
    "generator_loss",
]

# The reference's generator loss weights (train.py: lambda_l1, lambda_perceptual, lambda_gan).
DEEPFILL_LOSS_WEIGHTS = dict(l1=100.0, perceptual=10.0, gan=1.0)
GAN_LOSSES = ("wgan", "hinge")


def composite(img, out, mask):
    """The known pixels of ``img`` with ``out`` in the holes (mask 1 = hole)."""
    return img * (1 - mask) + out * mask


def hinge_d_loss(d_real, d_fake):
    """SN-PatchGAN discriminator hinge loss: mean(relu(1 - D(real))) + mean(relu(1 + D(fake)))."""
    return F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()


def hinge_g_loss(d_fake):
    """Generator adversarial loss of the hinge (and WGAN) formulation: -mean(D(fake))."""
    return -d_fake.mean()


def wgan_d_loss(d_real, d_fake):
    """The reference's default (gan_type 'WGAN', no gradient penalty): -mean(D(real)) + mean(D(fake))."""
    return d_fake.mean() - d_real.mean()


def discriminator_loss(kind: str, d_real, d_fake):
    """The discriminator's loss of ``kind``: "wgan" (the reference's default, :func:`wgan_d_loss`) or
    "hinge" (the paper's, :func:`hinge_d_loss`). The generator's adversarial term is -mean(D(fake))
    for both."""
    if kind == "wgan":
        return wgan_d_loss(d_real, d_fake)
    if kind == "hinge":
        return hinge_d_loss(d_real, d_fake)
    raise ValueError(f"unknown GAN loss {kind!r}; choose one of {', '.join(GAN_LOSSES)}")


def generator_loss(
    img,
    mask,
    coarse,
    refined,
    d_fake,
    l1: float = DEEPFILL_LOSS_WEIGHTS["l1"],
    gan: float = DEEPFILL_LOSS_WEIGHTS["gan"],
    perceptual: float = 0.0,
    perceptual_fn: Callable | None = None,
    coarse_l1: float = 1.0,
) -> dict[str, Any]:
    """The reference's generator objective on the composited outputs:
    ``l1 * L1(comp(coarse), img) + l1 * L1(comp(refined), img) + perceptual * P + gan * (-mean(d_fake))``
    (``coarse_l1`` scales the coarse term: 1 in the reference, 0.5 in the de-occlusion solution's trainer.py)
    (reference weights 100, 100, 10, 1). ``d_fake`` = D(comp(refined), mask) without detaching.
    The perceptual term (L1 between VGG-16 conv4_3 features in the reference) is used only when
    ``perceptual_fn(pred, target)`` is given. Returns a dict with ``total`` and each term."""
    first = F.l1_loss(composite(img, coarse, mask), img)
    second = F.l1_loss(composite(img, refined, mask), img)
    adv = hinge_g_loss(d_fake)
    total = (l1 * coarse_l1) * first + l1 * second + gan * adv
    terms = {"l1_coarse": first, "l1_refined": second, "gan": adv}
    if perceptual_fn is not None and perceptual:
        p = perceptual_fn(composite(img, refined, mask), img)
        total = total + perceptual * p
        terms["perceptual"] = p
    terms["total"] = total
    return terms
