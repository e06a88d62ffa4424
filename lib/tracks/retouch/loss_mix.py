"""A weighted sum of the course's image losses, so a phase's loss mix is written in the options::

    loss: {name: loss_mix, l1: 1.0, color: 1.0}                 # L1 + colour (retouching, stage 1)
    loss: {name: loss_mix, psnr: 0.005, msssim: 0.5}           # the "score loss" (stage 3)

Terms (each weight >= 0, at least one > 0; a zero weight is not computed): ``l1``
(:class:`lib.losses.L1Loss`), ``charbonnier``, ``color`` (:class:`lib.losses.ColorLoss`, 1 - cos of
the RGB angle), ``psnr`` (:class:`lib.losses.PSNRLoss`, negative PSNR in dB) and ``msssim``
(1 - MS-SSIM with ``msssim_weights``: fewer scales for patches under 176 px). The sum is
``sum_t weight_t * loss_t(pred, target)``. The track that uses it registers it by name
(lib.train.registry.register_loss).
"""

from __future__ import annotations

from typing import Sequence

import paddle.nn as nn

from lib import losses

TERMS = ("l1", "charbonnier", "color", "psnr", "msssim")


class LossMix(nn.Layer):
    def __init__(
        self,
        l1: float = 0.0,
        charbonnier: float = 0.0,
        color: float = 0.0,
        psnr: float = 0.0,
        msssim: float = 0.0,
        msssim_weights: Sequence[float] | None = None,
    ):
        super().__init__()
        weights = {"l1": l1, "charbonnier": charbonnier, "color": color, "psnr": psnr, "msssim": msssim}
        bad = {k: v for k, v in weights.items() if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0}
        if bad:
            raise ValueError(f"loss_mix: weights must be non-negative numbers, got {bad}")
        if not any(weights.values()):
            raise ValueError(f"loss_mix: give at least one positive weight among {list(TERMS)}")
        self.weights = {k: float(v) for k, v in weights.items() if v > 0}
        build = {
            "l1": losses.L1Loss,
            "charbonnier": losses.CharbonnierLoss,
            "color": losses.ColorLoss,
            "psnr": losses.PSNRLoss,
            "msssim": lambda: losses.MSSSIMLoss(weights=msssim_weights or losses.MS_SSIM_WEIGHTS),
        }
        self.terms = nn.LayerDict({k: build[k]() for k in self.weights})

    def extra_repr(self):
        return ", ".join(f"{k}={v:g}" for k, v in self.weights.items())

    def parts(self, pred, target) -> dict:
        """Each term's unweighted value (tensors), for logging and tests."""
        return {k: self.terms[k](pred, target) for k in self.weights}

    def forward(self, pred, target):
        parts = self.parts(pred, target)
        total = None
        for k, value in parts.items():
            total = self.weights[k] * value if total is None else total + self.weights[k] * value
        return total
