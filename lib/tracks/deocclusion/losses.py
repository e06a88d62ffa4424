"""The de-occlusion track's training losses with the weights the solution's code gives them
(renqi1/Text_Image_Inpainting trainer.py): the inpainter's (``WGAN_trainer``, despite its name a hinge
discriminator) and the segmenter's class-weighted cross-entropy (``Segment_trainer``). The course's
own weighting (the base repository's: coarse L1 as heavy as the refined one, the full hinge) is these
functions with their weights at 1."""

from __future__ import annotations

from lib.losses import generator_loss as deepfill_generator_loss


def discriminator_loss(kind: str, d_real, d_fake, scale: float = 1.0):
    """``scale`` x lib.losses.discriminator_loss (the solution: hinge with ``scale`` 0.5,
    0.5 mean(relu(1 - D(real))) + 0.5 mean(relu(1 + D(fake))))."""
    from lib.losses import discriminator_loss as base

    return scale * base(kind, d_real, d_fake)


# the generator's: lib.losses.generator_loss with coarse_l1 (the solution: l1 1000, coarse_l1 0.5, gan 1,
# no perceptual term; the reference: coarse_l1 1)
generator_loss = deepfill_generator_loss


def segmentation_ce(logits, labels, class_weights=None):
    """Pixel-wise cross-entropy of N x C x H x W ``logits`` against N x H x W class ids, optionally
    weighted per class: the mean of w[label] x CE over pixels divided by the mean of w[label], as
    torch's nn.CrossEntropyLoss(weight=...) (the solution's, weights [1, 10]) and paddle's
    F.cross_entropy(weight=...) both normalise it. ``class_weights`` None: the plain mean."""
    import paddle
    import paddle.nn.functional as F

    weight = None if class_weights is None else paddle.to_tensor(class_weights, dtype="float32")
    return F.cross_entropy(logits.transpose([0, 2, 3, 1]), labels.unsqueeze(-1), weight=weight)
