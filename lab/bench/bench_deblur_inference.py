"""Inference speed of the demo-size NAFNet on test-size pages: dygraph, Paddle Inference (with and
without oneDNN) and ONNX Runtime side by side, and the cost of tiling and TLC.

The same images go through every variant: the demo profile's test_A pages (~800 px on the long
side, each a slightly different size, like a real test folder) if generated, else random images
of that size. After a warm-up on one 64 x 64 image, every page is restored ``--passes`` times:
pass 1 is "cold" (each page size seen for the first time, which is what ``predict.py`` does with a
folder of pages of different sizes), later passes "warm" (fastest per page). The model is the
demo profile's NAFNet (width 16, enc [1,1,1,2]) with random weights (the time does not depend on
them); TLC uses the winner's factor 2.5 at the demo's last training patch (128).

Reported: images per second and ms per megapixel, cold and warm; each backend against dygraph;
the winner's 4 tiles, overlapping 256-px tiles and TLC against the whole image without TLC, on
Paddle Inference + oneDNN and on ONNX Runtime. Results go to lab/bench/results/deblur_inference.json.

    .venv/bin/python lab/bench/bench_deblur_inference.py             # ~6 minutes on 2 cores
    .venv/bin/python lab/bench/bench_deblur_inference.py --images 2 --passes 2   # quick look
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import paddle
from harness import bench_name, run  # lab/bench/harness.py, beside this script

from lab.complexity import scaled_conv_macs
from lib.config import load_config
from lib.export import deployed_runner
from lib.infer import predict_image, tlc_model
from lib.models.nafnet import count_parameters, nafnet_from_config

RESULTS = Path(__file__).resolve().parent / "results" / "deblur_inference.json"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def test_images(count: int) -> tuple[list[np.ndarray], str]:
    from lib.data.pairs import list_pairs, read_image
    from lib.paths import generated_data_root

    folder = generated_data_root("deblur", "demo") / "test_A"
    if (folder / "blur_image").is_dir():
        pairs = list_pairs(folder)[:count]
        return [read_image(b) for _, b, _ in pairs], f"{folder} ({len(pairs)} blurred pages)"
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (800, 577, 3), dtype=np.uint8) for _ in range(count)], "random 800 x 577 images"


def time_variant(name, restore, images, passes):
    """Seconds per pass over ``images``: pass 1 is "cold" (every image size seen for the first time,
    after a warm-up on a 64 x 64 image that only initialises the runtime), later passes "warm"
    (fastest per image). oneDNN prepares its kernels for each new input shape, so with pages of
    varying sizes, as in a test folder, a one-pass tool like predict.py runs cold."""
    restore(np.zeros((64, 64, 3), np.uint8))
    per_image = [[] for _ in images]
    for _ in range(passes):
        for k, image in enumerate(images):
            start = time.perf_counter()
            restore(image)
            per_image[k].append(time.perf_counter() - start)
    megapixels = sum(im.shape[0] * im.shape[1] for im in images) / 1e6
    cold = sum(t[0] for t in per_image)
    # Warm: the fastest of the later passes per page, the least disturbed by other jobs on a shared machine.
    warm = sum(min(t[1:]) for t in per_image) if passes > 1 else float("nan")
    row = {
        "cold_seconds": cold,
        "warm_seconds": warm,
        "cold_images_per_s": len(images) / cold,
        "warm_images_per_s": len(images) / warm,
        "cold_ms_per_megapixel": 1000 * cold / megapixels,
        "warm_ms_per_megapixel": 1000 * warm / megapixels,
        "times_s": per_image,
    }
    print(
        f"{name:<26} cold {row['cold_images_per_s']:5.2f} img/s {row['cold_ms_per_megapixel']:6.0f} ms/MP | "
        f"warm {row['warm_images_per_s']:5.2f} img/s {row['warm_ms_per_megapixel']:6.0f} ms/MP",
        flush=True,
    )
    return row


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5, help="test pages to restore (default 5)")
    parser.add_argument("--passes", type=int, default=3, help="passes over the pages: 1 cold + warm ones (fastest)")
    parser.add_argument("--tile", type=int, default=256, help="side of the overlapping tiles")
    parser.add_argument("--overlap", type=int, default=32)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(bench_name(__file__), lambda: measure_paths(args), args.out, argv)
    for kind in ("cold", "warm"):
        speedups = result["speedup_vs_dygraph"][kind]
        print(f"{kind}: speed-up vs dygraph " + ", ".join(f"{k} x{v:.2f}" for k, v in speedups.items()))
        print(
            f"{kind}: time vs the whole image without TLC "
            + ", ".join(f"{k} x{v:.2f}" for k, v in result["cost_vs_whole_plain"][kind].items())
        )
    print(f"written {args.out}")
    return result


def measure_paths(args) -> dict:
    """The figures: every inference path, cold and warm, and their ratios."""
    load_before = os.getloadavg()
    cfg = load_config("deblur", "demo")
    paddle.seed(0)
    model = nafnet_from_config(cfg["model"])
    for name, p in model.named_parameters():  # trained blocks are not the identity
        if name.endswith(".beta") or name.endswith(".gamma"):
            p.set_value(paddle.randn(p.shape) * 0.1)
    model.eval()
    patch = cfg["train"]["stages"][-1]["patch_size"]
    tlc = tlc_model(model, 2.5, patch)
    images, source = test_images(args.images)
    print(f"{len(images)} images from {source}; {paddle.device.get_device()}, {os.cpu_count()} cores", flush=True)

    start = time.perf_counter()
    runners = {
        "paddle_onednn": deployed_runner(model, "paddle"),
        "paddle_no_onednn": deployed_runner(model, "paddle", onednn=False),
        "onnxruntime": deployed_runner(model, "onnx"),
        "paddle_onednn_tlc": deployed_runner(tlc, "paddle"),
        "onnxruntime_tlc": deployed_runner(tlc, "onnx"),
    }
    export_s = time.perf_counter() - start
    tiles = dict(tile=args.tile, overlap=args.overlap)
    variants = {
        "dygraph": (model, "whole", {}),
        "paddle_inference": (runners["paddle_no_onednn"], "whole", {}),
        "paddle_inference_onednn": (runners["paddle_onednn"], "whole", {}),
        "onnxruntime": (runners["onnxruntime"], "whole", {}),
        "dygraph_tlc": (tlc, "whole", {}),
        "onednn_quadrants": (runners["paddle_onednn"], "quadrants", {}),
        "onednn_tiles": (runners["paddle_onednn"], "tiles", tiles),
        "onednn_tlc": (runners["paddle_onednn_tlc"], "whole", {}),
        "onednn_tlc_tiles": (runners["paddle_onednn_tlc"], "tiles", tiles),
        "onnx_tiles": (runners["onnxruntime"], "tiles", tiles),
        "onnx_tlc": (runners["onnxruntime_tlc"], "whole", {}),
    }
    rows = {
        name: time_variant(
            name, lambda im, m=m, mode=mode, kw=kw: predict_image(m, im, mode, **kw), images, args.passes
        )
        for name, (m, mode, kw) in variants.items()
    }

    h, w = images[0].shape[:2]

    def ratio(a, b, kind):
        return rows[a][f"{kind}_seconds"] / rows[b][f"{kind}_seconds"]

    return {
        "model": f"NAFNet demo config {cfg['model']}",
        "parameters": count_parameters(model),
        "conv_gmacs_per_image": scaled_conv_macs(model, (h - h % 16, w - w % 16)) / 1e9,
        "images": source,
        "image_sizes": [list(im.shape[:2]) for im in images],
        "passes": args.passes,
        "tiles": tiles,
        "tlc": {"factor": 2.5, "train_size": patch},
        "export_seconds_all_runners": export_s,
        "results": rows,
        "speedup_vs_dygraph": {
            kind: {k: ratio("dygraph", k, kind) for k in ("paddle_inference", "paddle_inference_onednn", "onnxruntime")}
            for kind in ("cold", "warm")
        },
        "cost_vs_whole_plain": {
            kind: {
                "quadrants_onednn": ratio("onednn_quadrants", "paddle_inference_onednn", kind),
                "tiles_onednn": ratio("onednn_tiles", "paddle_inference_onednn", kind),
                "tlc_onednn": ratio("onednn_tlc", "paddle_inference_onednn", kind),
                "tlc_tiles_onednn": ratio("onednn_tlc_tiles", "paddle_inference_onednn", kind),
                "tiles_onnxruntime": ratio("onnx_tiles", "onnxruntime", kind),
                "tlc_onnxruntime": ratio("onnx_tlc", "onnxruntime", kind),
                "tlc_dygraph": ratio("dygraph_tlc", "dygraph", kind),
            }
            for kind in ("cold", "warm")
        },
        "load_average_1_5_15min": {"before": load_before, "after": os.getloadavg()},
    }


if __name__ == "__main__":
    main()
