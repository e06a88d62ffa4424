"""Inference: restore images and folders with a trained model, whole or in tiles, with or without TLC.

One concern per module:

* :mod:`~lib.infer.tiling`: tile plans (the winner's 4 quadrants, tiles within a pixel budget);
* :mod:`~lib.infer.blend`: restoring an array tile by tile, blended over the overlaps, and its memory;
* :mod:`~lib.infer.image_files`, :mod:`~lib.infer.folder`: image files in and out, a folder's loop;
* :mod:`~lib.infer.errors`: a file, a model or its metadata that cannot be used;
* :mod:`~lib.infer.runners`, :mod:`~lib.infer.runtimes`: a Paddle Layer, Paddle Inference and ONNX
  Runtime as runners (float32 ``N x 3 x H x W`` in [0, 1] in, the same out);
* :mod:`~lib.infer.backends`: a model folder loaded with the runtime that works (its
  ``model_meta.json``, the order of the runtimes, the others in reserve);
* :mod:`~lib.infer.restore`: :func:`predict_image` (modes "whole", "quadrants", "tiles") and
  :func:`predict_folder`;
* :mod:`~lib.infer.compare`: scores, speed and seams of ways of restoring;
* :mod:`~lib.infer.options`, :mod:`~lib.infer.tlc`: what the config says (TLC, the submission's
  tiling) and the TLC conversion of a model.

The modules of :data:`STANDALONE` need only NumPy, OpenCV and Paddle Inference or ONNX Runtime and
import one another by relative imports, nothing else of ``lib``: each submission zip carries them
byte for byte as a package ``infer/`` beside its ``predict.py`` (lib/export/package.py), which the
competition runs without ``lib``. So the zip and the course run the same inference code, with no
copy. ``lib.export.deployed_runner`` exports a model and loads it.
"""

from __future__ import annotations

from .backends import BACKEND_NAMES, MODEL_META, Backends, backend_order, load_runner, read_json, read_meta
from .blend import blend_ramp, from_unit, memory_estimate, restore_array, to_unit
from .compare import compare_inference, seam_error, seam_mask
from .errors import ImageError, MetaError, ModelError, first_line
from .folder import restore_folder
from .image_files import list_inputs, prepare_save_dir, read_image_file, write_image_file
from .options import submission_tiling, tlc_options, training_options, training_patch_size
from .restore import MODES, predict_folder, predict_image, tile_grid
from .runners import DygraphRunner, as_runner, runner_multiple
from .runtimes import OnnxRunner, PaddleRunner, onnxruntime_available, paddle_gpu_available
from .tiling import (
    DEFAULT_MULTIPLE,
    DEFAULT_OVERLAP,
    DEFAULT_TILE_PIXELS,
    TILINGS,
    plan_grid,
    quadrant_grid,
    tile_plan,
    tiles_for_side,
)
from .tlc import TLC_FACTOR, tlc_model

# Carried by every submission zip as infer/<name>.py: NumPy, OpenCV and a runtime only, relative
# imports among themselves only (tests/test_submission_package.py checks both)
STANDALONE = ("errors", "tiling", "blend", "image_files", "folder", "runtimes", "backends")

__all__ = [
    "BACKEND_NAMES",
    "DEFAULT_MULTIPLE",
    "DEFAULT_OVERLAP",
    "DEFAULT_TILE_PIXELS",
    "MODEL_META",
    "MODES",
    "STANDALONE",
    "TILINGS",
    "TLC_FACTOR",
    "Backends",
    "DygraphRunner",
    "ImageError",
    "MetaError",
    "ModelError",
    "OnnxRunner",
    "PaddleRunner",
    "as_runner",
    "backend_order",
    "blend_ramp",
    "compare_inference",
    "first_line",
    "from_unit",
    "list_inputs",
    "load_runner",
    "memory_estimate",
    "onnxruntime_available",
    "paddle_gpu_available",
    "plan_grid",
    "predict_folder",
    "predict_image",
    "prepare_save_dir",
    "quadrant_grid",
    "read_image_file",
    "read_json",
    "read_meta",
    "restore_array",
    "restore_folder",
    "runner_multiple",
    "seam_error",
    "seam_mask",
    "submission_tiling",
    "tile_grid",
    "tile_plan",
    "tiles_for_side",
    "tlc_model",
    "tlc_options",
    "to_unit",
    "training_options",
    "training_patch_size",
    "write_image_file",
]
