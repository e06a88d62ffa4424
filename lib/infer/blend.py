"""Restore an image array tile by tile: pixel types in and out of [0, 1], blending weights over the
overlaps, the band-by-band stitching of :func:`restore_array` and the memory it holds.

Standalone (see :mod:`lib.infer`): each submission zip carries this file as ``infer/blend.py``.
"""

from __future__ import annotations

import numpy as np

from .errors import ImageError
from .tiling import DEFAULT_MULTIPLE, DEFAULT_OVERLAP, DEFAULT_TILE_PIXELS, _round_up, plan_grid, tile_plan

FINISH_ROWS = 64  # rows converted back to the output dtype at a time


def blend_ramp(tiles: list[tuple[int, int]], index: int, shape: str = "linear") -> np.ndarray:
    """1-D blending weights of tile ``index`` along one axis: rising over the overlap with the
    previous tile, falling over the overlap with the next, 1 elsewhere (and at the image border).

    Two neighbours' ramps over their shared overlap sum to exactly 1 (linear: (i+1)/(n+1) and
    (n-i)/(n+1); cosine: the same under a half-cosine), so the blend is a partition of unity
    wherever at most two tiles overlap; the caller still divides by the summed weights.
    """
    start, size = tiles[index]
    w = np.ones(size, dtype=np.float32)

    def rise(n):
        t = np.arange(1, n + 1, dtype=np.float64) / (n + 1)
        return (t if shape == "linear" else 0.5 - 0.5 * np.cos(np.pi * t)).astype(np.float32)

    if shape not in ("linear", "cosine"):
        raise ValueError(f"blend shape must be 'linear' or 'cosine', got {shape!r}")
    if index > 0:
        prev_start, prev_size = tiles[index - 1]
        n = min(prev_start + prev_size - start, size)
        if n > 0:
            w[:n] = np.minimum(w[:n], rise(n))
    if index < len(tiles) - 1:
        n = min(start + size - tiles[index + 1][0], size)
        if n > 0:
            w[size - n :] = np.minimum(w[size - n :], rise(n)[::-1])
    return w


def to_unit(array: np.ndarray) -> np.ndarray:
    """uint8 / uint16 / float image -> float32 in [0, 1]."""
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    if array.dtype in (np.float32, np.float64):
        return array.astype(np.float32)
    raise ImageError(f"unsupported pixel type {array.dtype} (expected uint8, uint16 or float)")


