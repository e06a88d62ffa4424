#!/usr/bin/env python
"""Restore every image of a folder: ``python predict.py src_image_dir save_dir``.

The entry point of a submission to the Baidu Netdisk AI blurred-document competition, which ran
it on its own machine (V100, Paddle or ONNX Runtime, 1.2 s per image). It is self-contained on
purpose: it needs only NumPy, OpenCV and either Paddle Inference or ONNX Runtime, and reads the
model files that sit next to it:

    model.json + model.pdiparams   the network saved by ``paddle.jit.save`` (Paddle Inference)
    model.onnx                     the same network for ONNX Runtime (optional)
    model_meta.json                how to feed it: padding multiple, tile budget, overlap, TLC

(In the course repository this file is ``lib/submission/predict.py``; ``lib.infer`` imports its
NumPy core, so notebooks, tests and the submission run the same tiling code. It must never
import ``lib``: the competition unzips it alone.)

Behaviour:

* Every visible file of ``src_image_dir`` is restored into ``save_dir`` under the same name, with
  the same size, format (file extension), channel layout and bit depth: grayscale stays
  grayscale, the alpha channel of RGBA passes through unchanged, 16-bit PNG/TIFF stays 16-bit.
  Files are read with ``np.fromfile`` + ``cv2.imdecode`` and written with ``cv2.imencode`` +
  ``tofile`` (``cv2.imread`` cannot open non-ASCII paths on Windows), each to a temporary name
  first and then renamed.
* Backend: Paddle Inference on a GPU when there is one; on a CPU, ONNX Runtime if installed (it
  was faster than Paddle Inference + oneDNN on a folder of pages of varying sizes), else Paddle
  Inference + oneDNN. ``--backend paddle|onnx`` and ``--device cpu|gpu`` override it.
* One bad file (not an image, corrupt, unsupported pixel type) is reported and skipped; the
  others are still restored. The exit code is 0 when every file was restored, 1 when any failed
  (the failures are listed at the end), 2 for a missing or unusable folder.
* Memory is bounded: an image whose (padded) size exceeds ``tile_pixels`` is restored in
  overlapping tiles of at most ``tile_pixels`` pixels, blended with linear ramps over the
  overlap. Besides the network's own memory for one tile, the image itself costs its input and
  output arrays plus a float32 band one tile high (see :func:`memory_estimate`).
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
DEFAULT_MULTIPLE = 16                 # NAFNet with 4 levels pads its input to a multiple of 2 ** 4
DEFAULT_TILE_PIXELS = 1024 * 1024     # the winner's tile: a quarter of a 2K image
DEFAULT_OVERLAP = 64
FINISH_ROWS = 64                      # rows converted back to the output dtype at a time
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class ImageError(ValueError):
    """A file that cannot be restored (not an image, corrupt, unsupported pixel type)."""


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


def plan_grid(height: int, width: int, tile_pixels: int = DEFAULT_TILE_PIXELS,
              overlap: int = DEFAULT_OVERLAP, multiple: int = DEFAULT_MULTIPLE,
              tile: int | None = None) -> tuple[list, list]:
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
    """The seed's plan: 2 x 2 equal tiles without overlap, on the image padded to even sides."""
    h2, w2 = _round_up(height, 2) // 2, _round_up(width, 2) // 2
    return [(0, h2), (h2, h2)], [(0, w2), (w2, w2)]


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
            w[size - n:] = np.minimum(w[size - n:], rise(n)[::-1])
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


