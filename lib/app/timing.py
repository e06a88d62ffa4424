"""Seconds per megapixel of each tab: ``python -m lib.app.timing [--side 1000] [--record] [tab ...]``.

Each tab's example image enlarged to ``side`` x ``side`` (bicubic), restored once to warm up (on the
example itself) and once timed, through the tab's deployment (lib.app.restore), the model of
``$COURSE_PROFILE``. ``--record`` writes the measured seconds per megapixel (two significant digits) into
``app/timing.json``, the record each deployment's size limit is computed from, and README's table shows."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import cv2

from ..tracks import get_deployment
from ..tracks.deployment import TIMING_RECORD
from .images import load_image
from .restore import restore, tab_names


def time_tab(track: str, side: int = 1000) -> dict:
    image = load_image(get_deployment(track).example_path).rgb
    big = cv2.resize(image, (side, side), interpolation=cv2.INTER_CUBIC)
    restore(track, image)  # loads the model, warms the runtime
    start = time.perf_counter()
    result = restore(track, big)
    total = time.perf_counter() - start
    return {
        "tab": track,
        "pixels": side * side,
        "seconds": result.seconds,
        "seconds_per_megapixel": result.seconds / (side * side / 1e6),
        "with_drawing": total,
        "model_input": result.model_input,
    }


def record_timing(records: list[dict], side: int, path=TIMING_RECORD) -> Path:
    """Write each record's seconds per megapixel (two significant digits) into the record at ``path``, keeping
    the other tabs' entries, with how they were measured."""
    path = Path(path)
    recorded = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"seconds_per_megapixel": {}}
    for record in records:
        recorded["seconds_per_megapixel"][record["tab"]] = float(f"{record['seconds_per_megapixel']:.2g}")
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    recorded["how"] = (
        f"OMP_NUM_THREADS={threads} python -m lib.app.timing --record --side {side} "
        f"({', '.join(r['tab'] for r in records)}; the other tabs as recorded before): each tab's example enlarged "
        f"to {side} x {side} (bicubic), restored once to warm up and once timed through the tab's deployment"
    )
    path.write_text(json.dumps(recorded, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
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
