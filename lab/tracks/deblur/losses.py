"""The readability study's loss: L1 weighted up on the target's stroke edges (``stroke_l1``; not shipped).

Importing this module registers it with the course's engine (:func:`lib.train.registry.register_loss`), so a phase
of an experiment's options may say ``loss: {name: stroke_l1, edge_weight: 4.0}``.
"""

from __future__ import annotations

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from lib.losses import _check_pair, _float32
from lib.train.registry import register_loss

SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])


def sobel_magnitude(grey):
    """Sobel gradient magnitude of an N x 1 x H x W image, N x 1 x H x W, replicate padding,
    ``sqrt(gx^2 + gy^2) / 4`` so a unit step edge gives 1.0 on the pixels either side of it (the
    scale of lib.data.analysis.mean_gradient, which measures NumPy pages; this one stays on the device)."""
    kernels = np.stack([SOBEL_X, SOBEL_X.T])[:, None]  # 2 x 1 x 3 x 3: d/dx, d/dy
    weight = paddle.to_tensor(kernels, dtype=grey.dtype)
    g = F.conv2d(F.pad(grey, [1, 1, 1, 1], mode="replicate"), weight)
    return paddle.sqrt((g * g).sum(axis=1, keepdim=True)) / 4.0


class StrokeWeightedL1Loss(nn.Layer):
    """L1 weighted up on the target's edges: ``w = 1 + edge_weight * |Sobel(grey target)| / 4``
    (the grey image is the channel mean; a unit step edge gives w = 1 + edge_weight), and
    ``loss = loss_weight * mean(w * |pred - target|) / mean(w)`` with w broadcast over channels.

    Why: on a document page the edges decide where a stroke's boundary lies, and so how wide the
    stroke is; plain L1 spends most of its weight on flat paper and ink, so a restoration whose
    strokes come out bolder than the sharp original costs little. The weights are computed from
    the target alone, with no gradient. Dividing by the mean weight keeps the loss on L1's scale
    (edge_weight = 0 gives L1 exactly), so a learning rate tuned for L1 still fits. Computed in
    float32 with autocast off, like the SSIM functions (module docstring).
    """

    def __init__(self, edge_weight: float = 4.0, loss_weight: float = 1.0):
        super().__init__()
        if (
            isinstance(edge_weight, bool)
            or not isinstance(edge_weight, (int, float, np.integer, np.floating))
            or not np.isfinite(edge_weight)
            or edge_weight < 0
        ):
            raise ValueError(f"StrokeWeightedL1Loss: edge_weight must be a finite number >= 0, got {edge_weight!r}")
        self.edge_weight = float(edge_weight)
        self.loss_weight = loss_weight

    def forward(self, pred, target):
        _check_pair(pred, target, "StrokeWeightedL1Loss")
        with paddle.amp.auto_cast(enable=False):
            pred, target = _float32(pred), _float32(target)
            grey = target.detach().mean(axis=1, keepdim=True)
            weight = (1.0 + self.edge_weight * sobel_magnitude(grey)).detach()
            return self.loss_weight * (weight * (pred - target).abs()).mean() / weight.mean()


register_loss("stroke_l1", StrokeWeightedL1Loss)  # {name: stroke_l1, edge_weight: 4.0}
