"""The photo look of a flat page: uneven lighting, a colour cast and paper grain."""

from __future__ import annotations

import math

import cv2
import numpy as np


def photo_field(rng, h: int, w: int) -> tuple[np.ndarray, dict]:
    """Smooth per-pixel illumination (H x W x 3): colour cast, gradient, vignette, maybe a shadow."""
    gh = 48
    gw = max(2, int(round(gh * w / h)))
    yy, xx = np.meshgrid(np.linspace(-1, 1, gh), np.linspace(-1, 1, gw), indexing="ij")
    slope = 0.3 if rng.random() < 0.3 else 0.12  # sometimes light from one side, as under a desk lamp
    gx, gy = rng.uniform(-slope, slope, 2)
    field = 1.0 + gx * xx + gy * yy
    cx, cy = rng.uniform(-0.4, 0.4, 2)
    vignette = rng.uniform(0.03, 0.2)
    field *= 1.0 - vignette * ((xx - cx) ** 2 + (yy - cy) ** 2) / 2
    info = {"gradient": [round(float(gx), 4), round(float(gy), 4)], "vignette": round(float(vignette), 4)}
    if rng.random() < 0.3:
        phi = rng.uniform(0, 2 * math.pi)
        offset, soft, depth = rng.uniform(0.3, 0.9), rng.uniform(0.05, 0.35), rng.uniform(0.1, 0.3)
        d = xx * math.cos(phi) + yy * math.sin(phi)
        field *= 1.0 - depth / (1.0 + np.exp(-(d - offset) / soft))
        info["shadow"] = {"angle_deg": round(math.degrees(phi), 1), "depth": round(float(depth), 3)}
    field *= rng.uniform(0.62, 1.0)  # exposure: phone photos and scans are often darker than white paper
    # paper grain: low-contrast mottling a few pixels wide
    grain = 1.0 + rng.normal(0, rng.uniform(0.004, 0.012), (gh * 4, gw * 4))
    field = cv2.resize(field.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    grain = cv2.resize(grain.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    warm = rng.uniform(-0.05, 0.07)  # > 0 warm (indoor light), < 0 cool (daylight)
    tint = np.array([1.0 + warm * 0.3, 1.0, 1.0 - warm], np.float32)
    info["white_balance"] = [round(float(t), 4) for t in tint]
    return (field * grain)[..., None] * tint, info
