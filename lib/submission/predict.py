#!/usr/bin/env python
"""Restore every image of a folder: ``python predict.py src_image_dir save_dir``.

The entry point of a submission to the Baidu Netdisk AI blurred-document competition, which ran
it on its own machine (V100, Paddle or ONNX Runtime, 1.2 s per image). It is self-contained on
purpose: it needs only NumPy, OpenCV and either Paddle Inference or ONNX Runtime, and reads the
model files that sit next to it:

    model.json + model.pdiparams   the network saved by ``paddle.jit.save`` (Paddle Inference, Paddle 3)
    model_legacy.pdmodel + .pdiparams  the same as a pre-PIR program, when the exporting Paddle could
                                   write one (older Paddle Inference reads only this; optional)
    model.onnx                     the same network for ONNX Runtime (optional)
    model_meta.json                how to feed it: padding multiple, tiling (the winner's 4
                                   quadrants or overlapping tiles), tile budget, overlap, TLC;
                                   ``formats`` lists which of the files above the zip holds

(In the course repository this file is ``lib/submission/predict.py``. It must never import
``lib``: the competition unzips it alone. So it carries a copy of ``lib.infer``'s tiling,
blending, image-file, folder and runtime code, and tests/test_infer_mirror.py checks that the copy
cuts the same tiles, stitches the same output and has the same source as the library.)

Behaviour:

* Every visible file of ``src_image_dir`` is restored into ``save_dir`` under the same name, with
  the same size, format (file extension), channel layout and bit depth: grayscale stays
  grayscale, the alpha channel of RGBA passes through unchanged, 16-bit PNG/TIFF stays 16-bit.
  Files are read with ``np.fromfile`` + ``cv2.imdecode`` and written with ``cv2.imencode`` +
  ``tofile`` (``cv2.imread`` cannot open non-ASCII paths on Windows), each to a temporary name
  first and then renamed.
* Backend: Paddle Inference first on a GPU when there is one; on a CPU, ONNX Runtime first if
  installed (it was faster than Paddle Inference + oneDNN on a folder of pages of varying sizes),
  else Paddle Inference + oneDNN. If the first cannot load the model (a damaged file, a Paddle too
  old for ``model.json``) the other one is tried; if it fails on an image, the other one tries that
  image and, if it succeeds, keeps the rest (images already written stay). What ran and why the
  other did not is printed. ``--backend
  paddle|onnx`` asks for one only, ``--device cpu|gpu`` for a device.
* Checked before any model loads: the source folder exists, the output folder can be created and
  written to, ``model_meta.json`` is readable. Each is a clear message and exit code 2.
* One bad file (not an image, corrupt, a truncated JPEG, unsupported pixel type) is reported and
  skipped; the others are still restored. The exit code is 0 when every file was restored, 1 when
  any failed (the failures are listed at the end) or the source folder holds no file, 2 for a
  missing or unusable folder or model.
* Tiling (``tiling`` in ``model_meta.json``, ``--tiling`` overrides it):

  - ``quadrants``: the 1st-place solution's ``test_code/predict.py`` (``clip_img`` / ``concat_img``):
    every image cut at ``int(h / 2)`` and ``int(w / 2)`` into 4 tiles without overlap or padding
    (on an odd side the bottom / right tiles are one pixel longer), each restored alone (the
    network pads it to its multiple itself) and stitched back edge to edge. A tile is a quarter of
    the image, so memory grows with the image (a 2K test page: ~1 MP tiles).
  - ``overlap`` (the default of a metadata file without ``tiling``): memory is bounded; an image
    whose (padded) size exceeds ``tile_pixels`` is restored in overlapping tiles of at most
    ``tile_pixels`` pixels, blended with linear ramps over the overlap. Besides the network's own
    memory for one tile, the image itself costs its input and output arrays plus a float32 band
    one tile high (see :func:`memory_estimate`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")  # Paddle's C++ log: errors only

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
MODEL_META = "model_meta.json"
DEFAULT_MULTIPLE = 16  # NAFNet with 4 levels pads its input to a multiple of 2 ** 4
DEFAULT_TILE_PIXELS = 1024 * 1024  # the winner's tile: a quarter of a 2K image
DEFAULT_OVERLAP = 64
TILINGS = ("overlap", "quadrants")  # model_meta.json "tiling": see the module docstring
FINISH_ROWS = 64  # rows converted back to the output dtype at a time
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
BACKEND_NAMES = {"paddle": "Paddle Inference", "onnx": "ONNX Runtime"}


class ImageError(ValueError):
    """A file that cannot be restored (not an image, corrupt, unsupported pixel type)."""


class ModelError(RuntimeError):
    """A model file that is missing, damaged or unreadable by this runtime (named in the message)."""


class MetaError(ModelError):
    """A damaged metadata file: every backend reads it, so no other backend is tried."""


def first_line(exc: BaseException) -> str:
    """``Type: first line of the message``: runtimes put pages of C++ context after it."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