def restore_array(run, image: np.ndarray, grid: tuple[list, list] | None = None, *,
                  tile_pixels: int = DEFAULT_TILE_PIXELS, overlap: int = DEFAULT_OVERLAP,
                  multiple: int = DEFAULT_MULTIPLE, blend: str = "linear") -> np.ndarray:
    """Restore an H x W x 3 image (uint8, uint16 or float in [0, 1]) with ``run``.

    ``run`` maps a float32 1 x 3 x h x w array in [0, 1] to one of the same shape (it pads to its
    own multiple inside). ``grid`` is a tile plan (:func:`plan_grid`, :func:`quadrant_grid`);
    by default the one that fits ``tile_pixels``. Tiles reaching past the image (the seed's
    quadrants on odd sizes) see the image reflect-padded. Outputs are blended with
    :func:`blend_ramp` weights and divided by their sum.

    Memory: rows are finished one tile row at a time, so beside the input and output arrays only
    a float32 band one tile row high (3 channels + 1 weight) is held, plus one tile's arrays
    (:func:`memory_estimate` adds it up). Returns the restored image in the input's dtype.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"restore_array expects H x W x 3, got shape {image.shape}")
    height, width = image.shape[:2]
    rows, cols = grid or plan_grid(height, width, tile_pixels, overlap, multiple)
    pad_h = max(max(s + n for s, n in rows) - height, 0)
    pad_w = max(max(s + n for s, n in cols) - width, 0)
    if pad_h or pad_w:  # only the quadrant plan reaches past the image (by one pixel)
        mode = "reflect" if height > pad_h and width > pad_w else "symmetric"
        image = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode=mode)
    out = np.empty((height, width, 3), dtype=image.dtype)
    col_weights = [blend_ramp(cols, j, blend) for j in range(len(cols))]
    # The band holds rows [y0, y0 + band height) of the current tile row; each tile row starts
    # where the previous one's finished rows end, so it always starts at band row 0.
    band_h = max(n for _, n in rows)
    acc = np.zeros((band_h, width + pad_w, 3), np.float32)
    weight = np.zeros((band_h, width + pad_w, 1), np.float32)
    for i, (y0, th) in enumerate(rows):
        row_w = blend_ramp(rows, i, blend)
        for j, (x0, tw) in enumerate(cols):
            tile = to_unit(image[y0:y0 + th, x0:x0 + tw])
            batch = np.ascontiguousarray(tile.transpose(2, 0, 1)[None])
            result = np.asarray(run(batch), dtype=np.float32)
            if result.shape != batch.shape:
                raise RuntimeError(f"the model returned shape {result.shape} for input {batch.shape}")
            w = row_w[:, None, None] * col_weights[j][None, :, None]
            acc[:th, x0:x0 + tw] += result[0].transpose(1, 2, 0) * w
            weight[:th, x0:x0 + tw] += w
        # Rows above the next tile row get no more contributions: finish them, a few at a time
        # (float64 rounding temporaries stay small), then move the overlap rows to the top.
        done = (rows[i + 1][0] if i + 1 < len(rows) else y0 + th) - y0
        for r in range(0, min(done, height - y0), FINISH_ROWS):
            r_end = min(r + FINISH_ROWS, done, height - y0)
            out[y0 + r:y0 + r_end] = from_unit(acc[r:r_end, :width] / weight[r:r_end, :width], out.dtype)
        left = th - done
        if left > 0:
            acc[:left] = acc[done:th].copy()
            weight[:left] = weight[done:th].copy()
        acc[max(left, 0):] = 0.0
        weight[max(left, 0):] = 0.0
    return out


def memory_estimate(height: int, width: int, tile_pixels: int = DEFAULT_TILE_PIXELS,
                    overlap: int = DEFAULT_OVERLAP, multiple: int = DEFAULT_MULTIPLE,
                    bytes_per_channel: int = 1, model_bytes_per_pixel: float | None = None) -> dict:
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
    return {"tiles": len(rows) * len(cols), "tile_hw": (th, tw), "tile_pixels": tile_area,
            "bytes": parts, "total_bytes": sum(parts.values())}


# --------------------------------------------------------------------------------------------
# Image files: read anything OpenCV decodes, write it back in kind.
# --------------------------------------------------------------------------------------------

def read_image_file(path: Path) -> tuple[np.ndarray, dict]:
    """(RGB H x W x 3 array in the file's dtype, how to write it back). Raises ImageError."""
    path = Path(path)
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ImageError(f"not an image file (suffix {path.suffix or 'none'!r}; expected one of "
                         f"{', '.join(IMAGE_SUFFIXES)})")
    data = np.fromfile(str(path), dtype=np.uint8)
    if data.size == 0:
        raise ImageError("empty file (0 bytes)")
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageError(f"cannot decode the file as an image ({data.size} bytes: corrupt, truncated "
                         f"or not a {path.suffix.lower()} file)")
    if image.dtype not in (np.uint8, np.uint16, np.float32):
        raise ImageError(f"unsupported pixel type {image.dtype} (uint8, uint16 and float32 are restored)")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB), {"layout": "gray", "dtype": image.dtype}
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB), {"layout": "bgr", "dtype": image.dtype}
    if image.ndim == 3 and image.shape[2] == 4:
        return (cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_BGR2RGB),
                {"layout": "bgra", "dtype": image.dtype, "alpha": image[:, :, 3].copy()})
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
    params = {".jpg": [cv2.IMWRITE_JPEG_QUALITY, 100], ".jpeg": [cv2.IMWRITE_JPEG_QUALITY, 100],
              ".webp": [cv2.IMWRITE_WEBP_QUALITY, 101]}.get(suffix, [])  # 101: lossless WebP
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
    return sorted((p for p in Path(src_dir).iterdir() if p.is_file() and not p.name.startswith(".")),
                  key=lambda p: p.name)


