"""Training losses (Paddle, differentiable) and the SSIM / MS-SSIM functions they share with
lib.metrics.

Convention: images are N x C x H x W float tensors in [0, 1] and ``data_range=1.0`` everywhere.
SSIM's constants are C1 = (0.01 * data_range)^2 and C2 = (0.03 * data_range)^2, so data_range
must be the range the images really have. (The 1st-place code passed data_range=255 on [0, 1]
images: C1, C2 then dwarf every variance and MS-SSIM sits near 1 with almost no gradient;
tests/test_losses.py shows the difference.)

SSIM (Wang et al. 2004) as in scikit-image with ``gaussian_weights=True, sigma=1.5,
use_sample_covariance=False``: an 11 x 11 Gaussian window (sigma 1.5), population statistics,
the SSIM map averaged over its valid part (no padding) and over channels.
MS-SSIM (Wang, Simoncelli, Bovik 2003): 5 scales with weights
[0.0448, 0.2856, 0.3001, 0.2363, 0.1333], 2 x 2 average pooling between scales (an odd last
row/column is dropped), contrast-structure terms at scales 1..4 and full SSIM at scale 5,
negative terms clipped to a tiny positive value before the fractional powers (pytorch_msssim
clips at 0) so the result stays real and its gradient finite.

Both always compute in float32 with autocast off, whatever the caller's mixed precision: a
variance is a small difference of two means (E[x^2] - E[x]^2), and on a white page both means are
~0.9 while the variance is ~1e-4, below C2 = 9e-4. In float16/bfloat16 (3-4 significant digits)
that difference is rounding noise larger than C2, and the loss becomes noise too.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
SSIM_WIN_SIZE = 11
SSIM_SIGMA = 1.5
_REDUCTIONS = ("mean", "sum", "none")


def _check_pair(pred, target, where: str):
    if len(pred.shape) != 4 or list(pred.shape) != list(target.shape):
        raise ValueError(
            f"{where}: expects two N x C x H x W tensors of the same shape, "
            f"got {list(pred.shape)} and {list(target.shape)}"
        )


def _reduce(loss, reduction: str):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_reduction(reduction: str, where: str) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{where}: unknown reduction {reduction!r}; choose one of {_REDUCTIONS}")
    return reduction


# --------------------------------------------------------------------------- SSIM / MS-SSIM
def gaussian_window(win_size: int = SSIM_WIN_SIZE, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """Normalised 1-D Gaussian of ``win_size`` taps (float64)."""
    coords = np.arange(win_size, dtype=np.float64) - (win_size - 1) / 2.0
    g = np.exp(-(coords**2) / (2.0 * sigma**2))
    return g / g.sum()


def _gaussian_filter_valid(x, win_1d):
    """Separable Gaussian filtering of each channel, valid part only (no padding)."""
    c = x.shape[1]
    k = win_1d.shape[0]
    kh = paddle.to_tensor(np.tile(win_1d.reshape(1, 1, k, 1), (c, 1, 1, 1)), dtype=x.dtype)
    kw = paddle.to_tensor(np.tile(win_1d.reshape(1, 1, 1, k), (c, 1, 1, 1)), dtype=x.dtype)
    x = F.conv2d(x, kh, groups=c)
    return F.conv2d(x, kw, groups=c)


def _ssim_and_cs(x, y, data_range: float, win_1d):
    """Per-image, per-channel mean SSIM and contrast-structure term, each N x C."""
    c1 = (0.01 * data_range) ** 2
    c2 = (0.03 * data_range) ** 2
    mu_x = _gaussian_filter_valid(x, win_1d)
    mu_y = _gaussian_filter_valid(y, win_1d)
    sigma_xx = _gaussian_filter_valid(x * x, win_1d) - mu_x * mu_x
    sigma_yy = _gaussian_filter_valid(y * y, win_1d) - mu_y * mu_y
    sigma_xy = _gaussian_filter_valid(x * y, win_1d) - mu_x * mu_y
    cs_map = (2.0 * sigma_xy + c2) / (sigma_xx + sigma_yy + c2)
    luminance = (2.0 * mu_x * mu_y + c1) / (mu_x * mu_x + mu_y * mu_y + c1)
    ssim_map = luminance * cs_map
    return ssim_map.mean(axis=[2, 3]), cs_map.mean(axis=[2, 3])


def _float32(x):
    return x if x.dtype == paddle.float32 else x.astype("float32")


def ssim(pred, target, data_range: float = 1.0, win_size: int = SSIM_WIN_SIZE, sigma: float = SSIM_SIGMA):
    """SSIM of each image of the batch (N values, float32), averaged over channels. Images in
    [0, data_range]. Computed in float32 with autocast off (module docstring)."""
    _check_pair(pred, target, "ssim")
    h, w = pred.shape[2], pred.shape[3]
    if min(h, w) < win_size:
        raise ValueError(f"ssim: images of {h} x {w} are smaller than the {win_size}-pixel window")
    with paddle.amp.auto_cast(enable=False):
        value, _ = _ssim_and_cs(_float32(pred), _float32(target), data_range, gaussian_window(win_size, sigma))
        return value.mean(axis=1)


def ms_ssim_min_size(num_scales: int = len(MS_SSIM_WEIGHTS), win_size: int = SSIM_WIN_SIZE) -> int:
    """Smallest image side for which the coarsest scale still holds one full window."""
    return win_size * 2 ** (num_scales - 1)


def ms_ssim(
    pred,
    target,
    data_range: float = 1.0,
    weights: Sequence[float] = MS_SSIM_WEIGHTS,
    win_size: int = SSIM_WIN_SIZE,
    sigma: float = SSIM_SIGMA,
    eps: float = 1e-8,
):
    """MS-SSIM of each image of the batch (N values, float32), averaged over channels.

    Images in [0, data_range]; computed in float32 with autocast off (module docstring). With the 5
    standard weights both sides must be at least ``ms_ssim_min_size()`` = 176 pixels; for smaller
    images pass fewer weights (e.g. ``MS_SSIM_WEIGHTS[:3]``, renormalised by the caller if wanted) or use ``ssim``.
    """
    _check_pair(pred, target, "ms_ssim")
    weights = [float(w) for w in weights]
    if not weights:
        raise ValueError("ms_ssim: weights must give at least one scale")
    h, w = pred.shape[2], pred.shape[3]
    min_size = ms_ssim_min_size(len(weights), win_size)
    if min(h, w) < min_size:
        raise ValueError(
            f"ms_ssim: images of {h} x {w} are too small for {len(weights)} scales with a {win_size}-pixel "
            f"window (need at least {min_size} x {min_size}); use larger images, fewer scales "
            f"(weights=MS_SSIM_WEIGHTS[:k]) or ssim()"
        )
    win_1d = gaussian_window(win_size, sigma)
    with paddle.amp.auto_cast(enable=False):
        pred, target, value = _float32(pred), _float32(target), None
        for level, weight in enumerate(weights):
            ssim_val, cs = _ssim_and_cs(pred, target, data_range, win_1d)
            last = level == len(weights) - 1
            term = paddle.clip(ssim_val if last else cs, min=eps) ** weight
            value = term if value is None else value * term
            if not last:
                pred = F.avg_pool2d(pred, kernel_size=2, stride=2)
                target = F.avg_pool2d(target, kernel_size=2, stride=2)
        return value.mean(axis=1)


# --------------------------------------------------------------------------- losses
class L1Loss(nn.Layer):
    """Mean absolute error."""

    def __init__(self, loss_weight: float = 1.0, reduction: str = "mean"):
        super().__init__()
        self.loss_weight = loss_weight
        self.reduction = _check_reduction(reduction, "L1Loss")

    def forward(self, pred, target):
        _check_pair(pred, target, "L1Loss")
        return self.loss_weight * _reduce((pred - target).abs(), self.reduction)


class CharbonnierLoss(nn.Layer):
    """Charbonnier (smooth L1): ``sqrt((pred - target)^2 + eps^2)``, eps 1e-3 as the winner used."""

    def __init__(self, eps: float = 1e-3, loss_weight: float = 1.0, reduction: str = "mean"):
        super().__init__()
        self.eps = eps
        self.loss_weight = loss_weight
        self.reduction = _check_reduction(reduction, "CharbonnierLoss")

    def forward(self, pred, target):
        _check_pair(pred, target, "CharbonnierLoss")
        diff = pred - target
        return self.loss_weight * _reduce(paddle.sqrt(diff * diff + self.eps**2), self.reduction)


class PSNRLoss(nn.Layer):
    """Negative PSNR, the loss NAFNet was trained with (reference ``PSNRLoss``).

    ``loss = loss_weight * mean_over_batch(10 / ln 10 * ln(MSE_i + 1e-8)) = -mean PSNR_i`` in dB for
    images in [0, 1] (peak 1). Minimising it maximises the mean per-image PSNR; it is negative
    (e.g. -30 for a 30 dB batch), so compare its values, not its sign.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight
        self.scale = 10.0 / np.log(10.0)

    def forward(self, pred, target):
        _check_pair(pred, target, "PSNRLoss")
        mse = ((pred - target) ** 2).mean(axis=[1, 2, 3])
        return self.loss_weight * self.scale * paddle.log(mse + 1e-8).mean()


