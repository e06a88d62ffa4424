"""Which TLC window suits the shipped demo deblurring model: scored on the validation pages.

TLC (lib.models.tlc) swaps each global average pool for a local one whose window is ``factor x``
that pool's feature size at a "training size" ``T``. The winner fixed T = 256 (its second stage's
patch; NAFNetLocal(train_size=(1, 3, 256, 256)) in test_code/predict.py) and factor 2.5: a 640-px
window. The demo model trained on 64-, 96- and 128-px patches, so its T is a choice: this bench
scores ``checkpoints/deblur_nafnet_demo`` on the demo profile's validation pages (the prepared
``val/`` pages, 2x downsampled, ~800 px: what the profile's preparation held out) with TLC at
several T (factor 2.5) and without TLC, each page whole (as predict.py restores an 800-px page:
one tile within its pixel budget). test_A is scored too, as a check only: the choice is made on
validation. Results go to lab/bench/results/deblur_tlc_window.json.

    nice -n 5 .venv/bin/python lab/bench/bench_deblur_tlc_window.py            # ~3 minutes on 2 cores
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
from pathlib import Path

import paddle
from harness import bench_name, run  # lab/bench/harness.py, beside this script

from lib.data.pairs import list_pairs, read_image
from lib.infer import compare_inference, tlc_model
from lib.paths import generated_data_root
from lib.tracks import get_track

RESULTS = Path(__file__).resolve().parent / "results" / "deblur_tlc_window.json"


def load(folder) -> list:
    return [(name, read_image(b), read_image(g)) for name, b, g in list_pairs(folder)]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--train-sizes",
        type=int,
        nargs="+",
        default=[64, 96, 128, 256],
        help="TLC training sizes T to try (window = factor x T)",
    )
    parser.add_argument("--factor", type=float, default=2.5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    paddle.set_device("cpu")
    result = run(bench_name(__file__), lambda: measure_windows(args), args.out, argv)
    print(f"best on val: {result['best_on_val']}; written {args.out}")
    return result


def measure_windows(args) -> dict:
    """The figures: PSNR, MS-SSIM and score of the shipped model without TLC and at each window."""
    track = get_track("deblur")
    model = track.load_model(track.shipped_dir / "model.pdparams")
    models = {"no TLC": model}
    models.update({f"TLC T={t}": tlc_model(model, args.factor, t) for t in args.train_sizes})
    splits = {
        "val": load(get_track("deblur").prepare("demo").val_dir),
        "test_A": load(generated_data_root("deblur", "demo") / "test_A"),
    }
    results = {}
    for split, pairs in splits.items():
        rows, _ = compare_inference(models, pairs, {"whole": {"mode": "whole"}})
        results[split] = {
            r["model"]: {k: r[k] for k in ("psnr", "ms_ssim", "score", "seconds_per_image")} for r in rows
        }
        for name, r in results[split].items():
            print(
                f"{split:<7} {name:<12} PSNR {r['psnr']:.3f}  MS-SSIM {r['ms_ssim']:.4f}  score {r['score']:.5f}",
                flush=True,
            )
    best = max(results["val"], key=lambda name: results["val"][name]["score"])
    return {
        "model": str(track.shipped_dir.relative_to(track.shipped_dir.parents[1])),
        "factor": args.factor,
        "windows_px": {f"TLC T={t}": int(t * args.factor) for t in args.train_sizes},
        "pages": {
            split: {"count": len(pairs), "sizes": sorted({p[1].shape[:2] for p in pairs})}
            for split, pairs in splits.items()
        },
        "mode": "whole page",
        "results": results,
        "best_on_val": best,
    }


if __name__ == "__main__":
    main()