def restore_folder(run, src_dir, save_dir, *, tile_pixels: int = DEFAULT_TILE_PIXELS,
                   overlap: int = DEFAULT_OVERLAP, multiple: int = DEFAULT_MULTIPLE,
                   wrap=None, log=print, restore=None) -> dict:
    """Restore every file of ``src_dir`` into ``save_dir`` (same names); one failure never stops
    the rest. ``wrap`` wraps the file list (a progress bar); ``log`` prints each failure.
    ``restore``: image -> restored image, instead of :func:`restore_array` with ``run`` (a
    pipeline of several networks, e.g. the de-occlusion submission).
    Returns {"restored": [...], "failed": [(name, reason)], "timings": [{name, seconds, pixels}]}.
    """
    src_dir, save_dir = Path(src_dir), Path(save_dir)
    if not src_dir.is_dir():
        raise FileNotFoundError(f"source folder not found: {src_dir}")
    if save_dir.resolve() == src_dir.resolve():
        raise ValueError(f"save_dir must differ from src_image_dir ({src_dir}): the inputs would be overwritten")
    save_dir.mkdir(parents=True, exist_ok=True)
    files = list_inputs(src_dir)
    report = {"restored": [], "failed": [], "timings": [], "files": len(files)}
    for path in (wrap(files) if wrap else files):
        start = time.perf_counter()
        try:
            image, info = read_image_file(path)
            restored = restore(image) if restore else restore_array(run, image, tile_pixels=tile_pixels,
                                                                    overlap=overlap, multiple=multiple)
            write_image_file(save_dir / path.name, restored, info)
        except Exception as exc:  # noqa: BLE001 -- one bad file must not stop the others
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            report["failed"].append((path.name, f"{type(exc).__name__}: {reason}"))
            log(f"FAILED {path.name}: {reason}")
            continue
        report["restored"].append(path.name)
        report["timings"].append({"name": path.name, "seconds": time.perf_counter() - start,
                                  "pixels": int(image.shape[0] * image.shape[1])})
    return report


# --------------------------------------------------------------------------------------------
# Backends: Paddle Inference (oneDNN on CPU, GPU when there is one) and ONNX Runtime.
# --------------------------------------------------------------------------------------------

