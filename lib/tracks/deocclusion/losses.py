"""The de-occlusion track's training losses with the weights the winner's code gives them
(renqi1/Text_Image_Inpainting trainer.py): the inpainter's (``WGAN_trainer``, despite its name a hinge
discriminator) and the segmenter's class-weighted cross-entropy (``Segment_trainer``). The course's
own weighting (the base repository's: coarse L1 as heavy as the refined one, the full hinge) is these
functions with their weights at 1."""

from __future__ import annotations

from typing import Callable


def discriminator_loss(kind: str, d_real, d_fake, scale: float = 1.0):
    """``scale`` x lib.models.deepfillv2.discriminator_loss (the winner: hinge with ``scale`` 0.5,
    0.5 mean(relu(1 - D(real))) + 0.5 mean(relu(1 + D(fake))))."""
    from lib.models.deepfillv2 import discriminator_loss as base

    return scale * base(kind, d_real, d_fake)


def generator_loss(
    img,
    mask,
    coarse,
    refined,
    d_fake,
    l1: float,
    gan: float,
    coarse_l1: float = 1.0,
    perceptual: float = 0.0,
    perceptual_fn: Callable | None = None,
) -> dict:
    """``l1 x (coarse_l1 x L1(comp(coarse), img) + L1(comp(refined), img)) + gan x (-mean(d_fake))``
    [+ ``perceptual`` x perceptual_fn(comp(refined), img)], each L1 the mean over every pixel (torch's
    nn.L1Loss, paddle's F.l1_loss). The winner: l1 1000, coarse_l1 0.5, gan 1, no perceptual term.
    Returns ``total`` and each term, as lib.models.deepfillv2.generator_loss."""
    from lib.models.deepfillv2 import composite, hinge_g_loss

    import paddle.nn.functional as F

    first = F.l1_loss(composite(img, coarse, mask), img)
    second = F.l1_loss(composite(img, refined, mask), img)
    adv = hinge_g_loss(d_fake)
    total = (l1 * coarse_l1) * first + l1 * second + gan * adv  # in lib.models' order: coarse_l1 1 is its sum
    terms = {"l1_coarse": first, "l1_refined": second, "gan": adv}
    if perceptual_fn is not None and perceptual:
        p = perceptual_fn(composite(img, refined, mask), img)
        total = total + perceptual * p
        terms["perceptual"] = p
    terms["total"] = total
    return terms


def segmentation_ce(logits, labels, class_weights=None):
    """Pixel-wise cross-entropy of N x C x H x W ``logits`` against N x H x W class ids, optionally
    weighted per class: the mean of w[label] x CE over pixels divided by the mean of w[label], as
    torch's nn.CrossEntropyLoss(weight=...) (the winner's, weights [1, 10]) and paddle's
    F.cross_entropy(weight=...) both normalise it. ``class_weights`` None: the plain mean."""
    import paddle
    import paddle.nn.functional as F

    weight = None if class_weights is None else paddle.to_tensor(class_weights, dtype="float32")
    return F.cross_entropy(logits.transpose([0, 2, 3, 1]), labels.unsqueeze(-1), weight=weight)
