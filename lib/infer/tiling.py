"""Tile plans: which rectangles of an image the network sees.

* the winner's 4 quadrants (:func:`quadrant_grid`): cut at half height and width, no overlap;
* the pixel budget (:func:`plan_grid`): the fewest tiles whose padded size fits ``tile_pixels``
  (the memory bound), neighbours overlapping by at least ``overlap`` pixels.

A plan is (row tiles, column tiles), each a list of (start, size).

Standalone (see :mod:`lib.infer`): each submission zip carries this file as ``infer/tiling.py``.
"""

from __future__ import annotations

import math

DEFAULT_MULTIPLE = 16  # NAFNet with 4 levels pads its input to a multiple of 2 ** 4
DEFAULT_TILE_PIXELS = 1024 * 1024  # the winner's tile: a quarter of a 2K image
DEFAULT_OVERLAP = 64
TILINGS = ("overlap", "quadrants")  # model_meta.json "tiling": budgeted overlapping tiles, or the winner's 4


def _round_up(value: int, multiple: int) -> int:
    return -(-int(value) // multiple) * multiple


def axis_tiles(length: int, count: int, tile: int) -> list[tuple[int, int]]:
    """``count`` tiles of size ``tile`` covering ``[0, length)``, evenly spaced: [(start, size)].

    One tile covers the whole axis (size ``length``; the network pads it itself)."""
    if count <= 1 or tile >= length:
        return [(0, length)]
    span = length - tile
    return [(round(i * span / (count - 1)), tile) for i in range(count)]


def tiles_for_side(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """Tiles of side ``tile`` (evenly spaced, neighbours overlapping by at least ``overlap``)."""
    if tile >= length:
        return [(0, length)]
    if not 0 <= overlap < tile:
        raise ValueError(f"overlap ({overlap}) must be in [0, tile size {tile})")
    count = math.ceil((length - overlap) / (tile - overlap))
    return axis_tiles(length, max(count, 2), tile)


def plan_grid(
    height: int,
    width: int,
    tile_pixels: int = DEFAULT_TILE_PIXELS,
    overlap: int = DEFAULT_OVERLAP,
    multiple: int = DEFAULT_MULTIPLE,
    tile: int | None = None,
) -> tuple[list, list]:
    """The tile grid of an image: (row tiles, column tiles), each a list of (start, size).

    * ``tile`` given: square tiles of that side (rounded up to ``multiple``).
    * otherwise the fewest tiles whose padded size fits ``tile_pixels`` (the memory budget):
      the whole image if it fits, else a grid of equal tiles, sides multiples of ``multiple``,
      neighbours overlapping by at least ``overlap`` pixels.
    """
    if height < 1 or width < 1:
        raise ValueError(f"image size must be positive, got {height} x {width}")
    if tile is not None:
        side = _round_up(max(int(tile), 1), multiple)
        return tiles_for_side(height, side, overlap), tiles_for_side(width, side, overlap)
    if tile_pixels < multiple * multiple:
        raise ValueError(f"tile_pixels ({tile_pixels}) must be at least {multiple} x {multiple}")
    if _round_up(height, multiple) * _round_up(width, multiple) <= tile_pixels:
        return [(0, height)], [(0, width)]
    best = None
    for rows in range(1, math.ceil(height / multiple) + 1):
        th = _round_up(math.ceil((height + (rows - 1) * overlap) / rows), multiple)
        if rows > 1 and (th >= height or th <= overlap):
            continue  # no real split at this count (too short an axis, or all overlap)
        max_tw = (tile_pixels // th) // multiple * multiple
        if max_tw <= overlap or max_tw < multiple:
            continue
        if _round_up(width, multiple) <= max_tw:
            cols, tw = 1, _round_up(width, multiple)
        else:
            cols = math.ceil((width - overlap) / (max_tw - overlap))
            tw = _round_up(math.ceil((width + (cols - 1) * overlap) / cols), multiple)
        key = (rows * cols, abs(math.log(th / tw)))  # fewest tiles, then the squarest
        if best is None or key < best[0]:
            best = (key, rows, th, cols, tw)
        if best is not None and rows > best[0][0]:
            break  # more rows alone already need more tiles
    if best is None:
        raise ValueError(f"no tiling of {height} x {width} fits tile_pixels={tile_pixels} with overlap {overlap}")
    _, rows, th, cols, tw = best
    return axis_tiles(height, rows, th), axis_tiles(width, cols, tw)


def quadrant_grid(height: int, width: int) -> tuple[list, list]:
    """The winner's plan (test_code/predict.py ``clip_img``): the image cut at ``int(h / 2)`` and
    ``int(w / 2)`` into 2 x 2 tiles without overlap or padding; on an odd side the second tile is
    one pixel longer (2047 rows: 1023 + 1024). A side of 1 pixel stays whole (the winner's cut
    would give an empty tile)."""
    if height < 1 or width < 1:
        raise ValueError(f"image size must be positive, got {height} x {width}")

    def halves(length: int) -> list[tuple[int, int]]:
        return [(0, length)] if length < 2 else [(0, length // 2), (length // 2, length - length // 2)]

    return halves(height), halves(width)


def tile_plan(
    height: int,
    width: int,
    tiling: str = "overlap",
    tile_pixels: int = DEFAULT_TILE_PIXELS,
    overlap: int = DEFAULT_OVERLAP,
    multiple: int = DEFAULT_MULTIPLE,
) -> tuple[list, list]:
    """The grid ``tiling`` gives an image: "quadrants" (:func:`quadrant_grid`) or "overlap"
    (:func:`plan_grid` within ``tile_pixels``)."""
    if tiling == "quadrants":
        return quadrant_grid(height, width)
    if tiling == "overlap":
        return plan_grid(height, width, tile_pixels, overlap, multiple)
    raise ValueError(f"unknown tiling {tiling!r}; choose one of {', '.join(TILINGS)}")