def _usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class PaddleRunner:
    """Paddle Inference predictor of ``<prefix>.json`` (or ``.pdmodel``) + ``<prefix>.pdiparams``.

    ``device``: "gpu" (CUDA build and a visible GPU), "cpu" (oneDNN, all usable cores) or
    "auto" (the GPU when there is one). oneDNN caches kernels per input shape; the cache is
    capped so a folder of differently sized images does not grow memory without bound.
    """

    def __init__(self, prefix, device: str = "auto", threads: int | None = None, onednn: bool = True):
        paddle = _import_paddle()
        inference = paddle.inference

        prefix = str(prefix)
        graph = prefix + ".json" if os.path.exists(prefix + ".json") else prefix + ".pdmodel"
        if not os.path.exists(graph) or not os.path.exists(prefix + ".pdiparams"):
            raise FileNotFoundError(f"Paddle inference model not found: {graph} and {prefix}.pdiparams")
        config = inference.Config(graph, prefix + ".pdiparams")
        use_gpu = device in ("gpu", "auto") and paddle.device.is_compiled_with_cuda() \
            and paddle.device.cuda.device_count() > 0
        if device == "gpu" and not use_gpu:
            raise RuntimeError("device 'gpu' asked for, but this Paddle has no usable GPU")
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
        self.device = "gpu" if use_gpu else ("cpu+onednn" if onednn else "cpu")
        self.predictor = inference.create_predictor(config)
        self._input = self.predictor.get_input_handle(self.predictor.get_input_names()[0])
        self._output = self.predictor.get_output_handle(self.predictor.get_output_names()[0])

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        self._input.reshape(list(batch.shape))
        self._input.copy_from_cpu(batch)
        self.predictor.run()
        return self._output.copy_to_cpu()


class OnnxRunner:
    """ONNX Runtime session of ``model.onnx`` (CUDA provider first when installed)."""

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
        self.session = ort.InferenceSession(str(path), options, providers=providers)
        self.device = "gpu" if providers[0].startswith("CUDA") else "cpu"
        self._input = self.session.get_inputs()[0].name

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self._input: np.ascontiguousarray(batch, dtype=np.float32)})[0]


def _import_paddle():
    import warnings

    with warnings.catch_warnings():  # "No ccache found" at import: irrelevant to inference
        warnings.simplefilter("ignore", UserWarning)
        import paddle
        from paddle import inference  # noqa: F401
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


def choose_backend(model_dir, device: str = "auto") -> str:
    """"auto": Paddle Inference on a GPU when there is one; on a CPU, ONNX Runtime if installed
    (on the course machine it restored a folder of test pages ~1.5-2x faster than Paddle
    Inference + oneDNN, which prepares its kernels anew for every image size: bench/README.md),
    else Paddle Inference + oneDNN."""
    model_dir = Path(model_dir)
    has_paddle, has_onnx = (model_dir / "model.pdiparams").exists(), (model_dir / "model.onnx").exists()
    if has_paddle and device in ("auto", "gpu") and paddle_gpu_available():
        return "paddle"
    if has_onnx and device != "gpu":
        try:
            import onnxruntime  # noqa: F401
            return "onnx"
        except ImportError:
            pass
    return "paddle" if has_paddle else "onnx"


def load_runner(model_dir, backend: str = "auto", device: str = "auto", threads: int | None = None):
    """The model of ``model_dir`` with ``backend`` "paddle", "onnx" or "auto" (:func:`choose_backend`)."""
    model_dir = Path(model_dir)
    if backend == "auto":
        backend = choose_backend(model_dir, device)
    if backend == "paddle":  # model_meta.json may turn oneDNN off (kernels it lacks, e.g. interpolation)
        return PaddleRunner(model_dir / "model", device=device, threads=threads,
                            onednn=read_meta(model_dir).get("onednn", True))
    if backend == "onnx":
        return OnnxRunner(model_dir / "model.onnx", device=device, threads=threads)
    raise ValueError(f"unknown backend {backend!r} (paddle, onnx or auto)")


