"""Teaching helpers of notebook 07: the camera pipeline's stages on one image, and how the raw noise
variance grows with the signal at an ISO."""

from __future__ import annotations

import numpy as np

GREY_LEVELS = np.linspace(0.02, 0.9, 12)  # flat raw grey levels of raw_noise_variance (never mutated)


# the names of pipeline_stages' steps as the notebook's figure titles show them
STAGE_ZH = {
    "sRGB input": "sRGB 输入",
    "raw mosaic (linear)": "raw 马赛克（线性）",
    "noisy raw": "加噪的 raw",
    "processed clean": "处理回 sRGB（干净）",
    "processed noisy": "处理回 sRGB（带噪）",
}


def pipeline_stages(image: np.ndarray, iso: float, seed: int = 0) -> tuple[dict, dict]:
    """Every step of the noise synthesis for one uint8 RGB image (even sides): the sRGB input, the
    unprocessed raw mosaic (H x W, linear), the same with shot + read noise, and both processed
    back to sRGB; and the metadata (colour matrix, gains, noise levels)."""
    from ..camera_noise import add_noise, noise_levels_for_iso, process, to_uint8, unpack_bayer, unprocess

    rng = np.random.default_rng(seed)
    raw, meta = unprocess(image, rng)
    shot, read = noise_levels_for_iso(iso)
    noisy_raw = add_noise(raw, shot, read, rng)
    meta.update(shot_noise=shot, read_noise=read, iso=float(iso))
    stages = {
        "sRGB input": image,
        "raw mosaic (linear)": unpack_bayer(raw),
        "noisy raw": unpack_bayer(np.clip(noisy_raw, 0, 1)),
        "processed clean": to_uint8(process(raw, meta)),
        "processed noisy": to_uint8(process(noisy_raw, meta)),
    }
    return stages, meta


def raw_noise_variance(iso: float, levels=GREY_LEVELS, n: int = 20000, seed: int = 0) -> dict:
    """Measured variance of the raw noise at flat grey levels against the model ``shot * x + read``."""
    from ..camera_noise import add_noise, noise_levels_for_iso, noise_variance

    rng = np.random.default_rng(seed)
    shot, read = noise_levels_for_iso(iso)
    measured = [float(np.var(add_noise(np.full((n, 1, 4), x), shot, read, rng) - x)) for x in levels]
    return {
        "levels": [float(x) for x in levels],
        "measured": measured,
        "model": [float(noise_variance(np.float64(x), shot, read)) for x in levels],
        "shot": shot,
        "read": read,
    }
