"""Time of the training-data preparation (lib.data.prepare) at full size, extrapolated to the
competition's 1000 training pairs.

Generates ``--pages`` full-size sample pairs (test long side 2048 px, training pages 2x: 4096 px)
into ``--source`` (skipped when already there), then runs the full profile's preparation
(downsample x2, 1024 windows, stride 512, threshold 10) with 1 and with 2 worker processes and
reports seconds per training image. Extrapolation to the competition: 900 training pages cropped
plus 100 validation pages downsampled whole; a validation page is counted at the measured cost
of a training page (an upper bound: it writes one image pair instead of the crops). Writes
lab/bench/results/deblur_prepare.json.

    .venv/bin/python lab/bench/bench_deblur_prepare.py               # about 3 minutes on 2 cores
    .venv/bin/python lab/bench/bench_deblur_prepare.py --pages 6     # quicker, noisier
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import json
import os
import resource
import shutil
import time
from pathlib import Path

from harness import bench_name, run  # lab/bench/harness.py, beside this script

from lib.data.prepare import prepare_patches
from lib.tracks.deblur.data import ensure_dataset

RESULTS = Path(__file__).resolve().parent / "results" / "deblur_prepare.json"


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (the worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=12, help="full-size training pairs to generate and time")
    parser.add_argument("--source", type=Path, default=Path("/tmp/course-bench-prepare/src"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/course-bench-prepare/out"))
    parser.add_argument("--target", type=int, default=1000, help="training pairs to extrapolate to")
    args = parser.parse_args(argv)
    report = run(bench_name(__file__), lambda: measure_prepare(args), RESULTS, argv)
    print(json.dumps(report, indent=1))
    shutil.rmtree(args.out, ignore_errors=True)
    return report


def measure_prepare(args) -> dict:
    """The figures: time, CPU and disk per page of the full preparation, inline and with 2 workers."""
    start = time.perf_counter()
    ensure_dataset("full", args.source, options={"n_train": args.pages, "n_test": 2})
    generate_s = time.perf_counter() - start

    runs = {}
    for workers in (1, 2):
        # val_count 0: every generated page is a training page, timed the same way
        cpu_before = cpu_seconds()
        result = prepare_patches(
            "full", force=True, source=args.source, out=args.out, track="deblur", val_count=0, workers=workers
        )
        cpu = cpu_seconds() - cpu_before
        pages = result.stats["train_images"]
        per_image = result.seconds / pages
        runs[workers] = {
            "seconds": round(result.seconds, 2),
            "seconds_per_image": round(per_image, 3),
            "cpu_seconds_per_image": round(cpu / pages, 3),
            "extrapolated_minutes": round(per_image * args.target / 60, 1),
        }
        print(
            f"workers={workers}: {result.seconds:.1f} s for {pages} pages ({per_image:.2f} s/page, "
            f"CPU {cpu / pages:.2f} s/page) -> {args.target} pairs in ~{runs[workers]['extrapolated_minutes']} min"
        )
    stats = result.stats
    disk = folder_bytes(args.out / "train")
    return {
        "pages": args.pages,
        "page_size": result.size_summary.get("train", {}),
        "factor": result.factor,
        "options": {k: v for k, v in result.options.items() if k != "workers"},
        "generate_seconds": round(generate_s, 1),
        "runs": runs,
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "patches_per_page": round(stats["patches"] / stats["train_images"], 2),
        "kept_pct": round(stats["kept_pct"], 1),
        "gradient_median": round(stats["gradient_median"], 2),
        "disk_mb_per_page": round(disk / stats["train_images"] / 2**20, 2),
        "extrapolated_disk_gb": round(disk / stats["train_images"] * args.target / 2**30, 2),
    }


if __name__ == "__main__":
    main()