# --------------------------------------------------------------------------------------------
# Tiling: which rectangles the network sees, and how their outputs are blended.
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Image files: read anything OpenCV decodes, write it back in kind.
# --------------------------------------------------------------------------------------------

JPEG_START, JPEG_END = b"\xff\xd8\xff", b"\xff\xd9"


def jpeg_truncated(path: Path, data: np.ndarray) -> bool:
    """Whether a JPEG file stops before its image data ends. OpenCV decodes such a file without an
    error (libjpeg only warns on stderr) and fills the missing rows with grey.

    A complete JPEG ends with the end-of-image marker (FF D9; inside the compressed data an FF byte
    is always followed by 00 or a restart marker, so it cannot end that way by chance). Without it
    (some cameras append data after the image) Pillow's decoder decides: it raises "image file is
    truncated" when the data runs out. Without Pillow, the marker must follow the last scan."""
    tail = data[-64:].tobytes().rstrip(b"\x00\r\n\t ")
    if tail.endswith(JPEG_END):
        return False
    try:
        from PIL import Image
    except ImportError:
        raw = data.tobytes()
        return raw.find(JPEG_END, raw.rfind(b"\xff\xda")) < 0
    try:
        with Image.open(path) as image:
            image.load()
    except Exception as exc:  # noqa: BLE001 -- anything else is OpenCV's to judge
        return "truncated" in str(exc)
    return False


def read_image_file(path: Path) -> tuple[np.ndarray, dict]:
    """(RGB H x W x 3 array in the file's dtype, how to write it back). Raises ImageError."""
    path = Path(path)
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ImageError(
            f"not an image file (suffix {path.suffix or 'none'!r}; expected one of {', '.join(IMAGE_SUFFIXES)})"
        )
    data = np.fromfile(str(path), dtype=np.uint8)
    if data.size == 0:
        raise ImageError("empty file (0 bytes)")
    if data[:3].tobytes() == JPEG_START and jpeg_truncated(path, data):
        raise ImageError(
            f"truncated JPEG: the file ends before its image data does ({data.size} bytes; "
            "decoded, its missing rows would come out grey)"
        )
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageError(
            f"cannot decode the file as an image ({data.size} bytes: corrupt, truncated "
            f"or not a {path.suffix.lower()} file)"
        )
    if image.dtype not in (np.uint8, np.uint16, np.float32):
        raise ImageError(f"unsupported pixel type {image.dtype} (uint8, uint16 and float32 are restored)")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB), {"layout": "gray", "dtype": image.dtype}
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB), {"layout": "bgr", "dtype": image.dtype}
    if image.ndim == 3 and image.shape[2] == 4:
        return (
            cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_BGR2RGB),
            {"layout": "bgra", "dtype": image.dtype, "alpha": image[:, :, 3].copy()},
        )
    raise ImageError(f"unsupported image layout: shape {image.shape}")


