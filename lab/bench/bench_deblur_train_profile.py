"""Where the time of one demo training step of the deblur NAFNet goes, by operator family.

    .venv/bin/python lab/bench/bench_deblur_train_profile.py [--stage 0] [--steps 6] [--threads 1]

Builds the demo model, optimizer and loss of a stage of lib/configs/deblur.yaml (the first stage
by default: batch 8 of 64x64 patches, L1) and times ``--steps`` training steps of two variants,
interleaved so both see the same machine load: the per-channel bias and scale of NAFNet broadcast
over the NCHW map (before) and over an (N, C, H*W) view (after; lib.models.nafnet). Then it runs
``--steps`` steps of each under ``paddle.profiler``, exports the Chrome trace and adds up the host
time of every operator event by family (forward and backward together, e.g. ``conv2d`` and
``conv2d_grad``). Writes lab/bench/results/deblur_train_profile_stage<N>.json and prints the tables.
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import paddle
import paddle.profiler as profiler
from harness import bench_name, run  # lab/bench/harness.py, beside this script

from lib.config import load_config
from lib.models.channel_ops import broadcast_channel_ops
from lib.train.registry import build_loss, build_model

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# operator name (without _grad) -> family; first match wins
FAMILIES = [
    ("depthwise conv", r"^depthwise_conv2d"),
    ("conv (dense)", r"^conv2d$|^conv2d_transpose"),
    ("LayerNorm", r"^layer_norm"),
    ("elementwise multiply (SimpleGate, SCA, beta/gamma)", r"^multiply$"),
    ("SCA pooling", r"^pool2d$|^adaptive"),
    ("pixel shuffle", r"^pixel_shuffle"),
    ("padding / slicing / chunk", r"^pad|^slice$|^split|^strided_slice|^concat"),
    ("elementwise add (bias, residual)", r"^add$|^add_n$|^subtract$|^scale$|^sum$|^elementwise"),
    ("loss (abs, mean, ...)", r"^abs$|^sqrt$|^square$|^reduce|^pow$|^mean$"),
    ("optimizer (AdamW)", r"^adamw|^adam_|^merged_adam"),
    ("gradient accumulation", r"GradNodeAccumulation"),
    ("transpose / reshape / cast", r"^transpose|^reshape|^cast$|^flatten|^squeeze|^unsqueeze"),
]


def family_of(op: str) -> str:
    base = re.sub(r"(_grad)+$", "", op)
    for family, pattern in FAMILIES:
        if re.search(pattern, base):
            return family
    return "other"


def operator_name(event_name: str) -> str:
    """``"add dygraph"`` -> ``add``; ``"Global_DepthwiseConv2dGradNode[26.5 ms]"`` -> ``depthwise_conv2d_grad``."""
    name = re.sub(r"\[.*\]$", "", event_name).replace(" dygraph", "").strip()
    match = re.fullmatch(r"Global_(\w+?)GradNode(?:Final)?", name)
    if match:
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", match.group(1)).lower() + "_grad"
        name = name.replace("conv2d", "conv2d").replace("_2d", "2d")
    return name


def operator_times(trace_file: Path) -> dict[str, float]:
    """Milliseconds per operator (forward ops and backward grad nodes) over the trace."""
    events = json.loads(trace_file.read_text())
    events = events.get("traceEvents", events) if isinstance(events, dict) else events
    totals = defaultdict(float)
    for e in events:
        if e.get("ph") == "X" and e.get("cat", "").lower() == "operator":
            totals[operator_name(e["name"])] += e.get("dur", 0) / 1000.0
    return dict(totals)


def profile_steps(step, steps: int) -> dict[str, float]:
    """Operator milliseconds over ``steps`` profiled calls of ``step``."""
    with tempfile.TemporaryDirectory() as tmp:
        prof = profiler.Profiler(
            targets=[profiler.ProfilerTarget.CPU], on_trace_ready=profiler.export_chrome_tracing(tmp)
        )
        prof.start()
        for _ in range(steps):
            step()
            prof.step()
        prof.stop()
        trace = max(Path(tmp).glob("*.json"), key=lambda p: p.stat().st_mtime)
        return operator_times(trace)


def family_table(per_op: dict, steps: int) -> list[dict]:
    per_family = defaultdict(float)
    for op, ms in per_op.items():
        per_family[family_of(op)] += ms
    total = sum(per_family.values())
    return sorted(
        ({"family": f, "ms_per_step": ms / steps, "share": ms / total} for f, ms in per_family.items()),
        key=lambda r: -r["share"],
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", type=int, default=0)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1, help="paddle.base.core.set_num_threads (CPU math threads)")
    args = parser.parse_args(argv)
    paddle.set_device("cpu")
    paddle.base.core.set_num_threads(args.threads)  # CPU math-library threads
    out = RESULTS_DIR / f"deblur_train_profile_stage{args.stage}.json"
    result = run(bench_name(__file__), lambda: measure_variants(args), out, argv)
    for name, row in result["variants"].items():
        print(
            f"{name}: {row['seconds_per_step']:.3f} s/step (median of {args.steps}), "
            f"{row['training_pixels_per_second']:,.0f} training px/s"
        )
        for r in row["families"]:
            print(f"  {r['family']:<52} {r['ms_per_step']:8.1f} ms  {100 * r['share']:5.1f}%")
    print(f"speed-up: {result['speedup']:.2f}x")
    return 0


def measure_variants(args) -> dict:
    """The figures: one stage's step with per-channel ops broadcast over NCHW and over a view, profiled."""
    cfg = load_config("deblur", "demo")
    stage = cfg["train"]["stages"][args.stage]
    paddle.seed(0)
    model = build_model({"name": "nafnet", **cfg["model"]})
    optimizer = paddle.optimizer.AdamW(learning_rate=1e-3, parameters=model.parameters(), weight_decay=1e-4)
    criterion = build_loss("l1")
    rng = np.random.default_rng(0)
    shape = (stage["batch_size"], 3, stage["patch_size"], stage["patch_size"])
    x = paddle.to_tensor(rng.random(shape, dtype=np.float32))
    y = paddle.to_tensor(rng.random(shape, dtype=np.float32))
    pixels = shape[0] * shape[2] * shape[3]

    def step():
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.clear_grad()

    # before: per-channel bias and scale broadcast over NCHW; after: over an (N, C, H*W) view
    variants = {"broadcast NCHW (before)": True, "reshaped (N, C, HW) (after)": False}
    times = {name: [] for name in variants}
    for plain in variants.values():  # warm-up
        with broadcast_channel_ops(plain):
            step(), step()
    for _ in range(args.steps):  # interleaved, so both see the same machine load
        for name, plain in variants.items():
            with broadcast_channel_ops(plain):
                start = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - start)
    rows = {}
    for name, plain in variants.items():
        with broadcast_channel_ops(plain):
            per_op = profile_steps(step, args.steps)
        seconds = float(np.median(times[name]))
        rows[name] = {
            "seconds_per_step": seconds,
            "training_pixels_per_second": pixels / seconds,
            "families": family_table(per_op, args.steps),
            "top_operators_ms_per_step": {
                op: ms / args.steps for op, ms in sorted(per_op.items(), key=lambda kv: -kv[1])[:12]
            },
        }
    before, after = (rows[n]["training_pixels_per_second"] for n in variants)
    return {
        "threads": args.threads,
        "stage": stage,
        "model": cfg["model"],
        "variants": rows,
        "speedup": after / before,
    }


if __name__ == "__main__":
    sys.exit(main())
