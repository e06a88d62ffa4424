"""Which deployment files an exported folder holds (``model_meta.json``'s ``formats``)."""

from __future__ import annotations

from pathlib import Path

from .paddle_inference import LEGACY_PREFIX


def formats_of(folder, legacy_note: str | None = None) -> dict:
    """Which deployment files ``folder`` holds, for ``model_meta.json``: {format: [file names] or
    None}, plus why there is no pre-PIR pair when ``legacy_note`` says."""
    folder = Path(folder)
    pairs = {
        "paddle": ["model.json", "model.pdiparams"],
        "paddle_legacy": [f"{LEGACY_PREFIX}.pdmodel", f"{LEGACY_PREFIX}.pdiparams"],
        "onnx": ["model.onnx"],
    }
    formats = {name: files if all((folder / f).is_file() for f in files) else None for name, files in pairs.items()}
    if formats["paddle_legacy"] is None and legacy_note:
        formats["paddle_legacy_note"] = legacy_note
    return formats


def model_files(formats: dict) -> list[str]:
    """The file names of :func:`formats_of`'s formats, in a stable order."""
    return [f for name in ("paddle", "paddle_legacy", "onnx") for f in (formats.get(name) or [])]