class SSIMLoss(nn.Layer):
    """``1 - SSIM``, batch mean. Images in [0, data_range] (the course: [0, 1], data_range=1.0)."""

    def __init__(self, data_range: float = 1.0, loss_weight: float = 1.0):
        super().__init__()
        self.data_range = data_range
        self.loss_weight = loss_weight

    def forward(self, pred, target):
        return self.loss_weight * (1.0 - ssim(pred, target, self.data_range)).mean()


class MSSSIMLoss(nn.Layer):
    """``1 - MS-SSIM`` (5 scales), batch mean. Images in [0, data_range]; course: data_range=1.0.

    Patches must be at least 176 px on each side for 5 scales (see ``ms_ssim``).
    """

    def __init__(self, data_range: float = 1.0, weights: Sequence[float] = MS_SSIM_WEIGHTS, loss_weight: float = 1.0):
        super().__init__()
        self.data_range = data_range
        self.weights = tuple(weights)
        self.loss_weight = loss_weight

    def forward(self, pred, target):
        return self.loss_weight * (1.0 - ms_ssim(pred, target, self.data_range, self.weights)).mean()


class CharbonnierMSSSIMLoss(nn.Layer):
    """Phase 2 of the 1st-place training: ``Charbonnier(eps 1e-3) + msssim_weight * (1 - MS-SSIM)``.

    The winner used msssim_weight 1. Images in [0, 1] with data_range=1.0 (see module docstring).
    """

    def __init__(
        self,
        msssim_weight: float = 1.0,
        eps: float = 1e-3,
        data_range: float = 1.0,
        weights: Sequence[float] = MS_SSIM_WEIGHTS,
    ):
        super().__init__()
        self.msssim_weight = msssim_weight
        self.charbonnier = CharbonnierLoss(eps=eps)
        self.msssim = MSSSIMLoss(data_range=data_range, weights=weights)

    def forward(self, pred, target):
        return self.charbonnier(pred, target) + self.msssim_weight * self.msssim(pred, target)