def read_meta(model_dir) -> dict:
    path = Path(model_dir) / MODEL_META
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv=None, load_pipeline=None, description: str | None = None) -> int:
    """The command line. ``load_pipeline(model_dir, backend, device, threads)``: instead of one
    tiled network, an object whose ``restore_image(image)`` restores a whole image and whose
    ``device`` says where it runs (the de-occlusion submission's two networks)."""
    parser = argparse.ArgumentParser(description=description or "Restore every image of src_image_dir into save_dir.")
    parser.add_argument("src_image_dir", help="folder of input images")
    parser.add_argument("save_dir", help="folder for the restored images (created if missing)")
    parser.add_argument("--backend", choices=["auto", "paddle", "onnx"], default="auto",
                        help="auto: Paddle Inference on a GPU, else ONNX Runtime (else Paddle + oneDNN)")
    parser.add_argument("--device", choices=["auto", "cpu", "gpu"], default="auto")
    parser.add_argument("--model-dir", default=str(Path(__file__).resolve().parent),
                        help="folder with the model files (default: next to this script)")
    parser.add_argument("--tile-pixels", type=int, default=None,
                        help="largest tile in pixels (memory bound); default from model_meta.json")
    parser.add_argument("--overlap", type=int, default=None, help="tile overlap in pixels")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all usable cores)")
    parser.add_argument("--timings", default=None, help="write per-image seconds and pixels to this JSON file")
    parser.add_argument("--quiet", action="store_true", help="print only failures and the summary")
    args = parser.parse_args(argv)

    src, save = Path(args.src_image_dir), Path(args.save_dir)
    if not src.is_dir():
        print(f"error: source folder not found: {src}", file=sys.stderr)
        return EXIT_USAGE
    meta = read_meta(args.model_dir)
    tile_pixels = args.tile_pixels or meta.get("tile_pixels", DEFAULT_TILE_PIXELS)
    overlap = args.overlap if args.overlap is not None else meta.get("overlap", DEFAULT_OVERLAP)
    multiple = meta.get("multiple", DEFAULT_MULTIPLE)
    if not list_inputs(src):
        print(f"error: no files in the source folder {src}", file=sys.stderr)
        return EXIT_FAILED
    try:
        start = time.perf_counter()
        run = (load_pipeline or load_runner)(args.model_dir, args.backend, args.device, args.threads)
        load_s = time.perf_counter() - start
    except (ImportError, FileNotFoundError, RuntimeError, ValueError) as exc:
        print(f"error: cannot load the model from {args.model_dir}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.quiet:
        print(f"model: {type(run).__name__} on {run.device}, loaded in {load_s:.1f} s"
              + ("" if load_pipeline else f"; tiles of at most {tile_pixels} pixels, overlap {overlap}"))

    def log_each(paths):
        for k, path in enumerate(paths, 1):
            yield path
            if not args.quiet:
                print(f"[{k}/{len(paths)}] {path.name}", flush=True)

    try:
        report = restore_folder(run, src, save, tile_pixels=tile_pixels, overlap=overlap, multiple=multiple,
                                wrap=log_each, log=(lambda *_: None) if args.quiet else print,
                                restore=run.restore_image if load_pipeline else None)
    except (FileNotFoundError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    seconds = sum(t["seconds"] for t in report["timings"])
    megapixels = sum(t["pixels"] for t in report["timings"]) / 1e6
    n_ok = len(report["restored"])
    summary = f"restored {n_ok} of {report['files']} files into {save} in {seconds:.2f} s"
    if n_ok:
        summary += f" ({seconds / n_ok:.3f} s per image, {seconds / max(megapixels, 1e-9):.3f} s per megapixel)"
    print(summary)
    if args.timings:
        Path(args.timings).write_text(json.dumps({"device": run.device, "backend": type(run).__name__,
                                                  "load_seconds": load_s, **report}, indent=1), encoding="utf-8")
    if report["failed"]:
        print(f"{len(report['failed'])} file(s) failed:")
        for name, reason in report["failed"]:
            print(f"  {name}: {reason}")
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
