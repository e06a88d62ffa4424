"""Inference: restore images and folders with a trained model, whole or in tiles, with or without TLC.

Three ways to cut an image (``mode`` of :func:`predict_image`):

* ``"whole"``: the whole image at once; the network pads it to its multiple (16) itself.
* ``"quadrants"``: the winner's plan (its test_code/predict.py), the image cut at half its height
  and width into 2 x 2 tiles without overlap or padding (on an odd side the bottom / right tiles
  are a pixel longer), stitched edge to edge. Each tile is padded by the network at its own
  borders, so the seams can show. The deblur ``full`` submission restores this way (the
  ``submission`` section of lib/configs/deblur.yaml, :func:`submission_tiling`).
* ``"tiles"``: overlapping tiles blended with linear ramps over the overlap, either of a given
  side (``tile=256``) or as few as fit a pixel budget (``tile_pixels``, the memory bound).

The tiling code is the NumPy core of the submission's ``predict.py`` (``lib/submission/predict.py``),
imported here so that notebooks, tests and the submitted script run the same code. Anything that
maps a float32 ``1 x 3 x h x w`` array in [0, 1] to the same shape can restore: a Paddle Layer
(wrapped by :class:`DygraphRunner`), or the exported models' runners (``PaddleRunner``,
``OnnxRunner`` from the same module; ``lib.export.deployed_runner`` exports a model and loads it).

TLC (lib.models.tlc) is a property of the model: :func:`tlc_model` converts a trained model with
the training size and factor of the profile's ``tlc`` section (lib/configs/deblur.yaml; full: the
winner's 256 px x 2.5), not the last training stage's patch: full's last stage is 1024 px, whose
2560-px window would cover every tile and leave TLC without effect.
"""

from __future__ import annotations

import time

import numpy as np
import paddle

from .submission.predict import (
    DEFAULT_MULTIPLE,
    DEFAULT_OVERLAP,
    DEFAULT_TILE_PIXELS,
    TILINGS,
    ImageError,
    OnnxRunner,
    PaddleRunner,
    blend_ramp,
    memory_estimate,
    plan_grid,
    quadrant_grid,
    restore_array,
    restore_folder,
    tile_plan,
)

TLC_FACTOR = 2.5  # the 1st-place solution's factor (the paper used 1.5); profiles set theirs in `tlc:`
MODES = ("whole", "quadrants", "tiles")

__all__ = [
    "DEFAULT_OVERLAP",
    "DEFAULT_TILE_PIXELS",
    "MODES",
    "TILINGS",
    "TLC_FACTOR",
    "DygraphRunner",
    "ImageError",
    "OnnxRunner",
    "PaddleRunner",
    "as_runner",
    "blend_ramp",
    "compare_inference",
    "memory_estimate",
    "plan_grid",
    "predict_folder",
    "predict_image",
    "quadrant_grid",
    "restore_array",
    "seam_error",
    "seam_mask",
    "submission_tiling",
    "tile_grid",
    "tile_plan",
    "tlc_model",
    "tlc_options",
    "training_options",
    "training_patch_size",
]


class DygraphRunner:
    """A Paddle Layer as a runner: float32 NumPy N x 3 x H x W in, the same out, no gradients."""

    def __init__(self, model):
        self.model = model
        self.model.eval()
        self.device = str(paddle.get_device())

    @paddle.no_grad()
    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self.model(paddle.to_tensor(np.ascontiguousarray(batch, dtype=np.float32))).numpy()


def as_runner(model):
    """A Paddle Layer -> :class:`DygraphRunner`; any other callable is used as is."""
    if isinstance(model, paddle.nn.Layer):
        return DygraphRunner(model)
    if callable(model):
        return model
    raise TypeError(f"expected a Paddle Layer or a callable runner, got {type(model).__name__}")


def _multiple(model) -> int:
    """The size the network pads to: NAFNet's ``padder_size``, a runner's ``multiple``, else 16."""
    for obj in (model, getattr(model, "model", None)):
        for attr in ("padder_size", "multiple"):
            if obj is not None and isinstance(getattr(obj, attr, None), int):
                return int(getattr(obj, attr))
    return DEFAULT_MULTIPLE


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
    multiple = _multiple(model)
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
    from .report import progress

    def wrap(files):
        return progress(files, desc="restoring", unit="image")

    report = restore_folder(
        as_runner(model),
        src_dir,
        save_dir,
        tile_pixels=tile_pixels,
        overlap=overlap,
        multiple=_multiple(model),
        tiling=tiling,
        wrap=wrap,
    )
    return report


