"""Export a trained model for deployment and build the competition submission.

    python -m lib.export --track deblur           # dist/submission.zip from the track's model (lib.export.__main__)
    python -m lib.export --no-tlc --out x.zip     # without TLC

Two deployment formats, both with a dynamic input ``N x 3 x H x W`` (float32 RGB in [0, 1]):

* a Paddle inference model (``paddle.jit.save`` -> ``model.json`` + ``model.pdiparams``), run by
  a Paddle Inference predictor: the GPU when there is one, else the CPU with oneDNN;
* an ONNX model (paddle2onnx) run by ONNX Runtime.

The submission also carries the network as a program of the IR before PIR
(``model_legacy.pdmodel`` + ``model_legacy.pdiparams``, what Paddle 2's inference reads) when the
installed Paddle can write it (:func:`export_paddle_legacy`); ``model_meta.json``'s ``formats``
records which files the zip holds and, for a missing pair, why.

On this CPU both exported paths beat dygraph; for NAFNet on a folder of pages of varying sizes
ONNX Runtime was the faster of the two (lab/bench/README.md), so ``predict.py`` and
:func:`deployed_runner` use it on a CPU and Paddle Inference on a GPU.

One concern per module: :mod:`~lib.export.swaps` (layers swapped so the model traces and converts
faithfully), :mod:`~lib.export.paddle_inference` and :mod:`~lib.export.onnx` (the formats),
:mod:`~lib.export.parity` (exported vs dygraph, judged on the output's scale),
:mod:`~lib.export.formats` (which files a folder holds), :mod:`~lib.export.model` (every format,
checked), :mod:`~lib.export.deployed` (a model exported and loaded for fast inference),
:mod:`~lib.export.package` (the submission zip: ``predict.py`` and lib/infer's standalone modules
as files) and :mod:`~lib.export.submission_checks` (a submission run as the competition would).
"""

from __future__ import annotations

import sys

# `python -m lib.export` imports this package, and Paddle with it, before the command's __main__: the command's
# quieting (lib/quiet.py) comes here, first. Python sets sys.argv[0] to "-m" only while it locates that module;
# an `import lib.export` anywhere else leaves the environment and the warning filters alone.
if sys.argv[:1] == ["-m"]:
    import lib.quiet

from ..infer import DEFAULT_OVERLAP, DEFAULT_TILE_PIXELS, MODEL_META
from ..paths import REPO_ROOT
from .deployed import deployed_runner
from .formats import formats_of, model_files
from .model import export_model
from .onnx import ONNX_OPSET, export_onnx
from .package import DIST_DIR, INFER_PACKAGE, PREDICT_TEMPLATE, build_submission, carry_infer, write_zip
from .paddle_inference import LEGACY_PREFIX, export_paddle, export_paddle_legacy
from .parity import (
    FLIP_TOLERANCE,
    RELATIVE_TOLERANCE,
    TIE_EPSILON,
    check_parity,
    check_shape,
    compare,
    flipped_share,
    max_abs_error,
    relative_error,
)
from .submission_checks import predict_imports, run_submission, write_awkward_inputs
from .swaps import ExportableLeakyReLU, ExportableLocalAvgPool2d, exportable

__all__ = [
    "DEFAULT_OVERLAP",
    "DEFAULT_TILE_PIXELS",
    "DIST_DIR",
    "FLIP_TOLERANCE",
    "INFER_PACKAGE",
    "LEGACY_PREFIX",
    "MODEL_META",
    "ONNX_OPSET",
    "PREDICT_TEMPLATE",
    "RELATIVE_TOLERANCE",
    "REPO_ROOT",
    "TIE_EPSILON",
    "ExportableLeakyReLU",
    "ExportableLocalAvgPool2d",
    "build_submission",
    "carry_infer",
    "check_parity",
    "check_shape",
    "compare",
    "deployed_runner",
    "export_model",
    "export_onnx",
    "export_paddle",
    "export_paddle_legacy",
    "exportable",
    "flipped_share",
    "formats_of",
    "max_abs_error",
    "model_files",
    "predict_imports",
    "relative_error",
    "run_submission",
    "write_awkward_inputs",
    "write_zip",
]