def write_image_file(path: Path, rgb: np.ndarray, info: dict) -> None:
    """Write a restored RGB image in the layout of the original (``info`` from read_image_file),
    encoded by the file's extension, to a temporary name then renamed."""
    path = Path(path)
    if info["layout"] == "gray":
        pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    else:
        pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        if info["layout"] == "bgra":
            pixels = np.dstack([pixels, info["alpha"]])
    suffix = path.suffix.lower()
    params = {
        ".jpg": [cv2.IMWRITE_JPEG_QUALITY, 100],
        ".jpeg": [cv2.IMWRITE_JPEG_QUALITY, 100],
        ".webp": [cv2.IMWRITE_WEBP_QUALITY, 101],
    }.get(suffix, [])  # 101: lossless WebP
    ok, encoded = cv2.imencode(suffix, pixels, params)
    if not ok:
        raise ImageError(f"OpenCV could not encode a {pixels.dtype} image as {suffix}")
    tmp = path.with_name(f".{path.name}.partial")
    try:
        encoded.tofile(str(tmp))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def list_inputs(src_dir: Path) -> list[Path]:
    """Every visible regular file of ``src_dir``, sorted by name (hidden files such as
    ``.DS_Store`` are skipped; subfolders are not entered)."""
    return sorted(
        (p for p in Path(src_dir).iterdir() if p.is_file() and not p.name.startswith(".")), key=lambda p: p.name
    )


def prepare_save_dir(save_dir, src_dir=None) -> Path:
    """Create ``save_dir`` and prove a file can be written in it, so a bad output folder is told
    before any model loads (not after every image went through it). Raises OSError naming it."""
    save_dir = Path(save_dir)
    if src_dir is not None and save_dir.resolve() == Path(src_dir).resolve():
        raise ValueError(f"save_dir must differ from src_image_dir ({src_dir}): the inputs would be overwritten")
    if save_dir.exists() and not save_dir.is_dir():
        raise NotADirectoryError(f"the output folder {save_dir} is a file; give a folder (it is created if missing)")
    probe = save_dir / f".predict-write-test-{os.getpid()}"
    try:
        save_dir.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OSError(f"cannot write into the output folder {save_dir}: {exc.strerror or exc}") from exc
    return save_dir


def restore_folder(
    run,
    src_dir,
    save_dir,
    *,
    tile_pixels: int = DEFAULT_TILE_PIXELS,
    overlap: int = DEFAULT_OVERLAP,
    multiple: int = DEFAULT_MULTIPLE,
    tiling: str = "overlap",
    wrap=None,
    log=print,
    restore=None,
) -> dict:
    """Restore every file of ``src_dir`` into ``save_dir`` (same names); one failure never stops
    the rest. ``wrap`` wraps the file list (a progress bar); ``log`` prints each failure.
    ``restore``: image -> restored image, instead of :func:`restore_array` with ``run`` (a
    pipeline of several networks, e.g. the de-occlusion submission, or :class:`Backends`).
    Returns {"restored": [...], "failed": [(name, reason)], "timings": [{name, seconds, pixels}]}.
    """
    src_dir, save_dir = Path(src_dir), Path(save_dir)
    if not src_dir.is_dir():
        raise FileNotFoundError(f"source folder not found: {src_dir}")
    prepare_save_dir(save_dir, src_dir)
    files = list_inputs(src_dir)
    report = {"restored": [], "failed": [], "timings": [], "files": len(files)}
    for path in wrap(files) if wrap else files:
        start = time.perf_counter()
        try:
            image, info = read_image_file(path)
            restored = (
                restore(image)
                if restore
                else restore_array(
                    run, image, tile_pixels=tile_pixels, overlap=overlap, multiple=multiple, tiling=tiling
                )
            )
            write_image_file(save_dir / path.name, restored, info)
        except Exception as exc:  # noqa: BLE001 -- one bad file must not stop the others
            report["failed"].append((path.name, first_line(exc)))
            log(f"FAILED {path.name}: {first_line(exc)}")
            continue
        report["restored"].append(path.name)
        report["timings"].append(
            {"name": path.name, "seconds": time.perf_counter() - start, "pixels": int(image.shape[0] * image.shape[1])}
        )
    return report


# --------------------------------------------------------------------------------------------
# Backends: Paddle Inference (oneDNN on CPU, GPU when there is one) and ONNX Runtime.
# --------------------------------------------------------------------------------------------


