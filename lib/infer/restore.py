"""Restore an image or a folder with a model, whole or in tiles.

Three ways to cut an image (``mode`` of :func:`predict_image`):

* ``"whole"``: the whole image at once; the network pads it to its multiple (16) itself.
* ``"quadrants"``: the winner's plan (its test_code/predict.py), the image cut at half its height
  and width into 2 x 2 tiles without overlap or padding (on an odd side the bottom / right tiles
  are a pixel longer), stitched edge to edge. Each tile is padded by the network at its own
  borders, so the seams can show. The deblur ``full`` submission restores this way (the
  ``submission`` section of lib/configs/deblur.yaml, :func:`lib.infer.submission_tiling`).
* ``"tiles"``: overlapping tiles blended with linear ramps over the overlap, either of a given
  side (``tile=256``) or as few as fit a pixel budget (``tile_pixels``, the memory bound).
"""

from __future__ import annotations

import numpy as np

from .blend import restore_array
from .folder import restore_folder
from .runners import as_runner, runner_multiple
from .tiling import DEFAULT_MULTIPLE, DEFAULT_OVERLAP, DEFAULT_TILE_PIXELS, plan_grid, quadrant_grid

MODES = ("whole", "quadrants", "tiles")


def tile_grid(
    height: int,
    width: int,
    mode: str = "whole",
    *,
    tile: int | None = None,
    tile_pixels: int | None = None,
    overlap: int = DEFAULT_OVERLAP,
    multiple: int = DEFAULT_MULTIPLE,
) -> tuple[list, list]:
    """The tile plan of ``mode`` for an image: (row tiles, column tiles) of (start, size)."""
    if mode == "whole":
        return [(0, height)], [(0, width)]
    if mode == "quadrants":
        return quadrant_grid(height, width)
    if mode == "tiles":
        if tile is None and tile_pixels is None:
            tile_pixels = DEFAULT_TILE_PIXELS
        return plan_grid(height, width, tile_pixels or DEFAULT_TILE_PIXELS, overlap, multiple, tile=tile)
    raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")


def predict_image(
    model,
    image: np.ndarray,
    mode: str = "whole",
    *,
    tile: int | None = None,
    tile_pixels: int | None = None,
    overlap: int = DEFAULT_OVERLAP,
) -> np.ndarray:
    """Restore one H x W x 3 uint8 RGB image; returns H x W x 3 uint8, rounded and clipped.

    ``model``: a Paddle Layer (e.g. from ``lib.tracks.load_model()``, or ``tlc_model(...)`` of it) or a
    runner. ``mode``: "whole" (default), "quadrants" (the winning solution's 4 tiles) or "tiles" (overlapping
    tiles of side ``tile``, or the fewest that fit ``tile_pixels``, blended over ``overlap``).
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an HxWx3 uint8 image, got shape {image.shape} dtype {image.dtype}")
    multiple = runner_multiple(model)
    grid = tile_grid(
        image.shape[0], image.shape[1], mode, tile=tile, tile_pixels=tile_pixels, overlap=overlap, multiple=multiple
    )
    return restore_array(as_runner(model), image, grid, multiple=multiple)


def predict_folder(
    model,
    src_dir,
    save_dir,
    *,
    tile_pixels: int = DEFAULT_TILE_PIXELS,
    overlap: int = DEFAULT_OVERLAP,
    tiling: str = "overlap",
) -> dict:
    """Restore every file of ``src_dir`` into ``save_dir`` with the same name, size and format
    (grayscale, RGBA and 16-bit files stay so), with a progress bar; a file that fails is
    reported and skipped. ``tiling``: "overlap" (tiles within ``tile_pixels``) or "quadrants"
    (the winner's 4), as the submission's predict.py. Returns the report of ``restore_folder``
    (restored, failed, timings)."""
    from ..report import progress

    def wrap(files):
        return progress(files, desc="restoring", unit="image")

    report = restore_folder(
        as_runner(model),
        src_dir,
        save_dir,
        tile_pixels=tile_pixels,
        overlap=overlap,
        multiple=runner_multiple(model),
        tiling=tiling,
        wrap=wrap,
    )
    return report
