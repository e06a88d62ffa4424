"""Test images for the losses and metrics (tests/test_losses.py, tests/experiments/)."""

import numpy as np
from scipy.ndimage import gaussian_filter


def image_pair(shape, seed=0, noise=0.08):
    """A smooth random image in [0, 1] and a noisy, slightly blurred copy (float32, N x C x H x W)."""
    rng = np.random.default_rng(seed)
    clean = gaussian_filter(rng.random(shape), sigma=(0, 0, 3, 3))
    clean = (clean - clean.min()) / (clean.max() - clean.min())
    degraded = gaussian_filter(clean, sigma=(0, 0, 1, 1)) + noise * rng.standard_normal(shape)
    return clean.astype("float32"), np.clip(degraded, 0, 1).astype("float32")
