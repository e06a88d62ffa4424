"""Names in the options -> models and losses."""
from __future__ import annotations

import copy

from .. import losses

LOSSES = {
    "l1": losses.L1Loss,
    "charbonnier": losses.CharbonnierLoss,
    "psnr": losses.PSNRLoss,
    "msssim": losses.MSSSIMLoss,
    "charbonnier_msssim": losses.CharbonnierMSSSIMLoss,
}


def build_loss(spec):
    """``"l1"`` or ``{"name": "charbonnier_msssim", "weights": [...]}`` -> a loss Layer."""
    spec = {"name": spec} if isinstance(spec, str) else copy.deepcopy(spec)
    name = spec.pop("name", None)
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}")
    try:
        return LOSSES[name](**spec)
    except TypeError as exc:
        raise ValueError(f"loss {name!r}: bad options {spec}: {exc}") from exc


def build_model(spec: dict):
    """``{"name": "nafnet", **kwargs}`` -> the model."""
    spec = copy.deepcopy(spec)
    name = spec.pop("name", "nafnet")
    if name == "nafnet":
        from ..models.nafnet import nafnet_from_config
        return nafnet_from_config(spec)
    raise ValueError(f"unknown model {name!r}; known: nafnet")
