"""The face-retouching track's deployment budget: exported size, FLOPs and CPU latency of the
trained demo RetouchGUNet and of the seed-size 'retouch' configuration, side by side in one run.

The competition's final round scored zero on speed for a model over 10 MB or over 50 ms per image on a
V100. Measured here, per configuration: Paddle Inference params and ONNX bytes, conv MACs
(lab.complexity; GFLOPs = 2 x MACs) at the image size, CPU ms per image for dygraph, Paddle
Inference (oneDNN) and ONNX Runtime (median of --repeats after a warm-up), and the V100 estimate
2 x MACs / (15.7 TFLOP/s x the assumed efficiency of lab.check_full.GPU, now 0.25; the stored record
lab/bench/results/retouch.json was made with 0.2 and says so in v100_efficiency_assumed).

    .venv/bin/python lab/bench/bench_retouch.py                 # ~1 minute on 2 cores
    .venv/bin/python lab/bench/bench_retouch.py --size 1024 --repeats 3
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
from pathlib import Path

import paddle
from harness import bench_name, run  # lab/bench/harness.py, beside this script

from lab.tracks.retouch.budget import budget
from lib.models.gunet import GUNET_CONFIGS, gunet_from_config
from lib.tracks import get_track

OUT = Path(__file__).resolve().parent / "results" / "retouch.json"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=512, help="square image side (default 512)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    paddle.set_device("cpu")
    result = run(bench_name(__file__), lambda: measure_budgets(args), OUT, argv)
    print(f"wrote {OUT}")
    return result


def measure_budgets(args) -> dict:
    """The figures: each configuration's exported size, GFLOPs and CPU milliseconds per image."""
    track = get_track("retouch")
    try:
        demo = track.load_model(profile="demo")
        demo_source = str(demo.checkpoint_path)
    except FileNotFoundError:
        from lib.train.registry import build_model

        demo, demo_source = build_model(track.model_spec(track.config("demo"))), "random weights"
    models = {
        "demo (trained)": (demo, demo_source),
        "retouch (seed size, 1,494,838 params)": (gunet_from_config(GUNET_CONFIGS["retouch"]), "random weights"),
    }
    results = {}
    for name, (model, source) in models.items():
        row = budget(model, (args.size, args.size), args.repeats)
        row["weights"] = source
        results[name] = row
        print(
            f"{name}: {row['paddle_bytes'] / 1e6:.2f} MB params, {row['gflops']:.1f} GFLOPs at {args.size}^2, "
            + ", ".join(f"{k} {v:.0f} ms" for k, v in row["cpu_ms"].items())
            + f", V100 estimate {row['v100_ms_estimate']:.1f} ms"
        )
    return {"size": args.size, "repeats": args.repeats, "results": results}


if __name__ == "__main__":
    main()