def _usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class PaddleRunner:
    """Paddle Inference predictor of ``<prefix>.json`` + ``<prefix>.pdiparams`` (Paddle 3's PIR
    program), else ``<prefix>_legacy.pdmodel`` + ``<prefix>_legacy.pdiparams`` or ``<prefix>.pdmodel``
    + ``<prefix>.pdiparams`` (the program before PIR, which Paddle 2 reads): the first pair this
    Paddle loads. Raises :class:`ModelError` naming each file it tried and why it failed.

    ``device``: "gpu" (CUDA build and a visible GPU), "cpu" (oneDNN, all usable cores) or
    "auto" (the GPU when there is one). oneDNN caches kernels per input shape; the cache is
    capped so a folder of differently sized images does not grow memory without bound.
    """

    def __init__(self, prefix, device: str = "auto", threads: int | None = None, onednn: bool = True):
        paddle = _import_paddle()
        prefix = str(prefix)
        pairs = [
            (graph, params)
            for graph, params in (
                (prefix + ".json", prefix + ".pdiparams"),
                (prefix + "_legacy.pdmodel", prefix + "_legacy.pdiparams"),
                (prefix + ".pdmodel", prefix + ".pdiparams"),
            )
            if os.path.exists(graph) and os.path.exists(params)
        ]
        if not pairs:
            raise FileNotFoundError(
                f"Paddle inference model not found: {prefix}.json (or .pdmodel) and {prefix}.pdiparams"
            )
        use_gpu = (
            device in ("gpu", "auto")
            and paddle.device.is_compiled_with_cuda()
            and paddle.device.cuda.device_count() > 0
        )
        if device == "gpu" and not use_gpu:
            raise RuntimeError("device 'gpu' asked for, but this Paddle has no usable GPU")
        self.device = "gpu" if use_gpu else ("cpu+onednn" if onednn else "cpu")
        major = paddle.__version__.split(".")[0]
        errors = []
        for graph, params in pairs:
            if graph.endswith(".json") and major.isdigit() and 0 < int(major) < 3:
                errors.append(f"{graph}: Paddle {paddle.__version__} reads no .json program (Paddle 3 wrote it)")
                continue
            try:
                self.predictor = paddle.inference.create_predictor(
                    self._config(paddle.inference, graph, params, use_gpu, onednn, threads)
                )
            except Exception as exc:  # noqa: BLE001 -- the next pair may load; all reasons are reported
                errors.append(f"{graph} + {params}: {first_line(exc)}")
                continue
            self.files = (graph, params)
            break
        else:
            raise ModelError("Paddle Inference cannot load " + "; nor ".join(errors))
        self._input = self.predictor.get_input_handle(self.predictor.get_input_names()[0])
        self._output = self.predictor.get_output_handle(self.predictor.get_output_names()[0])

    @staticmethod
    def _config(inference, graph, params, use_gpu, onednn, threads):
        config = inference.Config(graph, params)
        if use_gpu:
            config.enable_use_gpu(1024, 0)
        else:
            config.disable_gpu()
            if onednn:
                config.enable_mkldnn()
                config.set_mkldnn_cache_capacity(8)
            else:  # Paddle 3's CPU build turns oneDNN on by itself
                config.disable_mkldnn()
            config.set_cpu_math_library_num_threads(threads or _usable_cores())
        config.disable_glog_info()
        return config

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        self._input.reshape(list(batch.shape))
        self._input.copy_from_cpu(batch)
        self.predictor.run()
        return self._output.copy_to_cpu()


