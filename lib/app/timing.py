"""Seconds per megapixel of each tab: ``python -m lib.app.timing [--side 1000] [tab ...]``.

Each tab's example image enlarged to ``side`` x ``side`` (bicubic), restored once to warm up (on the
example itself) and once timed, through the tab's function (lib.app.restore), the model of
``$COURSE_PROFILE``. What README's table and lib.app.images.SECONDS_PER_MEGAPIXEL record."""

from __future__ import annotations

import argparse
import time

import cv2

from .examples import OUT_DIR
from .images import load_image
from .restore import RESTORE, TABS


def time_tab(track: str, side: int = 1000) -> dict:
    image = load_image(OUT_DIR / f"{track}.png").rgb
    big = cv2.resize(image, (side, side), interpolation=cv2.INTER_CUBIC)
    RESTORE[track](image)  # loads the model, warms the runtime
    start = time.perf_counter()
    result = RESTORE[track](big)
    total = time.perf_counter() - start
    return {
        "tab": track,
        "pixels": side * side,
        "seconds": result.seconds,
        "seconds_per_megapixel": result.seconds / (side * side / 1e6),
        "with_drawing": total,
        "model_input": result.model_input,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.app.timing", description=__doc__.splitlines()[0])
    parser.add_argument("tabs", nargs="*", default=list(TABS), help=f"default: all ({', '.join(TABS)})")
    parser.add_argument("--side", type=int, default=1000)
    args = parser.parse_args(argv)
    unknown = sorted(set(args.tabs) - set(TABS))
    if unknown:
        parser.error(f"unknown tab(s) {unknown}; the tabs: {', '.join(TABS)}")
    for track in args.tabs:
        record = time_tab(track, args.side)
        shown = {k: round(v, 2) if isinstance(v, float) else v for k, v in record.items()}
        print(shown, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
