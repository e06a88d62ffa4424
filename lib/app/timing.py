"""Seconds per megapixel of each tab: ``python -m lib.app.timing [--side 1000] [--record] [tab ...]``.

Each tab's example image enlarged to ``side`` x ``side`` (bicubic) goes through the tab's own work
(:class:`lib.app.jobs.Job`: the exported model through its deployment, the classical method beside it, OCR on a
tab of documents), once on the example itself to load the model (exporting it on first use) and warm the runtime,
then twice on the enlarged image, the faster of the two kept. ``--record`` writes the measured seconds per
megapixel (two significant digits) of the model, the classical method and one OCR read into ``app/timing.json``,
the record each tab's size limit and its estimates are computed from, and README's table shows.

``lab/bench/bench_app_speed.py`` measures the same beside the submission's ``predict.py`` on the same images and
records both (``lab/bench/results/app_speed.json``); its ``--record`` writes this record from its app numbers.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import cv2

from ..tracks import get_deployment
from ..tracks.deployment import OCR_READS, TIMING_RECORD
from .images import load_image
from .jobs import Job
from .restore import tab_names


def run_job(track: str, image, ocr: bool, options: dict | None = None):
    """The tab's work on ``image`` as its handler runs it (in this thread); its Outcome, or its error raised."""
    job = Job(get_deployment(track), image, dict(options or {}), ocr)
    job.run()
    if job.error is not None:
        raise job.error
    return job.outcome


def time_tab(track: str, side: int = 1000, ocr: bool | None = None, repeats: int = 2) -> dict:
    """The tab's seconds on its example enlarged to ``side`` x ``side``: the model, the classical method and (a tab
    of documents, unless ``ocr`` is False) one OCR read, each per megapixel; the fastest of ``repeats``."""
    deployment = get_deployment(track)
    ocr = deployment.ocr if ocr is None else (ocr and deployment.ocr)
    image = load_image(deployment.example_path).rgb
    big = cv2.resize(image, (side, side), interpolation=cv2.INTER_CUBIC)
    run_job(track, image, False)  # loads (exports on first use) the model, warms the runtime
    runs = [run_job(track, big, ocr) for _ in range(max(repeats, 1))]
    best = min(runs, key=lambda outcome: outcome.seconds["restore"])
    megapixels = side * side / 1e6
    record = {
        "tab": track,
        "pixels": side * side,
        "seconds": best.seconds["restore"],
        "seconds_per_megapixel": best.seconds["restore"] / megapixels,
        "classical_seconds_per_megapixel": min(o.seconds["classical"] for o in runs) / megapixels,
        "with_views": min(o.seconds["total"] - o.seconds["ocr"] for o in runs),
        "model_input": best.result.model_input,
        "runtime": best.result.runtime,
    }
    if ocr:
        reads = len(best.texts) or OCR_READS
        record["ocr_seconds_per_megapixel"] = min(o.seconds["ocr"] for o in runs) / reads / megapixels
    return record


def record_timing(records: list[dict], side: int, path=TIMING_RECORD, how: str | None = None) -> Path:
    """Write each record's seconds per megapixel (two significant digits: the model, the classical method, one OCR
    read) into the record at ``path``, keeping the other tabs' entries, with how they were measured."""
    path = Path(path)
    recorded = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    recorded.setdefault("seconds_per_megapixel", {})
    recorded.setdefault("classical_seconds_per_megapixel", {})
    ocr = []
    for record in records:
        recorded["seconds_per_megapixel"][record["tab"]] = float(f"{record['seconds_per_megapixel']:.2g}")
        if "classical_seconds_per_megapixel" in record:
            classical = float(f"{record['classical_seconds_per_megapixel']:.2g}")
            recorded["classical_seconds_per_megapixel"][record["tab"]] = classical
        if "ocr_seconds_per_megapixel" in record:
            ocr.append(record["ocr_seconds_per_megapixel"])
    if ocr:
        recorded["ocr_seconds_per_megapixel"] = float(f"{max(ocr):.2g}")
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    recorded["how"] = how or (
        f"OMP_NUM_THREADS={threads} python -m lib.app.timing --record --side {side} "
        f"({', '.join(r['tab'] for r in records)}; the other tabs as recorded before): each tab's example enlarged "
        f"to {side} x {side} (bicubic), restored through the tab's work (the exported model, the classical method, "
        "OCR: one read per megapixel, the slowest tab's) after a warm-up, the faster of two runs"
    )
    ordered = {key: recorded[key] for key in ("how", "seconds_per_megapixel") if key in recorded}
    path.write_text(json.dumps({**ordered, **recorded}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv=None) -> int:
    tabs = tab_names()
    parser = argparse.ArgumentParser(prog="python -m lib.app.timing", description=__doc__.splitlines()[0])
    parser.add_argument("tabs", nargs="*", default=tabs, help=f"default: all ({', '.join(tabs)})")
    parser.add_argument("--side", type=int, default=1000)
    parser.add_argument("--record", action="store_true", help=f"write the results into {TIMING_RECORD.name}")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.tabs) - set(tabs))
    if unknown:
        parser.error(f"unknown tab(s) {unknown}; the tabs: {', '.join(tabs)}")
    records = []
    for track in args.tabs:
        record = time_tab(track, args.side)
        records.append(record)
        shown = {k: round(v, 2) if isinstance(v, float) else v for k, v in record.items()}
        print(shown, flush=True)
    if args.record:
        print(f"recorded: {record_timing(records, args.side)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
