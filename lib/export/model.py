"""Export a model to every deployment format and check each against dygraph."""

from __future__ import annotations

import time
from pathlib import Path

import paddle.nn as nn

from ..infer import OnnxRunner, PaddleRunner
from .formats import formats_of
from .onnx import export_onnx
from .paddle_inference import LEGACY_PREFIX, export_paddle, export_paddle_legacy
from .parity import max_abs_error


def export_model(
    model: nn.Layer,
    out_dir,
    *,
    onnx: bool = True,
    check: tuple | None = None,
    onednn: bool = True,
    legacy: bool = False,
) -> dict:
    """Export ``model`` (plain or TLC) to ``out_dir/model.{json,pdiparams[,onnx]}`` (and, with
    ``legacy``, ``model_legacy.{pdmodel,pdiparams}`` if this Paddle can write them) and compare each
    format with the dygraph model on a ``check`` input (Paddle Inference with oneDNN unless
    ``onednn=False``); returns paths, max abs errors and :func:`formats_of` the folder."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    check = tuple(check or (1, 3, 101, 77))
    start = time.perf_counter()
    prefix = export_paddle(model, out_dir / "model")
    info = {
        "paddle": [str(prefix.with_suffix(".json")), str(prefix.with_suffix(".pdiparams"))],
        "check_shape": list(check),
    }
    info["paddle_max_abs_error"] = max_abs_error(model, PaddleRunner(prefix, device="cpu", onednn=onednn), check)
    if legacy:
        try:
            old = export_paddle_legacy(model, out_dir / LEGACY_PREFIX)
        except RuntimeError as exc:
            info["paddle_legacy_note"] = str(exc)
        else:
            runner = PaddleRunner(old, device="cpu", onednn=onednn)
            info["paddle_legacy_max_abs_error"] = max_abs_error(model, runner, check)
    if onnx:
        path = export_onnx(prefix, out_dir / "model.onnx")
        info["onnx"] = str(path)
        info["onnx_max_abs_error"] = max_abs_error(model, OnnxRunner(path, device="cpu"), check)
    info["formats"] = formats_of(out_dir, info.get("paddle_legacy_note"))
    info["export_seconds"] = time.perf_counter() - start
    return info
