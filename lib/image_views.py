"""What a tab shows beside the result: a difference map, a zoom on the detail that changed most,
the tile plan drawn over an image, a signed map (retouch's K and D) and a mask over the photo.
Every function takes and returns RGB uint8 arrays."""

from __future__ import annotations

import cv2
import numpy as np

ZOOM_SIDE = 384  # px of each zoomed crop as shown


def _colormap(values: np.ndarray, name: str) -> np.ndarray:
    """[0, 1] H x W -> RGB uint8 through a matplotlib colormap."""
    from matplotlib import colormaps

    return (colormaps[name](np.clip(values, 0.0, 1.0))[..., :3] * 255.0 + 0.5).astype(np.uint8)


def difference_map(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, float]:
    """|after - before| (mean over channels) in a colormap scaled to its 99.5th percentile, and that
    scale in grey levels (what the brightest colour means)."""
    diff = np.abs(after.astype(np.float32) - before.astype(np.float32)).mean(axis=2)
    scale = max(float(np.percentile(diff, 99.5)), 1.0)
    return _colormap(diff / scale, "magma"), scale


def signed_map(values: np.ndarray) -> tuple[np.ndarray, float]:
    """A signed H x W (x C, averaged) map in a diverging colormap, white at 0, symmetric around it;
    returns the image and the largest |value| (the colormap's ends)."""
    values = values.mean(axis=2) if values.ndim == 3 else values
    scale = max(float(np.abs(values).max()), 1e-6)
    return _colormap(0.5 + 0.5 * values / scale, "coolwarm"), scale


def busiest_window(before: np.ndarray, after: np.ndarray, side: int) -> tuple[int, int]:
    """Top-left (y, x) of the ``side`` x ``side`` window where the result differs most from the input."""
    h, w = before.shape[:2]
    diff = np.abs(after.astype(np.float32) - before.astype(np.float32)).mean(axis=2)
    mean = cv2.boxFilter(diff, -1, (side, side), normalize=True, borderType=cv2.BORDER_REPLICATE)
    half = side // 2
    inner = mean[half : max(h - (side - half) + 1, half + 1), half : max(w - (side - half) + 1, half + 1)]
    y, x = np.unravel_index(int(np.argmax(inner)), inner.shape)
    return int(min(y, h - side)), int(min(x, w - side))


def detail_zoom(before: np.ndarray, after: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Input and result cropped where they differ most (and ``others``, e.g. another method's result, at the
    same place), enlarged (nearest: the pixels as they are) side by side with white gaps; returns it and
    (y, x, side) of the crop."""
    h, w = before.shape[:2]
    side = max(16, min(h, w, max(64, min(h, w) // 6)))
    y, x = busiest_window(before, after, side)
    crops = [img[y : y + side, x : x + side] for img in (before, after, *others)]
    big = [cv2.resize(c, (ZOOM_SIDE, ZOOM_SIDE), interpolation=cv2.INTER_NEAREST) for c in crops]
    gap = np.full((ZOOM_SIDE, 8, 3), 255, np.uint8)
    parts = [big[0]]
    for crop in big[1:]:
        parts += [gap, crop]
    return np.hstack(parts), (y, x, side)


def draw_tiles(image: np.ndarray, grid: tuple[list, list], colour=(255, 0, 0)) -> np.ndarray:
    """``image`` with the borders of every tile of ``grid`` (lib.infer.tile_grid) drawn; overlaps
    show as double lines."""
    out = image.copy()
    h, w = out.shape[:2]
    thick = max(1, round(min(h, w) / 300))
    rows, cols = grid
    for y0, th in rows:
        for x0, tw in cols:
            cv2.rectangle(out, (x0, y0), (min(x0 + tw, w) - 1, min(y0 + th, h) - 1), colour, thick)
    return out


def mask_overlay(image: np.ndarray, mask: np.ndarray, colour=(255, 0, 0)) -> np.ndarray:
    """The photo with ``mask`` (bool H x W) tinted in ``colour`` and outlined."""
    out = image.copy()
    tint = np.array(colour, np.float32)
    out[mask] = (0.5 * out[mask].astype(np.float32) + 0.5 * tint).astype(np.uint8)
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(out, contours, -1, colour, max(1, round(min(mask.shape) / 300)))
    return out