class ColorLoss(nn.Layer):
    """Colour (hue) loss: mean over pixels of ``1 - cos(angle)`` between the RGB vectors.

    For each pixel, ``cos = <p, t> / (|p| |t|)`` over the channel axis; the loss is 0 when every
    predicted colour points in the direction of the target colour, whatever its brightness, and
    grows with the hue/saturation error (1 - cos ~ angle^2 / 2 for small angles). ``1 - cos`` is
    used rather than the angle itself because arccos has an infinite slope at cos = 1. ``eps``
    keeps black pixels (zero vectors) finite (for identical inputs the loss is ~eps / |t|^2, not
    exactly 0). For tracks where colour shifts matter (e.g.
    shadows, watermarks), added to a pixel loss with a small weight.
    """

    def __init__(self, eps: float = 1e-8, loss_weight: float = 1.0):
        super().__init__()
        self.eps = eps
        self.loss_weight = loss_weight

    def forward(self, pred, target):
        _check_pair(pred, target, "ColorLoss")
        if pred.shape[1] < 2:
            raise ValueError(f"ColorLoss: needs colour images (C >= 2), got C = {pred.shape[1]}")
        dot = (pred * target).sum(axis=1)
        norms = paddle.sqrt((pred * pred).sum(axis=1) + self.eps) * paddle.sqrt(
            (target * target).sum(axis=1) + self.eps
        )
        return self.loss_weight * (1.0 - dot / norms).mean()


class CharbonnierSSIMLoss(nn.Layer):
    """SDWNet's loss (FlyEgle/SDWNet configs: ``L1_Charbonnier`` eps 1e-3 with ``L1_ALPHA: 1`` plus
    ``SSIM`` with ``SSIM_ALPHA: 1``): ``charbonnier_weight * Charbonnier + ssim_weight * (1 - SSIM)``,
    1:1 by default. Single-scale SSIM (11 x 11 Gaussian window) works on patches of 11 px and up,
    unlike 5-scale MS-SSIM. Images in [0, 1] with data_range=1.0 (see module docstring)."""

    def __init__(
        self, charbonnier_weight: float = 1.0, ssim_weight: float = 1.0, eps: float = 1e-3, data_range: float = 1.0
    ):
        super().__init__()
        self.charbonnier_weight = float(charbonnier_weight)
        self.ssim_weight = float(ssim_weight)
        self.charbonnier = CharbonnierLoss(eps=eps)
        self.ssim = SSIMLoss(data_range=data_range)

    def forward(self, pred, target):
        return self.charbonnier_weight * self.charbonnier(pred, target) + self.ssim_weight * self.ssim(pred, target)