class OnnxRunner:
    """ONNX Runtime session of ``model.onnx`` (CUDA provider first when installed). Raises
    :class:`ModelError` naming the file if ONNX Runtime cannot load it."""

    def __init__(self, path, device: str = "auto", threads: int | None = None):
        import onnxruntime as ort

        if not os.path.exists(path):
            raise FileNotFoundError(f"ONNX model not found: {path}")
        available = ort.get_available_providers()
        providers = ["CPUExecutionProvider"]
        if device in ("gpu", "auto") and "CUDAExecutionProvider" in available:
            providers.insert(0, "CUDAExecutionProvider")
        elif device == "gpu":
            raise RuntimeError(f"device 'gpu' asked for, but ONNX Runtime offers only {available}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or _usable_cores()
        options.log_severity_level = 3  # errors only
        # The memory pattern is a per-shape allocation plan; with tiles it held a second copy of
        # every activation (measured: peak 2.1 GB instead of 1.3 GB on a 4000 x 3000 page).
        options.enable_mem_pattern = False
        try:
            self.session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as exc:
            raise ModelError(f"ONNX Runtime cannot load {path}: {first_line(exc)}") from exc
        self.device = "gpu" if providers[0].startswith("CUDA") else "cpu"
        self._input = self.session.get_inputs()[0].name

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self._input: np.ascontiguousarray(batch, dtype=np.float32)})[0]


def _import_paddle():
    import warnings

    with warnings.catch_warnings():  # "No ccache found" at import: irrelevant to inference
        warnings.simplefilter("ignore", UserWarning)
        import paddle
        from paddle import inference  # noqa: F401  (loads paddle.inference, or fails here; the name is unused)
    return paddle


def paddle_gpu_available() -> bool:
    """Paddle is installed, built with CUDA, and sees a GPU."""
    try:
        paddle = _import_paddle()
    except ImportError:
        return False
    try:
        return bool(paddle.device.is_compiled_with_cuda() and paddle.device.cuda.device_count() > 0)
    except Exception:  # noqa: BLE001 -- a CUDA build without a usable driver
        return False


def onnxruntime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401  (only checks that it imports)
    except ImportError:
        return False
    return True


def backend_order(device: str = "auto") -> list[str]:
    """The backends "auto" tries, best first: Paddle Inference on a GPU when there is one; on a CPU
    ONNX Runtime if installed (on the course machine it restored a folder of test pages ~1.5-2x
    faster than Paddle Inference + oneDNN, which prepares its kernels anew for every image size:
    lab/bench/README.md), else Paddle Inference + oneDNN. The other one follows, for a model the first
    cannot load."""
    if device != "cpu" and paddle_gpu_available():
        return ["paddle", "onnx"]
    if device != "gpu" and onnxruntime_available():
        return ["onnx", "paddle"]
    return ["paddle", "onnx"]


def load_runner(model_dir, backend: str = "auto", device: str = "auto", threads: int | None = None):
    """The model of ``model_dir`` with ``backend`` "paddle", "onnx" or "auto" (each of
    :func:`backend_order` until one loads; its ``skipped`` lists why the others did not)."""
    model_dir = Path(model_dir)
    if backend == "auto":
        return Backends(lambda name: load_runner(model_dir, name, device, threads), backend_order(device)).current
    meta = read_meta(model_dir)
    if backend == "paddle":  # model_meta.json may turn oneDNN off (kernels it lacks, e.g. interpolation)
        return PaddleRunner(model_dir / "model", device=device, threads=threads, onednn=meta.get("onednn", True))
    if backend == "onnx":
        return OnnxRunner(model_dir / "model.onnx", device=device, threads=threads)
    raise ValueError(f"unknown backend {backend!r} (paddle, onnx or auto)")


def read_json(path, what: str = "metadata") -> dict:
    """A JSON object file; a damaged one is a :class:`MetaError` naming it."""
    path = Path(path)
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MetaError(f"the {what} file {path} is damaged ({first_line(exc)}); unzip the submission again") from exc
    if not isinstance(value, dict):
        raise MetaError(
            f"the {what} file {path} is damaged (a JSON {type(value).__name__}, not an object); "
            "unzip the submission again"
        )
    return value


def read_meta(model_dir) -> dict:
    """``model_meta.json`` of ``model_dir`` ({} when there is none)."""
    path = Path(model_dir) / MODEL_META
    return read_json(path, "model metadata") if path.exists() else {}


