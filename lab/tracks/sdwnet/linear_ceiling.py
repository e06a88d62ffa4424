"""The best linear filter on notebook 06's pages: how much of a learner's gain a linear filter already gives.

A ``size`` x ``size`` filter and a bias per colour channel, fitted by least squares (``numpy.linalg.lstsq``) to map
the blurred training pages to the sharp ones (the prepared pages, downsampled as the patches are:
``lib.data.prepare.training_pages``), applied with OpenCV's ``filter2D`` and scored on test_A beside the blurred input
and the unsharp mask tuned on the validation pages, page by page with the paired 95 % interval, as
:mod:`lab.tracks.sdwnet.learner` scores the learner's runs. If the learner's model is no better than this filter, its
minutes bought what a linear deconvolution gives, and what the unsharp mask nearly gives.

    .venv/bin/python -m lab.tracks.sdwnet.linear_ceiling     # writes lab/tracks/sdwnet/linear_ceiling.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

RESULTS = Path(__file__).resolve().parent / "linear_ceiling.json"


def window_rows(channel: np.ndarray, size: int, stride: int = 1) -> np.ndarray:
    """Every ``stride``-th pixel's ``size`` x ``size`` neighbourhood of a float H x W channel, as rows (edges
    mirrored as OpenCV's default border, ``BORDER_REFLECT_101`` = numpy's ``reflect``)."""
    r = size // 2
    padded = np.pad(channel, r, mode="reflect")
    return sliding_window_view(padded, (size, size))[::stride, ::stride].reshape(-1, size * size)


def fit_filter(pairs, size: int = 13, stride: int = 3) -> np.ndarray:
    """Least-squares ``size`` x ``size`` correlation kernels and biases, one per channel, from (blurred, sharp) uint8
    pairs (every ``stride``-th pixel): an array 3 x (size * size + 1), the bias last."""
    weights = []
    for c in range(3):
        x = np.concatenate([window_rows(b[..., c] / 255.0, size, stride) for b, _ in pairs])
        y = np.concatenate([s[..., c][::stride, ::stride].ravel() / 255.0 for _, s in pairs])
        w, *_ = np.linalg.lstsq(np.hstack([x, np.ones((len(x), 1))]), y, rcond=None)
        weights.append(w)
    return np.stack(weights)


def apply_filter(image: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The fitted filter on a uint8 RGB image (``cv2.filter2D`` per channel plus the bias), uint8 out."""
    from lib.metrics import to_uint8

    size = int(round((weights.shape[1] - 1) ** 0.5))
    x = image.astype(np.float64) / 255.0
    out = [cv2.filter2D(x[..., c], -1, weights[c, :-1].reshape(size, size)) + weights[c, -1] for c in range(3)]
    return to_uint8(np.stack(out, axis=2))  # rounds and clips


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lab.tracks.sdwnet.linear_ceiling", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--profile", default="demo")
    parser.add_argument("--size", type=int, default=13, help="the filter's side in pixels")
    parser.add_argument("--stride", type=int, default=3, help="fit on every stride-th pixel of the training pages")
    args = parser.parse_args(argv)

    from lab.tracks.sdwnet.learner import CLASSICAL, compare, paired
    from lib.data.pairs import list_pairs, read_image
    from lib.data.prepare import training_pages
    from lib.evaluate import load_pairs
    from lib.tracks import get_track

    track = get_track("sdwnet")
    prepared = track.prepare(args.profile)
    train = [(read_image(b), read_image(g)) for b, g in training_pages(prepared)]
    start = time.perf_counter()
    weights = fit_filter(train, args.size, args.stride)
    fit_seconds = time.perf_counter() - start
    test = load_pairs(track.data_root(args.profile) / "test_A")
    val = load_pairs(list_pairs(prepared.val_dir))
    name = f"linear {args.size}x{args.size}"
    result = compare({name: lambda image: apply_filter(image, weights)}, test, val)
    row = {
        "profile": args.profile,
        "filter": {"size": args.size, "stride": args.stride, "training_pages": len(train), "fit_seconds": fit_seconds},
        "test_a_pages": len(test),
        "classical_params": result["params"],
        "mean": result["mean"],
        "vs_input": paired(result["pages"][name], result["pages"]["blurred input"]),
        "vs_classical": paired(result["pages"][name], result["pages"][CLASSICAL]),
        "classical_vs_input": paired(result["pages"][CLASSICAL], result["pages"]["blurred input"]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    RESULTS.write_text(json.dumps(row, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: row[k] for k in ("vs_input", "vs_classical", "classical_vs_input")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
