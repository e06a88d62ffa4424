"""The competition submission zip: ``predict.py``, the package ``infer/`` it imports (lib/infer's
standalone modules, copied byte for byte), the exported model and ``model_meta.json``."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import paddle
import paddle.nn as nn

from ..infer import (
    DEFAULT_OVERLAP,
    DEFAULT_TILE_PIXELS,
    MODEL_META,
    STANDALONE,
    TILINGS,
    submission_tiling,
    tlc_model,
)
from ..paths import REPO_ROOT
from .formats import model_files
from .model import export_model
from .parity import check_shape, parity_fields

PREDICT_TEMPLATE = Path(__file__).resolve().parent.parent / "submission" / "predict.py"
INFER_DIR = Path(__file__).resolve().parent.parent / "infer"
INFER_PACKAGE = "infer"  # the folder of lib/infer's standalone modules in a zip: predict.py imports this name
INFER_INIT = (
    '"""lib/infer\'s standalone modules (NumPy, OpenCV and Paddle Inference or ONNX Runtime only), '
    'copied from the course repository."""\n'
)
DIST_DIR = REPO_ROOT / "dist"


def carry_infer(folder: Path) -> list[str]:
    """Copy lib/infer's standalone modules (``lib.infer.STANDALONE``) byte for byte into
    ``folder/infer/``, beside an ``__init__.py`` of one docstring (lib/infer's own imports the
    modules that need ``lib``). Returns their paths inside the zip."""
    package = Path(folder) / INFER_PACKAGE
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(INFER_INIT, encoding="utf-8")
    for name in STANDALONE:
        shutil.copyfile(INFER_DIR / f"{name}.py", package / f"{name}.py")
    return [f"{INFER_PACKAGE}/{name}.py" for name in ("__init__", *STANDALONE)]


def write_zip(out_zip: Path, folder: Path, names: list[str]) -> None:
    """``out_zip`` holding ``folder/<name>`` for each name (paths inside the zip as given), written
    to a temporary name and renamed: a reader never sees half a submission."""
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    tmp_zip = out_zip.with_name(out_zip.name + ".tmp")
    with zipfile.ZipFile(tmp_zip, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.write(folder / name, arcname=name)
    os.replace(tmp_zip, out_zip)


def build_submission(
    model: nn.Layer,
    out_zip=None,
    *,
    tlc: bool = False,
    tlc_factor: float | None = None,
    tlc_train_size: int | None = None,
    profile: str | None = None,
    tile_pixels: int = DEFAULT_TILE_PIXELS,
    overlap: int = DEFAULT_OVERLAP,
    onnx: bool = True,
    tolerance: float | None = None,
    tiling: str | None = None,
) -> dict:
    """Write ``out_zip`` (default dist/submission.zip): predict.py and the package it imports
    (:func:`carry_infer`), the exported model (with TLC if ``tlc``: factor and training size as
    given, else from the ``tlc`` section of ``profile``'s config, see lib.infer.tlc_model) and
    model_meta.json, whose ``tiling`` predict.py follows
    (``tiling`` as given, else the ``submission`` section of the model's track for ``profile``,
    see lib.infer.submission_tiling: the deblur ``full`` profile cuts the winner's 4 quadrants).
    Raises if an exported format's relative error (lib.export.parity) on an odd-sized input exceeds
    ``tolerance`` (default ``RELATIVE_TOLERANCE``). Returns the metadata."""
    out_zip = Path(out_zip) if out_zip else DIST_DIR / "submission.zip"
    tiling = tiling or submission_tiling(profile, getattr(model, "track", None))
    if tiling not in TILINGS:
        raise ValueError(f"unknown tiling {tiling!r}; choose one of {', '.join(TILINGS)}")
    model.eval()
    deployed = tlc_model(model, tlc_factor, tlc_train_size, profile=profile) if tlc else model
    with tempfile.TemporaryDirectory(prefix="submission_") as tmp:
        folder = Path(tmp)
        settings = getattr(deployed, "tlc", None) or {}
        info = export_model(
            deployed,
            folder,
            onnx=onnx,
            check=check_shape(settings.get("train_size"), settings.get("factor")),
            legacy=True,
            tolerance=tolerance,
        )
        source = getattr(model, "checkpoint_path", None)
        meta = {
            "format": 1,
            "input": "float32 N x 3 x H x W, RGB in [0, 1]; any H, W (padded inside to the multiple)",
            "multiple": int(getattr(model, "padder_size", 16)),
            "tiling": tiling,
            "tile_pixels": int(tile_pixels),
            "overlap": int(overlap),
            "tlc": getattr(deployed, "tlc", None),
            "source_checkpoint": str(Path(source).resolve().relative_to(REPO_ROOT))
            if source and Path(source).resolve().is_relative_to(REPO_ROOT)
            else (str(source) if source else None),
            **parity_fields(info),
            "check_shape": info["check_shape"],
            "paddle_version": paddle.__version__,
            "formats": info["formats"],
        }
        (folder / MODEL_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        shutil.copyfile(PREDICT_TEMPLATE, folder / "predict.py")
        names = ["predict.py", *carry_infer(folder), MODEL_META] + model_files(info["formats"])
        write_zip(out_zip, folder, names)
    meta["zip"] = str(out_zip)
    meta["files"] = names
    meta["zip_bytes"] = out_zip.stat().st_size
    meta["export_seconds"] = info["export_seconds"]
    return meta
