"""The perceptual loss of the inpainting GAN (DeepFillv2): the L1 distance between frozen VGG-16
features (the reference's ``PerceptualNet``: VGG-16 up to conv4_3) of the refined composite and
the image, :func:`perceptual_l1`. The ImageNet weights are downloaded by
``paddle.vision.models.vgg16(pretrained=True)`` (:func:`vgg16_features`), so the term is optional.
"""

from __future__ import annotations

from typing import Callable

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

__all__ = [
    "VGG16_URL",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "REFERENCE_VGG_LAYERS",
    "PretrainedWeightsError",
    "VGG16Features",
    "vgg16_features",
    "perceptual_l1",
]

VGG16_URL = "https://paddle-hapi.bj.bcebos.com/models/vgg16.pdparams"  # paddle.vision.models.vgg16(pretrained=True)
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
# The reference's PerceptualNet, in paddle.vision's VGG-16 ``features`` indices: conv1_1 ... conv4_3 with
# their ReLUs, except the ReLU after conv3_3 (index 15), which its Sequential leaves out; the output is
# conv4_3's, before its ReLU.
REFERENCE_VGG_LAYERS = tuple(i for i in range(22) if i != 15)


class PretrainedWeightsError(RuntimeError):
    """Pretrained weights could not be downloaded or read (the message names them and the option that
    goes without)."""


class VGG16Features(nn.Layer):
    """Frozen VGG-16 features of the reference's perceptual loss (``network.PerceptualNet``): the
    layers of ``vgg.features`` at :data:`REFERENCE_VGG_LAYERS`. Every conv keeps ``vgg``'s weights
    (the reference meant them all pretrained; its ``load_dict`` matched torchvision's keys by index,
    which the missing ReLU shifts, so its conv4_x kept a random initialisation). ``normalize``:
    subtract ImageNet's mean and divide by its std first (the reference's earlier trainer did; the
    one with ``--lambda_l1`` / ``--lambda_perceptual`` feeds the [0, 1] images as they are)."""

    def __init__(self, vgg, normalize: bool = False):
        super().__init__()
        self.layers = nn.Sequential(*[vgg.features[i] for i in REFERENCE_VGG_LAYERS])
        self.normalize = bool(normalize)
        self.register_buffer("mean", paddle.to_tensor(IMAGENET_MEAN, dtype="float32").reshape([1, 3, 1, 1]))
        self.register_buffer("std", paddle.to_tensor(IMAGENET_STD, dtype="float32").reshape([1, 3, 1, 1]))
        for p in self.parameters():
            p.stop_gradient = True
        self.eval()

    def forward(self, x):
        if self.normalize:
            x = (x - self.mean) / self.std
        return self.layers(x)


def vgg16_features(
    pretrained: bool = True, normalize: bool = False, option: str = "perceptual_weight: 0"
) -> VGG16Features:
    """:class:`VGG16Features` of ``paddle.vision.models.vgg16(pretrained=pretrained)`` (ImageNet
    weights from :data:`VGG16_URL`, downloaded once into ~/.cache/paddle/hapi/weights). A failed
    download is a :class:`PretrainedWeightsError` naming the URL and ``option`` (how to do without)."""
    from paddle.vision.models import vgg16

    try:
        vgg = vgg16(pretrained=pretrained)
    except Exception as exc:  # requests' ConnectionError, a bad md5, a damaged file
        from paddle.utils.download import WEIGHTS_HOME

        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise PretrainedWeightsError(
            f"cannot load the ImageNet VGG-16 of the perceptual loss from {VGG16_URL} ({type(exc).__name__}: "
            f"{reason}); Paddle looks for a downloaded copy in {WEIGHTS_HOME}. Without network, copy vgg16.pdparams "
            f"there, or train without the perceptual term ({option})"
        ) from exc
    return VGG16Features(vgg, normalize)


def perceptual_l1(features: Callable, pred, target):
    """The reference's perceptual loss: ``mean |features(pred) - features(target)|`` (nn.L1Loss of the
    two feature maps; the target's features carry no gradient)."""
    with paddle.no_grad():
        target_features = features(target)
    return F.l1_loss(features(pred), target_features)
