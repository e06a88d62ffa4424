"""Compare ways of restoring: scores and speed of every (model, mode), and whether tile edges show."""

from __future__ import annotations

import time

import numpy as np

from .restore import predict_image


def compare_inference(models: dict, pairs, modes: dict, keep: int = 0) -> tuple[list[dict], dict]:
    """Score every (model, mode) on ``pairs`` of (name, blurred, sharp) uint8 images.

    ``models``: name -> Layer or runner; ``modes``: name -> keyword arguments of
    :func:`predict_image` (``{"whole": {"mode": "whole"}, ...}``). Returns one row per
    combination (mean PSNR, MS-SSIM, score; restore seconds per image and per megapixel, metrics
    not included) and the restored images of the first ``keep`` pairs, keyed (model, mode).
    """
    from ..metrics import evaluate_pair

    rows, kept = [], {}
    megapixels = sum(blur.shape[0] * blur.shape[1] for _, blur, _ in pairs) / 1e6
    for model_name, model in models.items():
        for mode_name, kwargs in modes.items():
            seconds, scores, outputs = 0.0, [], []
            for k, (_, blur, sharp) in enumerate(pairs):
                start = time.perf_counter()
                restored = predict_image(model, blur, **kwargs)
                seconds += time.perf_counter() - start
                scores.append(evaluate_pair(restored, sharp))
                if k < keep:
                    outputs.append(restored)
            kept[(model_name, mode_name)] = outputs
            rows.append(
                {
                    "model": model_name,
                    "mode": mode_name,
                    **{key: float(np.mean([s[key] for s in scores])) for key in scores[0]},
                    "seconds_per_image": seconds / len(pairs),
                    "seconds_per_megapixel": seconds / megapixels,
                }
            )
    return rows, kept


def seam_mask(height: int, width: int, grid: tuple[list, list], band: int = 4) -> np.ndarray:
    """Boolean H x W mask of the pixels within ``band`` of an interior tile edge of ``grid``
    (where a tile starts or ends inside the image): where seams would show."""
    mask = np.zeros((height, width), dtype=bool)
    for axis, (tiles, length) in enumerate(((grid[0], height), (grid[1], width))):
        edges = {e for start, size in tiles for e in (start, start + size) if 0 < e < length}
        for e in edges:
            lo, hi = max(e - band, 0), min(e + band, length)
            if axis == 0:
                mask[lo:hi, :] = True
            else:
                mask[:, lo:hi] = True
    return mask


def seam_error(restored: np.ndarray, reference: np.ndarray, grid: tuple[list, list], band: int = 4) -> dict:
    """Mean |restored - reference| (grey levels, all channels) near the tile edges of ``grid``
    (within ``band`` px) and elsewhere. With ``reference`` the whole-image output, a tiling whose
    error is much larger near its edges than elsewhere has visible seams."""
    diff = np.abs(restored.astype(np.float64) - reference.astype(np.float64)).mean(axis=-1)
    mask = seam_mask(diff.shape[0], diff.shape[1], grid, band)
    near = float(diff[mask].mean()) if mask.any() else 0.0
    far = float(diff[~mask].mean()) if (~mask).any() else 0.0
    return {"near_edges": near, "elsewhere": far, "max": float(diff.max())}
