"""Check a submission as the competition would meet it: the modules its ``predict.py`` needs,
awkward input files it must survive, and a run in a fresh process without the course's settings."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

from ..infer import STANDALONE
from .package import INFER_DIR, INFER_PACKAGE, PREDICT_TEMPLATE


def _top_level_imports(path) -> set:
    import ast

    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    names = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    names |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
    }
    return names - {"__future__"}


def predict_imports(path=PREDICT_TEMPLATE) -> list[str]:
    """Top-level modules a predict.py imports (read from the sources, not by running them), the
    package ``infer/`` the zip carries replaced by what its modules import (lib/infer's standalone
    modules: they import one another relatively, so only the environment's modules remain)."""
    names = _top_level_imports(path)
    if INFER_PACKAGE in names:
        names.discard(INFER_PACKAGE)
        for module in STANDALONE:
            names |= _top_level_imports(INFER_DIR / f"{module}.py")
    return sorted(names)


def write_awkward_inputs(folder, rgb: np.ndarray) -> dict:
    """Fill ``folder`` with the files a predict.py must survive, made from an RGB uint8 image:
    grayscale, RGBA, 16-bit, 1 x 1, odd-sized JPEG and names with spaces and Chinese characters
    (restorable), plus a text file, a corrupt PNG and an empty file (to be reported). Returns
    {"restorable": [...], "bad": [...]} file names."""
    import cv2

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    images = {
        "灰度 扫描件.png": cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY),
        "rgba.png": np.dstack([bgr, np.full(rgb.shape[:2], 200, np.uint8)]),
        "deep 16-bit.png": bgr.astype(np.uint16) * 257,
        "one pixel.png": bgr[:1, :1],
        "odd size.jpg": bgr[:, :-1] if rgb.shape[1] % 2 == 0 else bgr,
    }
    for name, pixels in images.items():
        ok, data = cv2.imencode(Path(name).suffix, pixels)
        if not ok:
            raise RuntimeError(f"OpenCV could not encode {name}")
        data.tofile(str(folder / name))
    (folder / "readme.txt").write_text("not an image", encoding="utf-8")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (folder / "empty.jpg").write_bytes(b"")
    return {"restorable": sorted(images), "bad": ["broken.png", "empty.jpg", "readme.txt"]}


def run_submission(folder, src_dir, save_dir, *args, timeout: float = 3600):
    """Run ``python predict.py src_dir save_dir [args]`` as the competition would: a fresh
    process, working directory ``folder`` (the unzipped submission), no PYTHONPATH and no
    course variables. Returns (CompletedProcess, wall seconds)."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COURSE_PROFILE", "COURSE_DATA")}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "predict.py", str(src_dir), str(save_dir), *map(str, args)],
        cwd=str(folder),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return result, time.perf_counter() - start
