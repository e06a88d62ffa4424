"""SDWNet's cost on this CPU, side by side in one run: training pixels per second (AdamW, Charbonnier +
SSIM, one process), exported size, conv MACs and inference ms per megapixel for dygraph, Paddle
Inference (oneDNN) and ONNX Runtime, for the sdwnet track's demo model, the paper's model and the
deblur demo NAFNet. The deployed SDWNet is the submission's (edge-padded, lib.models.sdwnet.EdgePadded).

    nice -n 19 .venv/bin/python lab/bench/bench_sdwnet_speed.py                      # 256 x 256 (not yet timed)
    nice -n 19 .venv/bin/python lab/bench/bench_sdwnet_speed.py --size 96 --repeats 1 --out /tmp/speed.json

Only the second line has run so far (6.6 minutes while two other jobs loaded both cores; most of it the
paper model), as a check of the script: its numbers are not a measurement.

Results: lab/bench/results/sdwnet_speed.json (measure when nothing else runs: the JSON records the load).
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import os
import sys
from pathlib import Path

import paddle
from harness import bench_name, run  # lab/bench/harness.py, beside this script

from lab.tracks.retouch.budget import budget  # the deployment budget helper (exported bytes, MACs, ms per backend)
from lab.tracks.sdwnet import study as sdwnet_lab
from lib.models.sdwnet import EdgePadded
from lib.tracks import get_track
from lib.train.registry import build_model

OUT = Path(__file__).resolve().parent / "results" / "sdwnet_speed.json"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256, help="square inference image side")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--patch", type=int, default=64)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    paddle.set_device("cpu")
    os.environ.setdefault("COURSE_PROFILE", "demo")
    run(bench_name(__file__), lambda: measure_models(args), args.out, argv)
    print(f"wrote {args.out}")
    return 0


def measure_models(args) -> dict:
    """The figures: each network's size, training speed and inference milliseconds per megapixel."""
    track = get_track("sdwnet")
    models = {
        "sdwnet demo": track.model_spec(track.config("demo")),
        "sdwnet paper (16 x 32)": {"name": "sdwnet", "num_blocks": 16, "d_mult": 32},
        "NAFNet deblur demo": sdwnet_lab.model_spec("deblur"),
    }
    result = {
        "niceness": os.nice(0),
        "load_average_at_start": list(os.getloadavg()),
        "size": args.size,
        "batch": args.batch,
        "patch": args.patch,
        "results": {},
    }
    for name, spec in models.items():
        net = build_model(spec)
        net.eval()
        deployed = EdgePadded(net) if spec["name"] == "sdwnet" else net
        deployed.eval()
        b = budget(deployed, (args.size, args.size), repeats=args.repeats)
        its = sdwnet_lab.measure_speed(spec, args.batch, args.patch)
        megapixels = args.size * args.size / 1e6
        row = {
            "spec": spec,
            **sdwnet_lab.describe_model(spec),
            "train_it_per_s": its,
            "train_pixels_per_s": its * args.batch * args.patch**2,
            "paddle_bytes": b["paddle_bytes"],
            "onnx_bytes": b.get("onnx_bytes"),
            "ms_per_megapixel": {k: v / megapixels for k, v in b["cpu_ms"].items()},
        }
        result["results"][name] = row
        print(
            f"{name}: {row['params']:,} params, {row['gmacs_256']:.2f} GMACs/256^2, "
            f"train {row['train_pixels_per_s']:,.0f} px/s, "
            + ", ".join(f"{k} {v:.0f} ms/MP" for k, v in row["ms_per_megapixel"].items()),
            flush=True,
        )
    return result


if __name__ == "__main__":
    sys.exit(main())