class Backends:
    """A model loaded with the first backend of ``order`` that works (``load(name)`` loads it);
    the others stay in reserve. :meth:`restore` gives an image the first cannot restore to the
    next one, which then keeps the rest if it succeeds; images already written are never redone.

    ``restore_with(model, image)`` restores an image with a loaded model (default: the model's
    ``restore_image``). Raises :class:`ModelError` listing every backend's reason if none loads;
    a :class:`MetaError` at once (every backend reads the same metadata)."""

    def __init__(self, load, order, restore_with=None, log=print):
        self.load, self.waiting, self.log = load, list(order), log
        self.restore_with = restore_with or (lambda model, image: model.restore_image(image))
        self.skipped, self.loaded = [], []  # (backend, reason); [model] in the order loaded
        self.current = self._load_next()
        if self.current is None:
            raise ModelError(
                "no backend could load it: "
                + "; ".join(f"{BACKEND_NAMES.get(name, name)}: {reason}" for name, reason in self.skipped)
            )

    def _load_next(self):
        while self.waiting:
            name = self.waiting.pop(0)
            try:
                model = self.load(name)
            except MetaError:
                raise
            except Exception as exc:  # noqa: BLE001 -- any failure of a runtime: try the next
                self.skipped.append((name, first_line(exc) if not isinstance(exc, ModelError) else str(exc)))
                continue
            model.backend, model.skipped = name, list(self.skipped)
            self.loaded.append(model)
            return model
        return None

    def _spares(self):
        yield from (m for m in self.loaded if m is not self.current)
        while (model := self._load_next()) is not None:
            yield model

    def restore(self, image):
        try:
            return self.restore_with(self.current, image)
        except Exception as exc:  # noqa: BLE001 -- the runtime failed; another may not
            error = exc
        for spare in self._spares():
            try:
                restored = self.restore_with(spare, image)
            except Exception:  # noqa: BLE001 -- both fail: the image is the problem, keep the first
                continue
            self.log(
                f"{BACKEND_NAMES[self.current.backend]} failed ({first_line(error)}); "
                f"{BACKEND_NAMES[spare.backend]} restored the image and takes over"
            )
            self.current = spare
            return restored
        raise error


