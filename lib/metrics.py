"""Evaluation metrics on uint8 images, and the competition's score. Every notebook uses this module.

Conventions (the competition scored saved 8-bit images):
* images are uint8 arrays, H x W (gray) or H x W x C (RGB: all channels count), data range 255;
* a float model output in [0, 1] becomes uint8 by round-and-clip: ``to_uint8`` / ``tensor_to_uint8``;
* PSNR: scikit-image ``peak_signal_noise_ratio`` over all pixels and channels (identical images
  give ``inf``);
* SSIM: scikit-image ``structural_similarity`` with the standard Gaussian window
  (``gaussian_weights=True, sigma=1.5, use_sample_covariance=False``), channels averaged;
* MS-SSIM: the single implementation in ``lib.losses.ms_ssim`` (5 scales, weights
  [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]), on the images divided by 255 with data_range=1.0,
  i.e. exactly data range 255. Both sides must be at least 176 px, else a ValueError says so.
* Score: ``0.5 * PSNR / 100 + 0.5 * MS-SSIM``. The competition page named PSNR and MS-SSIM; the
  formula is the one the published leaderboard results fit (13th place: PSNR 20.32433,
  MS-SSIM 0.93676, score 0.57).
"""

from __future__ import annotations

import numpy as np
import paddle
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from lib.losses import MS_SSIM_WEIGHTS, ms_ssim_min_size
from lib.losses import ms_ssim as _ms_ssim_tensor

DATA_RANGE = 255


