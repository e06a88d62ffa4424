"""Classical denoisers a learned model must beat (scikit-image and OpenCV), each tuned on validation images.

* non-local means (``skimage.restoration.denoise_nl_means``, fast mode, 5 x 5 patches, distance 6);
* wavelet shrinkage (``skimage.restoration.denoise_wavelet``, BayesShrink, soft, in YCbCr);
* total-variation denoising (``skimage.restoration.denoise_tv_chambolle``);
* OpenCV's colour non-local means (``cv2.fastNlMeansDenoisingColored``, 7 x 7 template, 21 x 21 search).

The noise level of a real photo is unknown, so every method's strength is a factor times the noise
standard deviation estimated on the image itself (``skimage.restoration.estimate_sigma``, a robust
wavelet estimate, averaged over the channels): it adapts to each image's ISO. The factor is tuned on
the validation images by mean PSNR (:func:`tune`) and applied unchanged to the test images. The
estimate assumes white noise; camera noise after demosaicking is spatially correlated and is
under-estimated, so the grids reach well above 1.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np
from skimage import restoration

from lib.metrics import psnr, to_uint8


def noise_sigma(image: np.ndarray) -> float:
    """Estimated noise standard deviation of a uint8 RGB image, in [0, 1] units."""
    x = np.asarray(image, dtype=np.float64) / 255.0
    return float(restoration.estimate_sigma(x, channel_axis=-1, average_sigmas=True))


def _check(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an H x W x 3 uint8 RGB image, got shape {image.shape} dtype {image.dtype}")
    return image


def nl_means(image: np.ndarray, h_factor: float) -> np.ndarray:
    """scikit-image non-local means with ``h = h_factor * sigma`` (sigma estimated, also passed)."""
    sigma = noise_sigma(_check(image))
    x = image.astype(np.float64) / 255.0
    return to_uint8(
        restoration.denoise_nl_means(
            x, h=h_factor * sigma, sigma=sigma, fast_mode=True, patch_size=5, patch_distance=6, channel_axis=-1
        )
    )


def wavelet(image: np.ndarray, sigma_factor: float) -> np.ndarray:
    """scikit-image BayesShrink wavelet denoising (YCbCr, soft) with ``sigma_factor * sigma``."""
    sigma = noise_sigma(_check(image))
    x = image.astype(np.float64) / 255.0
    out = restoration.denoise_wavelet(
        x,
        sigma=sigma_factor * sigma,
        method="BayesShrink",
        mode="soft",
        channel_axis=-1,
        convert2ycbcr=True,
        rescale_sigma=True,
    )
    return to_uint8(np.clip(out, 0.0, 1.0))


def tv_chambolle(image: np.ndarray, weight_factor: float) -> np.ndarray:
    """scikit-image TV denoising (Chambolle) with ``weight = weight_factor * sigma``."""
    sigma = noise_sigma(_check(image))
    x = image.astype(np.float64) / 255.0
    return to_uint8(restoration.denoise_tv_chambolle(x, weight=weight_factor * sigma, channel_axis=-1))


def opencv_nl_means(image: np.ndarray, h_factor: float) -> np.ndarray:
    """``cv2.fastNlMeansDenoisingColored`` with ``h = hColor = h_factor * sigma * 255`` (on BGR)."""
    sigma = noise_sigma(_check(image))
    h = float(h_factor * sigma * 255.0)
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    return cv2.cvtColor(cv2.fastNlMeansDenoisingColored(bgr, None, h, h, 7, 21), cv2.COLOR_BGR2RGB)


# name -> (function, parameter grid)
METHODS = {
    "NL-means (skimage)": (nl_means, {"h_factor": [0.6, 1.0, 1.5, 2.0, 3.0]}),
    "wavelet (skimage)": (wavelet, {"sigma_factor": [1.0, 1.5, 2.0, 3.0, 4.0]}),
    "TV Chambolle (skimage)": (tv_chambolle, {"weight_factor": [0.5, 1.0, 2.0, 3.0, 4.5]}),
    "fastNlMeansDenoisingColored (OpenCV)": (opencv_nl_means, {"h_factor": [0.6, 1.0, 1.5, 2.0, 3.0]}),
}


def tune(method: str, pairs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[dict, float]:
    """Best parameters of ``method`` on ``pairs`` of (noisy, clean) uint8 images, by mean PSNR,
    and that PSNR. Ties keep the first grid point."""
    if method not in METHODS:
        raise ValueError(f"unknown denoiser {method!r}; known: {', '.join(METHODS)}")
    if not pairs:
        raise ValueError("tune needs at least one (noisy, clean) pair")
    fn, grid = METHODS[method]
    best, best_psnr = None, -np.inf
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values))
        score = float(np.mean([psnr(fn(noisy, **params), clean) for noisy, clean in pairs]))
        if score > best_psnr:
            best, best_psnr = params, score
    return best, best_psnr