def main(argv=None, load_pipeline=None, description: str | None = None) -> int:
    """The command line. ``load_pipeline(model_dir, backend, device, threads)``: instead of one
    tiled network, an object whose ``restore_image(image)`` restores a whole image and whose
    ``device`` says where it runs (the de-occlusion submission's two networks)."""
    parser = argparse.ArgumentParser(description=description or "Restore every image of src_image_dir into save_dir.")
    parser.add_argument("src_image_dir", help="folder of input images")
    parser.add_argument("save_dir", help="folder for the restored images (created if missing)")
    parser.add_argument(
        "--backend",
        choices=["auto", "paddle", "onnx"],
        default="auto",
        help="auto: Paddle Inference on a GPU, else ONNX Runtime (else Paddle + oneDNN), "
        "then the other if the first fails; paddle or onnx: that one only",
    )
    parser.add_argument("--device", choices=["auto", "cpu", "gpu"], default="auto")
    parser.add_argument(
        "--model-dir",
        default=str(Path(__file__).resolve().parent),
        help="folder with the model files (default: next to this script)",
    )
    parser.add_argument(
        "--tile-pixels",
        type=int,
        default=None,
        help="largest tile in pixels (memory bound); default from model_meta.json",
    )
    parser.add_argument("--overlap", type=int, default=None, help="tile overlap in pixels")
    parser.add_argument(
        "--tiling",
        choices=TILINGS,
        default=None,
        help="quadrants: the winner's 4 tiles; overlap: blended tiles within --tile-pixels "
        "(default: model_meta.json's tiling, else overlap)",
    )
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all usable cores)")
    parser.add_argument("--timings", default=None, help="write per-image seconds and pixels to this JSON file")
    parser.add_argument("--quiet", action="store_true", help="print only failures and the summary")
    args = parser.parse_args(argv)

    def fail(message: str, code: int = EXIT_USAGE) -> int:
        print(f"error: {message}", file=sys.stderr)
        return code

    # Everything that needs no model is checked first: a bad folder costs seconds, not a folder's run.
    src, save = Path(args.src_image_dir), Path(args.save_dir)
    if not src.is_dir():
        return fail(f"source folder not found: {src}")
    try:
        prepare_save_dir(save, src)
        meta = read_meta(args.model_dir)
    except (OSError, ValueError, MetaError) as exc:
        return fail(str(exc))
    tile_pixels = args.tile_pixels or meta.get("tile_pixels", DEFAULT_TILE_PIXELS)
    overlap = args.overlap if args.overlap is not None else meta.get("overlap", DEFAULT_OVERLAP)
    multiple = meta.get("multiple", DEFAULT_MULTIPLE)
    tiling = args.tiling or meta.get("tiling", "overlap")
    if tiling not in TILINGS:
        return fail(
            f"{Path(args.model_dir) / MODEL_META}: unknown tiling {tiling!r} (expected "
            f"{' or '.join(TILINGS)}); unzip the submission again"
        )
    if not list_inputs(src):
        return fail(
            f"no files in the source folder {src}; nothing restored (the output folder {save} is empty)", EXIT_FAILED
        )

    def load(backend):
        if load_pipeline:
            return load_pipeline(args.model_dir, backend, args.device, args.threads)
        return load_runner(args.model_dir, backend, args.device, args.threads)

    def restore_with(model, image):
        if load_pipeline:
            return model.restore_image(image)
        return restore_array(model, image, tile_pixels=tile_pixels, overlap=overlap, multiple=multiple, tiling=tiling)

    order = backend_order(args.device) if args.backend == "auto" else [args.backend]
    try:
        start = time.perf_counter()
        backends = Backends(load, order, restore_with)
        load_s = time.perf_counter() - start
    except (ImportError, FileNotFoundError, RuntimeError, ValueError) as exc:
        return fail(f"cannot load the model from {args.model_dir}: {exc}")
    run = backends.current
    # Said even with --quiet: a backend that did not load is a failure of its own.
    for name, reason in backends.skipped:
        print(f"{BACKEND_NAMES[name]} not used: {reason}")
    if not args.quiet:
        reserve = [BACKEND_NAMES[name] for name in backends.waiting]
        why = (
            f"--backend {args.backend}"
            if args.backend != "auto"
            else "auto: "
            + ("the first choice did not load" if backends.skipped else "the first choice here")
            + (f"; {', '.join(reserve)} in reserve" if reserve else "")
        )
        print(f"backend: {BACKEND_NAMES[run.backend]} ({why})")
        print(
            f"model: {type(run).__name__} on {run.device}, loaded in {load_s:.1f} s"
            + (
                ""
                if load_pipeline
                else "; "
                + (
                    "the winner's 4 quadrants (cut at half height and width, stitched edge to edge)"
                    if tiling == "quadrants"
                    else f"tiles of at most {tile_pixels} pixels, overlap {overlap}"
                )
            )
        )

    def log_each(paths):  # the progress line first, so a file's FAILED line follows its own
        for k, path in enumerate(paths, 1):
            if not args.quiet:
                print(f"[{k}/{len(paths)}] {path.name}", flush=True)
            yield path

    try:
        report = restore_folder(
            None, src, save, wrap=log_each, log=(lambda *_: None) if args.quiet else print, restore=backends.restore
        )
    except (FileNotFoundError, ValueError, OSError) as exc:
        return fail(str(exc))
    seconds = sum(t["seconds"] for t in report["timings"])
    megapixels = sum(t["pixels"] for t in report["timings"]) / 1e6
    n_ok = len(report["restored"])
    summary = f"restored {n_ok} of {report['files']} files into {save} in {seconds:.2f} s"
    if n_ok:
        summary += f" ({seconds / n_ok:.3f} s per image, {seconds / max(megapixels, 1e-9):.3f} s per megapixel)"
    print(summary)
    if args.timings:
        run = backends.current
        Path(args.timings).write_text(
            json.dumps(
                {"device": run.device, "backend": type(run).__name__, "load_seconds": load_s, **report}, indent=1
            ),
            encoding="utf-8",
        )
    if report["failed"]:
        print(f"{len(report['failed'])} file(s) failed:")
        for name, reason in report["failed"]:
            print(f"  {name}: {reason}")
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