def to_uint8(img) -> np.ndarray:
    """Float image in [0, 1] (NumPy array or Paddle tensor, any layout) -> uint8 by round-and-clip."""
    if isinstance(img, paddle.Tensor):
        img = img.numpy()
    img = np.asarray(img)
    if img.dtype == np.uint8:
        return img
    if not np.issubdtype(img.dtype, np.floating):
        raise ValueError(f"to_uint8 expects a float image in [0, 1] (or uint8), got dtype {img.dtype}")
    return np.clip(np.round(img.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)


def tensor_to_uint8(tensor) -> np.ndarray:
    """A C x H x W or 1 x C x H x W float tensor in [0, 1] -> H x W x C uint8 (H x W if C == 1)."""
    arr = tensor.numpy() if isinstance(tensor, paddle.Tensor) else np.asarray(tensor)
    if arr.ndim == 4:
        if arr.shape[0] != 1:
            raise ValueError(f"tensor_to_uint8 converts one image; got a batch of shape {arr.shape}")
        arr = arr[0]
    if arr.ndim != 3:
        raise ValueError(f"tensor_to_uint8 expects C x H x W or 1 x C x H x W, got shape {arr.shape}")
    arr = np.transpose(arr, (1, 2, 0))
    return to_uint8(arr[..., 0] if arr.shape[2] == 1 else arr)


def _check_pair(restored, target, where: str):
    restored, target = np.asarray(restored), np.asarray(target)
    for name, img in (("restored", restored), ("target", target)):
        if img.dtype != np.uint8:
            raise ValueError(
                f"{where}: {name} image must be uint8 (data range 255), got {img.dtype}; "
                f"convert float outputs with lib.metrics.to_uint8"
            )
        if img.ndim not in (2, 3):
            raise ValueError(f"{where}: {name} image must be H x W or H x W x C, got shape {img.shape}")
    if restored.shape != target.shape:
        raise ValueError(f"{where}: shapes differ: restored {restored.shape} vs target {target.shape}")
    if restored.ndim == 3 and restored.shape[2] == 1:
        restored, target = restored[..., 0], target[..., 0]
    return restored, target


def psnr(restored, target) -> float:
    """PSNR in dB of two uint8 images (data range 255, all channels); ``inf`` if identical."""
    restored, target = _check_pair(restored, target, "psnr")
    if np.array_equal(restored, target):
        return float("inf")
    return float(peak_signal_noise_ratio(target, restored, data_range=DATA_RANGE))


def region_psnr(restored, target, mask=None, cap: float | None = None) -> float:
    """PSNR in dB (peak 255) of two uint8 RGB images over the pixels of ``mask`` (every channel; all
    pixels if None); ``inf`` where they are equal there (or ``cap``, which also bounds every value,
    so that a mean over pages stays finite), ``nan`` for an empty mask."""
    for name, image in (("restored", restored), ("target", target)):
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(
                f"region_psnr: {name} must be an H x W x 3 uint8 RGB image, got "
                f"{getattr(image, 'shape', type(image).__name__)} {getattr(image, 'dtype', '')}"
            )
    mask = np.ones(restored.shape[:2], bool) if mask is None else np.asarray(mask, dtype=bool)
    if restored.shape != target.shape or mask.shape != restored.shape[:2]:
        raise ValueError(f"region_psnr: shapes differ: {restored.shape}, {target.shape}, mask {mask.shape}")
    if not mask.any():
        return float("nan")
    diff = restored.astype(np.float64)[mask] - target.astype(np.float64)[mask]
    mse = float(np.mean(diff * diff))
    value = float("inf") if mse == 0 else float(10.0 * np.log10(DATA_RANGE**2 / mse))
    return value if cap is None else min(float(cap), value)


def ssim(restored, target) -> float:
    """SSIM of two uint8 images (Gaussian window sigma 1.5, data range 255, channels averaged)."""
    restored, target = _check_pair(restored, target, "ssim")
    return float(
        structural_similarity(
            target,
            restored,
            data_range=DATA_RANGE,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            channel_axis=-1 if restored.ndim == 3 else None,
        )
    )


def ms_ssim(restored, target) -> float:
    """MS-SSIM (5 scales) of two uint8 images, data range 255; both sides must be >= 176 px."""
    restored, target = _check_pair(restored, target, "ms_ssim")
    h, w = restored.shape[:2]
    if min(h, w) < ms_ssim_min_size(len(MS_SSIM_WEIGHTS)):
        raise ValueError(
            f"ms_ssim: images of {h} x {w} are too small for 5-scale MS-SSIM "
            f"(need at least {ms_ssim_min_size()} px on each side); report SSIM instead"
        )

    def to_tensor(img):
        img = img[..., None] if img.ndim == 2 else img
        return paddle.to_tensor(np.transpose(img, (2, 0, 1))[None].astype(np.float32) / 255.0)

    with paddle.no_grad():
        value = _ms_ssim_tensor(to_tensor(restored), to_tensor(target), data_range=1.0)
    return float(value.numpy()[0])


def grid_artifact(image, period: int = 16) -> float:
    """Strength of a periodic grid of ``period`` px aligned with the pixel grid (what a U-Net's
    stride-2 / pixel-shuffle levels leave on inputs unlike its training data: 2^4 = 16 px for NAFNet).

    The mean absolute difference between neighbouring pixels is averaged per column (and per row),
    folded by position modulo ``period``; a direction's ratio is the largest phase's mean over the
    mean of all phases, and the result is the smaller of the two directions' ratios (a grid shows in
    both; lines of text repeat in one). About 1 for pages; a visible grid gives 1.2 and more.
    """
    img = np.asarray(image, dtype=np.float64)
    grey = img.mean(axis=2) if img.ndim == 3 else img
    if min(grey.shape) < 2 * period + 1:
        raise ValueError(f"grid_artifact: image {grey.shape} too small for period {period}")
    ratios = []
    for diffs in (np.abs(np.diff(grey, axis=1)).mean(axis=0), np.abs(np.diff(grey, axis=0)).mean(axis=1)):
        n = len(diffs) // period * period
        phases = diffs[:n].reshape(-1, period).mean(axis=0)
        ratios.append(phases.max() / max(phases.mean(), 1e-12))
    return float(min(ratios))


def competition_score(psnr_db: float, ms_ssim_value: float) -> float:
    """``0.5 * PSNR / 100 + 0.5 * MS-SSIM`` (fits the public leaderboard; see module docstring)."""
    return 0.5 * float(psnr_db) / 100.0 + 0.5 * float(ms_ssim_value)


def evaluate_pair(restored, target) -> dict:
    """PSNR, MS-SSIM and the competition score of one uint8 image pair."""
    p, m = psnr(restored, target), ms_ssim(restored, target)
    return {"psnr": p, "ms_ssim": m, "score": competition_score(p, m)}
