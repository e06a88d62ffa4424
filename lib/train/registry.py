"""Names in the options -> networks and losses. Tracks (and tests) add their own with
:func:`register_model` and :func:`register_loss`."""

from __future__ import annotations

import copy
import importlib

from .. import losses

LOSSES = {
    "l1": losses.L1Loss,
    "charbonnier": losses.CharbonnierLoss,
    "psnr": losses.PSNRLoss,
    "msssim": losses.MSSSIMLoss,
    "charbonnier_msssim": losses.CharbonnierMSSSIMLoss,
    "charbonnier_ssim": losses.CharbonnierSSIMLoss,
    "color": losses.ColorLoss,
}

# name -> "module:function" (imported on first use) or a callable; the function takes the
# model options without "name" and returns a paddle.nn.Layer
MODELS = {
    "nafnet": "lib.models.nafnet:nafnet_from_config",
    "sdwnet": "lib.models.sdwnet:sdwnet_from_config",
    "mirnet_v2": "lib.models.mirnet_v2:mirnet_v2_from_config",
    "gunet": "lib.models.gunet:gunet_from_config",
    "deepfill_generator": "lib.models.deepfillv2:deepfill_from_config",
    "deepfill_discriminator": "lib.models.deepfillv2:discriminator_from_config",
    "deeplabv3": "lib.models.deeplab:deeplabv3_from_options",
}


def register_model(name: str, builder) -> None:
    """Make ``{"name": name, ...}`` build with ``builder(options)``."""
    MODELS[name] = builder


def register_loss(name: str, loss_class) -> None:
    LOSSES[name] = loss_class


def build_loss(spec):
    """``"l1"`` or ``{"name": "charbonnier_msssim", "weights": [...]}`` -> a loss Layer."""
    spec = {"name": spec} if isinstance(spec, str) else copy.deepcopy(spec)
    if not isinstance(spec, dict):
        raise ValueError(f"a loss is a name or a dict with 'name', got {spec!r}")
    name = spec.pop("name", None)
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}")
    try:
        return LOSSES[name](**spec)
    except TypeError as exc:
        raise ValueError(f"loss {name!r}: bad options {spec}: {exc}") from exc


def build_model(spec: dict):
    """``{"name": "nafnet", **kwargs}`` -> the network (NAFNet when no name is given)."""
    if not isinstance(spec, dict):
        raise ValueError(f"a model is a dict with 'name' and its options, got {spec!r}")
    spec = copy.deepcopy(spec)
    name = spec.pop("name", "nafnet")
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    builder = MODELS[name]
    if isinstance(builder, str):
        module, function = builder.split(":")
        builder = getattr(importlib.import_module(module), function)
    return builder(spec)
