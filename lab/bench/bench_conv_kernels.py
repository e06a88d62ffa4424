"""The convolutions' other kernels on this CPU: the 1 x 1 convolution as a matrix product, and Paddle's oneDNN
kernels in dygraph (``FLAGS_use_mkldnn``) for a whole demo training step (candidates of the training-speed work).

    .venv/bin/python lab/bench/bench_conv_kernels.py [--rounds 8] [--steps 16]     # ~10 minutes

1. The pointwise (1 x 1) convolution, half of NAFNet's dense convolutions, forward + backward at a demo stage-0
   shape: ``F.conv2d`` against ``paddle.matmul`` of the (C_out, C_in) weight with the (N, C_in, H*W) view, and against
   the transposed product ((N, H*W, C_in) x (C_in, C_out), then back to NCHW). Output and gradients are checked equal
   to the conv2d's first.
2. A demo training step of the deblur NAFNet (``bench_channel_ops.training_step``: forward, backward, AdamW) at each
   demo stage's batch x patch with Paddle's default CPU kernels and with ``FLAGS_use_mkldnn`` on, interleaved
   (each round starting with the other), the median; the first step's loss is checked equal first.

3. The same training step with every 1 x 1 convolution of the network (``lib.models.channel_ops.Conv2D`` with a 1 x 1
   kernel, stride 1, no padding, one group) computed as the weight-first product of part 1, against conv2d, per round.

One math thread (``--threads``), as one process of the demo training uses. Results:
lab/bench/results/conv_kernels.json.
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import paddle
import paddle.nn.functional as F
from bench_channel_ops import paired_speedup, speedup_text, training_step
from harness import bench_name, run  # lab/bench/harness.py, beside this script

RESULTS = Path(__file__).resolve().parent / "results" / "conv_kernels.json"
STAGES = (0, 1, 2)


def pointwise_formulations():
    def conv(x, w, b):
        return F.conv2d(x, w, b)

    def matmul_weight_first(x, w, b):  # (C_out, C_in) @ (N, C_in, H*W): broadcast over N
        n, c, h, width = x.shape
        y = paddle.matmul(w.reshape([w.shape[0], c]), x.reshape([n, c, h * width]))
        return (y + b.reshape([1, -1, 1])).reshape([n, -1, h, width])

    def matmul_pixels_first(x, w, b):  # (N, H*W, C_in) @ (C_in, C_out), then back to NCHW
        n, c, h, width = x.shape
        y = paddle.matmul(x.reshape([n, c, h * width]), w.reshape([w.shape[0], c]), transpose_x=True, transpose_y=True)
        return (y + b).transpose([0, 2, 1]).reshape([n, -1, h, width])

    return {"conv2d": conv, "matmul, weight first": matmul_weight_first, "matmul, pixels first": matmul_pixels_first}


def measure_pointwise(shape, out_channels: int, rounds: int) -> list[dict]:
    n, c, h, w = shape
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(shape).astype("float32")
    w0 = rng.standard_normal((out_channels, c, 1, 1)).astype("float32")
    b0 = rng.standard_normal(out_channels).astype("float32")
    grad = paddle.to_tensor(rng.standard_normal((n, out_channels, h, w)).astype("float32"))

    def run(fn):
        x, weight, bias = (paddle.to_tensor(a, stop_gradient=False) for a in (x0, w0, b0))
        start = time.perf_counter()
        y = fn(x, weight, bias)
        (y * grad).sum().backward()
        seconds = time.perf_counter() - start
        return seconds, [t.numpy() for t in (y, x.grad, weight.grad, bias.grad)]

    forms = pointwise_formulations()
    reference = None
    for name, fn in forms.items():  # check equality, and warm up
        got = run(fn)[1]
        reference = reference or got
        for a, b, what in zip(got, reference, ("output", "input gradient", "weight gradient", "bias gradient")):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-2, err_msg=f"{name}: {what}")
    times = {name: [] for name in forms}
    for k in range(rounds):  # interleaved, each round starting one formulation later
        names = list(forms)
        for name in names[k % len(names) :] + names[: k % len(names)]:
            times[name].append(run(forms[name])[0])
    base = statistics.median(times["conv2d"])
    return [
        {
            "formulation": name,
            "ms_median": 1000 * statistics.median(t),
            "relative_to_conv2d": statistics.median(t) / base,
            "ms_all": [round(1000 * s, 1) for s in t],
        }
        for name, t in times.items()
    ]


def measure_onednn(stage: int, steps: int) -> dict:
    flags = {"default kernels": False, "oneDNN (FLAGS_use_mkldnn)": True}
    first_loss = {}
    for name, on in flags.items():  # the same first step (fresh network, same seed) under each kernel set
        paddle.set_flags({"FLAGS_use_mkldnn": on})
        network, shape, step = training_step("deblur", stage)
        first_loss[name] = float(step())
    losses = list(first_loss.values())
    if not np.isclose(losses[0], losses[1], rtol=1e-4):
        raise AssertionError(f"stage {stage}: the first step's loss differs between kernel sets: {first_loss}")
    paddle.set_flags({"FLAGS_use_mkldnn": False})
    network, shape, step = training_step("deblur", stage)
    pixels = shape[0] * shape[2] * shape[3]
    for on in flags.values():  # warm-up
        paddle.set_flags({"FLAGS_use_mkldnn": on})
        step()
    times = {name: [] for name in flags}
    for k in range(steps):
        order = list(flags.items()) if k % 2 == 0 else list(flags.items())[::-1]
        for name, on in order:
            paddle.set_flags({"FLAGS_use_mkldnn": on})
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    paddle.set_flags({"FLAGS_use_mkldnn": False})
    rows = {
        name: {
            "seconds_per_step": statistics.median(t),
            "training_pixels_per_second": pixels / statistics.median(t),
            "seconds_all": [round(s, 4) for s in t],
        }
        for name, t in times.items()
    }
    px = [row["training_pixels_per_second"] for row in rows.values()]
    default, onednn = times.values()
    return {
        "network": network,
        "batch": list(shape),
        "first_step_loss": first_loss,
        "kernels": rows,
        "onednn_vs_default": px[1] / px[0],
        "onednn_vs_default_per_round": paired_speedup(default, onednn),
    }


@contextlib.contextmanager
def pointwise_as_matmul(on: bool = True):
    """Within the block, every 1 x 1 ``channel_ops.Conv2D`` (stride 1, no padding, one group) multiplies its
    (C_out, C_in) weight with the input's (N, C_in, H*W) view instead of calling conv2d (the bench's switch only)."""
    from lib.models import channel_ops

    plain = channel_ops.Conv2D.forward

    def forward(self, x):
        if not (
            self._kernel_size == [1, 1]
            and self._stride == [1, 1]
            and self._groups == 1
            and self._padding in (0, [0, 0])
            and self._padding_mode == "zeros"
        ):
            return plain(self, x)
        n, c, h, w = x.shape
        y = paddle.matmul(self.weight.reshape([self.weight.shape[0], c]), x.reshape([n, c, h * w]))
        if self.bias is not None:
            y = y + self.bias.reshape([-1, 1])
        return y.reshape([n, -1, h, w])

    channel_ops.Conv2D.forward = forward if on else plain
    try:
        yield
    finally:
        channel_ops.Conv2D.forward = plain


def measure_pointwise_in_step(stage: int, steps: int) -> dict:
    network, shape, step = training_step("deblur", stage)
    pixels = shape[0] * shape[2] * shape[3]
    with pointwise_as_matmul():  # the same first loss both ways (a fresh network each, same seed)
        matmul_loss = float(training_step("deblur", stage)[2]())
    conv_loss = float(training_step("deblur", stage)[2]())
    if not np.isclose(matmul_loss, conv_loss, rtol=1e-5):
        raise AssertionError(f"stage {stage}: 1 x 1 as matmul changes the first loss: {matmul_loss} vs {conv_loss}")
    for on in (False, True):  # warm-up
        with pointwise_as_matmul(on):
            step()
    times = {False: [], True: []}
    for k in range(steps):
        for on in (False, True) if k % 2 == 0 else (True, False):
            with pointwise_as_matmul(on):
                start = time.perf_counter()
                step()
                times[on].append(time.perf_counter() - start)
    return {
        "batch": list(shape),
        "first_step_loss": {"conv2d": conv_loss, "matmul": matmul_loss},
        "conv2d_pixels_per_second": pixels / statistics.median(times[False]),
        "matmul_pixels_per_second": pixels / statistics.median(times[True]),
        "matmul_vs_conv2d": paired_speedup(times[False], times[True]),
        "seconds_all": {"conv2d": [round(t, 4) for t in times[False]], "matmul": [round(t, 4) for t in times[True]]},
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8, help="interleaved rounds of the pointwise formulations")
    parser.add_argument("--steps", type=int, default=16, help="interleaved training steps per variant and stage")
    parser.add_argument("--threads", type=int, default=1, help="paddle.base.core.set_num_threads (CPU math threads)")
    parser.add_argument(
        "--shape",
        type=int,
        nargs=4,
        default=[16, 16, 64, 64],
        metavar=("N", "C", "H", "W"),
        help="the pointwise conv's input: the demo NAFNet's first level at stage 0 (width 16)",
    )
    parser.add_argument("--out-channels", type=int, default=32, help="NAFBlock's first 1 x 1 conv doubles the width")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    paddle.set_device("cpu")
    paddle.base.core.set_num_threads(args.threads)
    return run(bench_name(__file__), lambda: measure_all(args), args.out, argv)


def measure_all(args) -> dict:
    """The figures: the pointwise formulations, oneDNN per stage, the 1 x 1 as matmul inside a step."""
    result = {
        "threads": args.threads,
        "load_average_at_start": list(os.getloadavg()),
    }
    result["pointwise"] = {
        "shape": args.shape,
        "out_channels": args.out_channels,
        "rows": measure_pointwise(tuple(args.shape), args.out_channels, args.rounds),
    }
    for row in result["pointwise"]["rows"]:
        print(
            f"1x1 {row['formulation']:<22} {row['ms_median']:7.1f} ms  x{row['relative_to_conv2d']:.2f} of conv2d",
            flush=True,
        )
    result["onednn"] = {}
    for stage in STAGES:
        result["onednn"][str(stage)] = row = measure_onednn(stage, args.steps)
        px = "  ".join(f"{name} {r['training_pixels_per_second']:8,.0f}" for name, r in row["kernels"].items())
        print(
            f"stage {stage} {'x'.join(map(str, row['batch'])):12s} px/s: {px}; oneDNN x{row['onednn_vs_default']:.2f}, "
            f"per round {speedup_text(row['onednn_vs_default_per_round'])}",
            flush=True,
        )
    result["pointwise_in_step"] = {}
    for stage in STAGES:
        result["pointwise_in_step"][str(stage)] = row = measure_pointwise_in_step(stage, args.steps)
        print(
            f"stage {stage} 1x1 as matmul in the step: conv2d {row['conv2d_pixels_per_second']:8,.0f} px/s, matmul "
            f"{row['matmul_pixels_per_second']:8,.0f} px/s; per round {speedup_text(row['matmul_vs_conv2d'])}",
            flush=True,
        )
    result["load_average_at_end"] = list(os.getloadavg())
    return result


if __name__ == "__main__":
    main()
    sys.exit(0)
