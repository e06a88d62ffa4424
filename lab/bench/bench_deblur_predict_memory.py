"""Peak memory and time of the submission's predict.py on large images, per backend.

Builds a submission of the demo model (``load_model("deblur")``, with TLC) in a temporary folder,
writes one synthetic page-like image per size (smooth random blobs, PNG), and runs
``python predict.py`` on each in a fresh process, reading the process's peak resident memory
(``ru_maxrss`` from ``os.wait4``). Images larger than the tile budget (1024 x 1024 pixels) are
restored in overlapping tiles, so memory should stop growing with the image size beyond that.
Results go to lab/bench/results/deblur_predict_memory.json.

    .venv/bin/python lab/bench/bench_deblur_predict_memory.py                       # ~4 minutes on 2 cores
    .venv/bin/python lab/bench/bench_deblur_predict_memory.py --sizes 1024x1024     # quick look
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import cv2
import numpy as np
from harness import bench_name, run  # lab/bench/harness.py, beside this script

RESULTS = Path(__file__).resolve().parent / "results" / "deblur_predict_memory.json"


def run_predict(folder: Path, src: Path, dst: Path, backend: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "predict.py",
            str(src),
            str(dst),
            "--quiet",
            "--backend",
            backend,
            "--timings",
            str(dst) + ".json",
        ],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    out, err = proc.communicate()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"predict.py failed ({backend}, {src}): {out}{err}")
    timings = json.loads(Path(str(dst) + ".json").read_text(encoding="utf-8"))
    return {
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "seconds": timings["timings"][0]["seconds"],
        "load_seconds": timings["load_seconds"],
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", nargs="+", default=["512x512", "1024x1024", "4000x3000"], help="WIDTHxHEIGHT of the test images"
    )
    parser.add_argument("--backends", nargs="+", default=["onnx", "paddle"])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(bench_name(__file__), lambda: measure_sizes(args), args.out, argv)
    print(f"written {args.out}")
    return result


def measure_sizes(args) -> dict:
    """The figures: predict.py's peak memory and time per image size and backend."""
    from lib.export import build_submission
    from lib.tracks import load_model

    model = load_model("deblur")
    work = Path(tempfile.mkdtemp(prefix="bench_memory_"))
    meta = build_submission(model, work / "submission.zip", tlc=True)
    with zipfile.ZipFile(work / "submission.zip") as archive:
        archive.extractall(work / "sub")
    rng = np.random.default_rng(0)
    rows = []
    for size in args.sizes:
        width, height = (int(v) for v in size.lower().split("x"))
        src = work / f"src_{size}"
        src.mkdir()
        small = rng.integers(0, 256, (max(height // 8, 1), max(width // 8, 1), 3), dtype=np.uint8)
        cv2.imwrite(str(src / "page.png"), cv2.resize(small, (width, height)))
        for backend in args.backends:
            row = {
                "size": size,
                "megapixels": width * height / 1e6,
                "backend": backend,
                **run_predict(work / "sub", src, work / f"out_{size}_{backend}", backend),
            }
            rows.append(row)
            print(
                f"{size:>10} {backend:<7} peak RSS {row['peak_rss_mb']:6.0f} MB, {row['seconds']:6.1f} s "
                f"({row['seconds'] / row['megapixels']:.2f} s/MP)",
                flush=True,
            )
    result = {
        "model": str(meta["source_checkpoint"]),
        "tlc": meta["tlc"],
        "tile_pixels": meta["tile_pixels"],
        "overlap": meta["overlap"],
        "rows": rows,
        "load_average_after": os.getloadavg(),
    }
    shutil.rmtree(work, ignore_errors=True)
    return result


if __name__ == "__main__":
    main()
