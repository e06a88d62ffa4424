"""SDWNet's claims on the course's blurred documents, each a measured table (notebook 06 shows it):
offline sliding-window vs random online crops; width vs depth at an equal parameter budget; with vs
without the wavelet branch; SDWNet vs the deblur demo NAFNet at similar conv MACs and equal training
time, with OCR character error rates. Every variant is a short training through the course engine
(lab.tracks.sdwnet.study: same loss, batch, patch and data), scored on held-out test pages (test_A, never
trained on), repeated over --seeds; the JSON keeps every run, the per-variant mean and spread, and
whether each difference is larger than its spread.

    .venv/bin/python lab/bench/bench_sdwnet.py                    # demo: 14 trainings, about 45 minutes on 2 cores
    .venv/bin/python lab/bench/bench_sdwnet.py --experiments crops wavelet --seeds 0 1 2
    .venv/bin/python lab/bench/bench_sdwnet.py --profile smoke --iters 3 --seconds 4 --seeds 0 --out /tmp/sdwnet.json

Results (written after every run, so an interrupted sweep keeps what it measured):
lab/bench/results/sdwnet.json. Run it under ``nice -n 19`` when the machine is shared; the seconds and
the equal-time budget then include the other load (the JSON records the load average).
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import paddle
from harness import bench_name, make_record, metadata, write_record  # lab/bench/harness.py, beside this script

from lab.tracks.sdwnet import study as sdwnet_lab
from lib.evaluate import load_pairs, score_restorer
from lib.tracks import get_track

OUT = Path(__file__).resolve().parent / "results" / "sdwnet.json"
DEFAULTS = {
    "smoke": {"iters": 3, "seconds": 4.0, "batch": 2, "patch": 48, "eval_pages": 2},
    "demo": {"iters": 120, "seconds": 120.0, "batch": 4, "patch": 64, "eval_pages": 6},
    "full": {"iters": 20000, "seconds": 7200.0, "batch": 12, "patch": 256, "eval_pages": 50},
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="demo", choices=sorted(DEFAULTS))
    parser.add_argument(
        "--experiments", nargs="+", default=list(sdwnet_lab.EXPERIMENTS), choices=sdwnet_lab.EXPERIMENTS
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--iters", type=int, default=None, help="iterations per run (equal-iteration experiments)")
    parser.add_argument("--seconds", type=float, default=None, help="training seconds per run (the nafnet experiment)")
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--patch", type=int, default=None)
    parser.add_argument("--eval-pages", type=int, default=None, help="test_A pages scored per run")
    parser.add_argument("--no-ocr", action="store_true", help="skip the OCR character error rate")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    settings = dict(DEFAULTS[args.profile])
    for key in settings:
        value = getattr(args, key)
        if value is not None:
            settings[key] = value
    paddle.set_device("cpu")
    os.environ["COURSE_PROFILE"] = args.profile  # the tracks' configs and data of this profile
    meta = metadata(bench_name(__file__), argv)  # one stamp for every partial record and the last

    track = get_track("sdwnet")
    prepared = track.prepare(args.profile)
    root = track.data_root(args.profile)
    eval_pairs = load_pairs(root / "test_A", settings["eval_pages"])
    ocr = False
    if not args.no_ocr and "nafnet" in args.experiments:
        from lib.ocr import OcrEngine

        ocr = OcrEngine()
    result = {
        "niceness": os.nice(0),
        "load_average_at_start": list(os.getloadavg()),
        "profile": args.profile,
        "settings": settings,
        "seeds": args.seeds,
        "experiments": args.experiments,
        "evaluated_on": f"test_A, first {len(eval_pairs)} pages (held out: never trained on)",
        "prepared": {
            "root": str(prepared.root),
            "patch_size": prepared.options["patch_size"],
            "stride": prepared.options["stride"],
            "kept_patches": prepared.stats["kept"],
            "train_pages": prepared.stats["train_images"],
        },
        "input": score_restorer(lambda x: x, eval_pairs),
        "runs": [],
    }
    if ocr:
        from lib.evaluate import readability

        rows = readability({}, root, splits=("test_A",), ocr=ocr, limit=settings["eval_pages"], reference_pages=False)
        result["input"]["cer"] = rows[0]["cer"]

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_sdwnet_") as tmp:
        # distinct variants only: the base model appears in three experiments and runs once per seed
        done = {}
        for experiment in args.experiments:
            for variant in sdwnet_lab.VARIANTS[experiment]:
                for seed in args.seeds:
                    spec, crops = sdwnet_lab.VARIANTS[experiment][variant]
                    key = (json.dumps(spec, sort_keys=True), crops, seed, experiment == "nafnet")
                    if key in done:
                        row = {
                            **done[key],
                            "experiment": experiment,
                            "variant": variant,
                            "shared_with": done[key]["experiment"],
                        }
                    else:
                        row = sdwnet_lab.run_experiment(
                            experiment,
                            variant,
                            seed,
                            prepared,
                            eval_pairs,
                            tmp,
                            iters=settings["iters"],
                            batch=settings["batch"],
                            patch=settings["patch"],
                            seconds=settings["seconds"],
                            root=root,
                            ocr=ocr,
                            eval_limit=settings["eval_pages"],
                        )
                        done[key] = row
                    result["runs"].append(row)
                    print(
                        f"{experiment:12s} {variant:22s} seed {seed}: PSNR {row['psnr']:.3f} "
                        f"({row['iters']} it, {row['train_seconds']:.0f} s)"
                        + (f", CER {row['cer']:.3f}" if "cer" in row else ""),
                        flush=True,
                    )
                    result["summary"] = sdwnet_lab.summarize(result["runs"])
                    result["verdicts"] = [
                        v for v in (sdwnet_lab.verdict(result["summary"], e) for e in args.experiments) if v
                    ]
                    if "nafnet" in args.experiments:
                        cer = sdwnet_lab.verdict(result["summary"], "nafnet", "cer")
                        if cer:
                            result["verdicts"].append(cer)
                    result["wall_seconds"] = time.perf_counter() - start
                    write_record(args.out, make_record(meta, result))
    for v in result.get("verdicts", []):
        print(sdwnet_lab.verdict_text(v))
    print(f"wrote {args.out} ({result['wall_seconds'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
