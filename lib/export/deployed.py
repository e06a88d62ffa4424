"""A model exported to a temporary folder and loaded as ``predict.py`` would run it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import paddle.nn as nn

from ..infer import OnnxRunner, PaddleRunner, paddle_gpu_available
from .onnx import export_onnx
from .paddle_inference import export_paddle


def deployed_runner(model: nn.Layer, backend: str = "auto", onednn: bool = True):
    """``model`` exported to a temporary folder and loaded for fast inference, as ``predict.py``
    would run it: ``backend`` "paddle" (Paddle Inference: GPU if there is one, else CPU with
    oneDNN unless ``onednn=False``), "onnx" (ONNX Runtime) or "auto" (Paddle on a GPU, ONNX
    Runtime on a CPU: see ``backend_order`` in lib/infer/backends.py). The runtime keeps
    the model in memory, so the folder is deleted at once. Use it as ``predict_image(runner, image)``."""
    if backend == "auto":
        backend = "paddle" if paddle_gpu_available() else "onnx"
    with tempfile.TemporaryDirectory(prefix="deployed_") as tmp:
        prefix = export_paddle(model, Path(tmp) / "model")
        if backend == "paddle":
            runner = PaddleRunner(prefix, onednn=onednn)
        elif backend == "onnx":
            runner = OnnxRunner(export_onnx(prefix, Path(tmp) / "model.onnx"))
        else:
            raise ValueError(f"unknown backend {backend!r} (paddle, onnx or auto)")
    runner.multiple = int(getattr(model, "padder_size", 16))
    return runner
