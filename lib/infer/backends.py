"""A model folder loaded with the backend that works: its ``model_meta.json``, the order in which
Paddle Inference and ONNX Runtime are tried, and :class:`Backends`, which keeps the others in
reserve and hands an image the current one cannot restore to the next.

Standalone (see :mod:`lib.infer`): each submission zip carries this file as ``infer/backends.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import MetaError, ModelError, first_line
from .runtimes import OnnxRunner, PaddleRunner, onnxruntime_available, paddle_gpu_available

MODEL_META = "model_meta.json"
BACKEND_NAMES = {"paddle": "Paddle Inference", "onnx": "ONNX Runtime"}


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


def backend_order(device: str = "auto") -> list[str]:
    """The backends "auto" tries, best first: Paddle Inference on a GPU when there is one; on a CPU
    ONNX Runtime if installed (on the course machine it restored a folder of test pages of varying sizes
    faster than Paddle Inference + oneDNN, which prepares its kernels anew for every image size), else
    Paddle Inference + oneDNN. The other one follows, for a model the first
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
