"""The 3 x 3 depthwise convolution of NAFNet's blocks on this CPU, three equivalent formulations side
by side (forward + backward, interleaved rounds, median): Paddle's grouped conv2d in NCHW, the same
in NHWC, and nine shifted multiply-adds over padded views (a candidate of the training-speed work).

    nice .venv/bin/python lab/bench/bench_depthwise.py                      # ~1 minute
    nice .venv/bin/python lab/bench/bench_depthwise.py --shape 4 64 96 96

Each formulation's output and gradients are checked equal to the conv2d's first (float32 tolerance).
Results: lab/bench/results/depthwise.json.
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from harness import bench_name, run  # lab/bench/harness.py, beside this script

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def formulations(channels: int):
    import paddle.nn.functional as F

    def conv_nchw(x, w, b):
        return F.conv2d(x, w, b, padding=1, groups=channels)

    def conv_nhwc(x, w, b):  # the layout change is not timed inside: x arrives NHWC
        return F.conv2d(x, w, b, padding=1, groups=channels, data_format="NHWC")

    def shifted(x, w, b):
        height, width = x.shape[2], x.shape[3]
        padded = F.pad(x, [1, 1, 1, 1])
        out = b.reshape([1, channels, 1, 1])
        for i in range(3):
            for j in range(3):
                out = out + padded[:, :, i : i + height, j : j + width] * w[:, 0, i, j].reshape([1, channels, 1, 1])
        return out

    return {
        "conv2d NCHW": (conv_nchw, False),
        "conv2d NHWC": (conv_nhwc, True),
        "nine shifted multiply-adds": (shifted, False),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=4, default=[8, 32, 64, 64], metavar=("N", "C", "H", "W"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    run(bench_name(__file__), lambda: measure_forms(args), ROOT / "lab" / "bench" / "results" / "depthwise.json", argv)
    return 0


def measure_forms(args) -> dict:
    """The figures: forward + backward time of each formulation, checked equal first."""
    import numpy as np
    import paddle

    paddle.set_device("cpu")
    n, c, h, w = args.shape
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((n, c, h, w)).astype("float32")
    w0 = rng.standard_normal((c, 1, 3, 3)).astype("float32")
    grad = rng.standard_normal((n, c, h, w)).astype("float32")
    forms = formulations(c)
    reference, times = None, {name: [] for name in forms}

    def timed_pass(fn, nhwc):
        to = (lambda a: a.transpose(0, 2, 3, 1)) if nhwc else (lambda a: a)
        x = paddle.to_tensor(to(x0), stop_gradient=False)
        weight = paddle.to_tensor(w0, stop_gradient=False)
        bias = paddle.zeros([c])
        bias.stop_gradient = False
        g = paddle.to_tensor(to(grad))
        start = time.perf_counter()
        y = fn(x, weight, bias)
        (y * g).sum().backward()
        seconds = time.perf_counter() - start
        back = (lambda a: a.transpose(0, 3, 1, 2)) if nhwc else (lambda a: a)
        return seconds, back(y.numpy()), back(x.grad.numpy()), weight.grad.numpy()

    for name, (fn, nhwc) in forms.items():  # check equality, and warm up
        _, y, gx, gw = timed_pass(fn, nhwc)
        if reference is None:
            reference = (y, gx, gw)
        for got, want, what in zip((y, gx, gw), reference, ("output", "input gradient", "weight gradient")):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3, err_msg=f"{name}: {what}")
    for _ in range(args.rounds):  # interleaved, so every formulation sees the same load
        for name, (fn, nhwc) in forms.items():
            times[name].append(timed_pass(fn, nhwc)[0])
    rows = [
        {"formulation": name, "ms_median": 1000 * statistics.median(t), "ms_all": [round(1000 * s, 1) for s in t]}
        for name, t in times.items()
    ]
    base = rows[0]["ms_median"]
    for row in rows:
        row["relative_to_nchw"] = row["ms_median"] / base
        print(f"{row['formulation']:<28} {row['ms_median']:8.1f} ms  x{row['relative_to_nchw']:.2f}")
    return {"shape": args.shape, "load_average_at_end": os.getloadavg(), "rows": rows}


if __name__ == "__main__":
    sys.exit(main())