def compare_inference(models: dict, pairs, modes: dict, keep: int = 0) -> tuple[list[dict], dict]:
    """Score every (model, mode) on ``pairs`` of (name, blurred, sharp) uint8 images.

    ``models``: name -> Layer or runner; ``modes``: name -> keyword arguments of
    :func:`predict_image` (``{"whole": {"mode": "whole"}, ...}``). Returns one row per
    combination (mean PSNR, MS-SSIM, score; restore seconds per image and per megapixel, metrics
    not included) and the restored images of the first ``keep`` pairs, keyed (model, mode).
    """
    from .metrics import evaluate_pair

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


def training_options(model_or_path) -> dict:
    """The training options of a model from ``lib.tracks.load_model`` (or of a checkpoint path):
    saved inside a training checkpoint, or as options.json beside a published model."""
    from .checkpoints import read_options

    path = getattr(model_or_path, "checkpoint_path", model_or_path)
    if path is None or isinstance(path, paddle.nn.Layer):
        raise ValueError("the model has no checkpoint_path: pass patch_size explicitly")
    return read_options(path)


def training_patch_size(model_or_path) -> int:
    """The patch size of the last training stage. Not TLC's training size: see :func:`tlc_options`."""
    stages = training_options(model_or_path).get("stages") or []
    if not stages or "patch_size" not in stages[-1]:
        raise ValueError(f"no stages with a patch_size in the options of {model_or_path}")
    return int(stages[-1]["patch_size"])


def tlc_options(profile: str | None = None, track: str = "deblur") -> dict:
    """The ``tlc`` section of lib/configs/<track>.yaml for ``profile`` ($COURSE_PROFILE, else demo):
    ``{"train_size": T, "factor": f}``, TLC's window being f x each pooled map's size at T x T."""
    from .config import ConfigError, checked_section

    options, where = checked_section(track, "tlc", {"train_size", "factor"}, profile)
    size, factor = options["train_size"], options["factor"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ConfigError(f"{where}: train_size must be a positive integer, got {size!r}")
    if not isinstance(factor, (int, float)) or isinstance(factor, bool) or factor <= 0:
        raise ConfigError(f"{where}: factor must be a positive number, got {factor!r}")
    return {"train_size": size, "factor": float(factor)}


def submission_tiling(profile: str | None = None, track: str | None = None) -> str:
    """How ``track``'s submission cuts a test image for ``profile`` ($COURSE_PROFILE, else demo): the
    ``tiling`` of its config's ``submission`` section, "overlap" when the track has none (or no
    track is named)."""
    from .config import CONFIG_DIR, ConfigError, checked_section, load_track_file

    if not track or not (CONFIG_DIR / f"{track}.yaml").is_file() or "submission" not in load_track_file(track):
        return "overlap"
    options, where = checked_section(track, "submission", {"tiling"}, profile)
    if options["tiling"] not in TILINGS:
        raise ConfigError(f"{where}: tiling must be one of {', '.join(TILINGS)}, got {options['tiling']!r}")
    return options["tiling"]


def tlc_model(model, factor: float | None = None, train_size: int | None = None, *, profile: str | None = None):
    """``to_tlc(model, train_size=(1, C, T, T), factor)``; T and the factor, unless given, from
    :func:`tlc_options` of ``profile`` for the model's track (``model.track``, else deblur). The
    original model is left unchanged."""
    from .models.tlc import to_tlc

    if factor is None or train_size is None:
        configured = tlc_options(profile, getattr(model, "track", None) or "deblur")
        factor = configured["factor"] if factor is None else factor
        train_size = configured["train_size"] if train_size is None else train_size
    size = int(train_size)
    channels = int(getattr(model, "img_channel", 3))
    converted = to_tlc(model, train_size=(1, channels, size, size), factor=factor)
    converted.checkpoint_path = getattr(model, "checkpoint_path", None)
    converted.track = getattr(model, "track", None)
    converted.tlc = {"factor": float(factor), "train_size": size}
    return converted
