"""Classical deblurring baselines a learned model must beat (scikit-image).

* unsharp masking (``skimage.filters.unsharp_mask``): sharpens edges, does not invert the blur;
* Richardson-Lucy deconvolution (``skimage.restoration.richardson_lucy``) with a Gaussian PSF;
* Wiener deconvolution (``skimage.restoration.wiener``) with a Gaussian PSF.

The real blur is unknown at test time, so each method's parameters (the PSF width and strength)
are tuned on the validation images by PSNR, then applied unchanged to the test images.
"""

from __future__ import annotations

import itertools

import numpy as np
from skimage import filters, restoration

from lib.metrics import psnr, to_uint8


def gaussian_psf(sigma: float) -> np.ndarray:
    """Normalised 2-D Gaussian kernel, radius 3 sigma (odd size)."""
    radius = max(1, int(np.ceil(3 * sigma)))
    ax = np.arange(-radius, radius + 1)
    g = np.exp(-(ax**2) / (2 * sigma**2))
    psf = np.outer(g, g)
    return psf / psf.sum()


def _per_channel(image: np.ndarray, fn) -> np.ndarray:
    x = image.astype(np.float64) / 255.0
    return to_uint8(np.stack([fn(x[..., c]) for c in range(x.shape[2])], axis=2))


def unsharp(image: np.ndarray, radius: float, amount: float) -> np.ndarray:
    return to_uint8(filters.unsharp_mask(image, radius=radius, amount=amount, channel_axis=2))


def richardson_lucy(image: np.ndarray, sigma: float, num_iter: int) -> np.ndarray:
    psf = gaussian_psf(sigma)
    return _per_channel(image, lambda c: restoration.richardson_lucy(c, psf, num_iter=num_iter, clip=True))


def wiener(image: np.ndarray, sigma: float, balance: float) -> np.ndarray:
    psf = gaussian_psf(sigma)
    return _per_channel(image, lambda c: np.clip(restoration.wiener(c, psf, balance=balance), 0, 1))


METHODS = {
    "unsharp mask": (unsharp, {"radius": [1.0, 2.0, 3.0], "amount": [0.5, 1.0, 2.0]}),
    "Richardson-Lucy": (richardson_lucy, {"sigma": [1.0, 1.5, 2.0, 2.5], "num_iter": [10, 30]}),
    "Wiener": (wiener, {"sigma": [1.0, 1.5, 2.0, 2.5], "balance": [0.01, 0.03, 0.1]}),
}


def tune(method: str, pairs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[dict, float]:
    """Best parameters of ``method`` on ``pairs`` of (blurred, sharp) uint8 images, by mean PSNR."""
    fn, grid = METHODS[method]
    best, best_psnr = None, -np.inf
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values))
        score = float(np.mean([psnr(fn(blur, **params), sharp) for blur, sharp in pairs]))
        if score > best_psnr:
            best, best_psnr = params, score
    return best, best_psnr
