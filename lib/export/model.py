"""Export a model to every deployment format and check each against dygraph."""

from __future__ import annotations

import time
from pathlib import Path

import paddle.nn as nn

from ..infer import OnnxRunner, PaddleRunner
from .formats import formats_of
from .onnx import export_onnx
from .paddle_inference import LEGACY_PREFIX, export_paddle, export_paddle_legacy
from .parity import check_parity, compare, judgement


def export_model(
    model: nn.Layer,
    out_dir,
    *,
    onnx: bool = True,
    check: tuple | None = None,
    onednn: bool = True,
    legacy: bool = False,
    judge: str = "relative",
    tolerance: float | None = None,
    flip_tolerance: float | None = None,
    label: str | None = None,
) -> dict:
    """Export ``model`` (plain or TLC) to ``out_dir/model.{json,pdiparams[,onnx]}`` (and, with
    ``legacy``, ``model_legacy.{pdmodel,pdiparams}`` if this Paddle can write them) and compare each
    format with the dygraph model on a ``check`` input (Paddle Inference with oneDNN unless
    ``onednn=False``), judged by :mod:`lib.export.parity` (``judge="relative"``: a restoration, its
    relative error at most ``tolerance``; ``"decision"``: a segmenter, the share of pixels whose class
    flips at most ``flip_tolerance``; None: the module's bounds). Raises RuntimeError naming
    ``label`` (default "model"), the format, the measure and the bound if a format fails; returns
    paths, ``<format>_<measure>`` per format, ``parity`` and :func:`formats_of` the folder."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    check = tuple(check or (1, 3, 101, 77))
    start = time.perf_counter()
    prefix = export_paddle(model, out_dir / "model")
    info = {
        "paddle": [str(prefix.with_suffix(".json")), str(prefix.with_suffix(".pdiparams"))],
        "check_shape": list(check),
        "parity": judgement(judge, tolerance, flip_tolerance),
    }

    def record(fmt, runner):
        for key, value in compare(model, runner, check, judge=judge).items():
            info[f"{fmt}_{key}"] = value

    record("paddle", PaddleRunner(prefix, device="cpu", onednn=onednn))
    if legacy:
        try:
            old = export_paddle_legacy(model, out_dir / LEGACY_PREFIX)
        except RuntimeError as exc:
            info["paddle_legacy_note"] = str(exc)
        else:
            record("paddle_legacy", PaddleRunner(old, device="cpu", onednn=onednn))
    if onnx:
        path = export_onnx(prefix, out_dir / "model.onnx")
        info["onnx"] = str(path)
        record("onnx", OnnxRunner(path, device="cpu"))
    check_parity(info, label)
    info["formats"] = formats_of(out_dir, info.get("paddle_legacy_note"))
    info["export_seconds"] = time.perf_counter() - start
    return info