def from_unit(array: np.ndarray, dtype) -> np.ndarray:
    """float image in [0, 1] -> ``dtype`` by round-and-clip (float dtypes: clip only). Scaled in
    float64, as lib.metrics.to_uint8 does, so both round the same values the same way."""
    dtype = np.dtype(dtype)
    if dtype == np.uint8:
        return np.clip(np.round(array.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
    if dtype == np.uint16:
        return np.clip(np.round(array.astype(np.float64) * 65535.0), 0, 65535).astype(np.uint16)
    return np.clip(array, 0.0, 1.0).astype(dtype)


def restore_array(
    run,
    image: np.ndarray,
    grid: tuple[list, list] | None = None,
    *,
    tile_pixels: int = DEFAULT_TILE_PIXELS,
    overlap: int = DEFAULT_OVERLAP,
    multiple: int = DEFAULT_MULTIPLE,
    blend: str = "linear",
    tiling: str = "overlap",
) -> np.ndarray:
    """Restore an H x W x 3 image (uint8, uint16 or float in [0, 1]) with ``run``.

    ``run`` maps a float32 1 x 3 x h x w array in [0, 1] to one of the same shape (it pads to its
    own multiple inside). ``grid`` is a tile plan (:func:`plan_grid`, :func:`quadrant_grid`);
    by default :func:`tile_plan` of ``tiling`` (overlapping tiles that fit ``tile_pixels``, or the
    winner's quadrants). Outputs are blended with :func:`blend_ramp` weights and divided by their
    sum; tiles that do not overlap (the quadrants) get weight 1, so they are stitched unchanged.

    Memory: rows are finished one tile row at a time, so beside the input and output arrays only
    a float32 band one tile row high (3 channels + 1 weight) is held, plus one tile's arrays
    (:func:`memory_estimate` adds it up). Returns the restored image in the input's dtype.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"restore_array expects H x W x 3, got shape {image.shape}")
    height, width = image.shape[:2]
    rows, cols = grid or tile_plan(height, width, tiling, tile_pixels, overlap, multiple)
    for tiles, length, axis in ((rows, height, "rows"), (cols, width, "columns")):
        if min(s for s, _ in tiles) < 0 or max(s + n for s, n in tiles) > length:
            raise ValueError(f"tile plan reaches outside the image's {length} {axis}: {tiles}")
    out = np.empty((height, width, 3), dtype=image.dtype)
    col_weights = [blend_ramp(cols, j, blend) for j in range(len(cols))]
    # The band holds rows [y0, y0 + band height) of the current tile row; each tile row starts
    # where the previous one's finished rows end, so it always starts at band row 0.
    band_h = max(n for _, n in rows)
    acc = np.zeros((band_h, width, 3), np.float32)
    weight = np.zeros((band_h, width, 1), np.float32)
    for i, (y0, th) in enumerate(rows):
        row_w = blend_ramp(rows, i, blend)
        for j, (x0, tw) in enumerate(cols):
            tile = to_unit(image[y0 : y0 + th, x0 : x0 + tw])
            batch = np.ascontiguousarray(tile.transpose(2, 0, 1)[None])
            result = np.asarray(run(batch), dtype=np.float32)
            if result.shape != batch.shape:
                raise RuntimeError(f"the model returned shape {result.shape} for input {batch.shape}")
            w = row_w[:, None, None] * col_weights[j][None, :, None]
            acc[:th, x0 : x0 + tw] += result[0].transpose(1, 2, 0) * w
            weight[:th, x0 : x0 + tw] += w
        # Rows above the next tile row get no more contributions: finish them, a few at a time
        # (float64 rounding temporaries stay small), then move the overlap rows to the top.
        done = (rows[i + 1][0] if i + 1 < len(rows) else y0 + th) - y0
        for r in range(0, min(done, height - y0), FINISH_ROWS):
            r_end = min(r + FINISH_ROWS, done, height - y0)
            out[y0 + r : y0 + r_end] = from_unit(acc[r:r_end, :width] / weight[r:r_end, :width], out.dtype)
        left = th - done
        if left > 0:
            acc[:left] = acc[done:th].copy()
            weight[:left] = weight[done:th].copy()
        acc[max(left, 0) :] = 0.0
        weight[max(left, 0) :] = 0.0
    return out


def memory_estimate(
    height: int,
    width: int,
    tile_pixels: int = DEFAULT_TILE_PIXELS,
    overlap: int = DEFAULT_OVERLAP,
    multiple: int = DEFAULT_MULTIPLE,
    bytes_per_channel: int = 1,
    model_bytes_per_pixel: float | None = None,
) -> dict:
    """Upper bound of the bytes :func:`restore_array` holds for an image with the default plan, by
    part: the output array (the input is the caller's), the float32 band (one tile row, 3
    channels + 1 weight) and the overlap rows copied out of it, one tile's float32 arrays
    (input, transposed copy, result, weighted result: 4 x 3 channels, + its weights), the
    finishing temporaries (``FINISH_ROWS`` rows in float64), and, if ``model_bytes_per_pixel``
    is known, the network's activations for one tile. None of it grows with the image except the
    output and a band as wide as the image."""
    rows, cols = plan_grid(height, width, tile_pixels, overlap, multiple)
    th, tw = max(n for _, n in rows), max(n for _, n in cols)
    tile_area = _round_up(th, multiple) * _round_up(tw, multiple)
    parts = {
        "output": height * width * 3 * bytes_per_channel,
        "band_float32": 2 * th * width * 4 * 4,
        "tile_float32": tile_area * (4 * 3 + 1) * 4,
        "finishing_float64": 3 * FINISH_ROWS * width * 3 * 8,
    }
    if model_bytes_per_pixel is not None:
        parts["model_activations"] = int(model_bytes_per_pixel * tile_area)
    return {
        "tiles": len(rows) * len(cols),
        "tile_hw": (th, tw),
        "tile_pixels": tile_area,
        "bytes": parts,
        "total_bytes": sum(parts.values()),
    }
