"""MIRNetV2's progressive learning (patches growing 64 -> 128 over four stages in demo) against one fixed
patch size, at equal compute, two random seeds each (notebook 07).

    nice .venv/bin/python lab/bench/bench_denoise_progressive.py                 # 4 trainings, ~40 min on one core
    nice .venv/bin/python lab/bench/bench_denoise_progressive.py --seeds 0 --scale 0.5

``progressive`` is the demo profile's schedule (lib/configs/denoise.yaml); ``fixed`` trains its last
stage's batch x patch for as many pixels (lib.train.schedule.fixed_patch_schedule), with the same loss,
optimizer and learning-rate schedule stretched to its length. Each is scored on the held-out scenes
(test/Data): PSNR and SSIM overall and per ISO. The verdict (lab.claims.verdict) compares the means
over the seeds with the larger run-to-run spread. Runs go to runs/claims/denoise-<variant>-seed<k>
(resumed when interrupted); results to lab/bench/results/denoise_progressive.json, merged by (variant, seed).
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import json
import sys
import time
from pathlib import Path

from harness import bench_name, make_record, metadata, write_record  # lab/bench/harness.py, beside this script

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "lab" / "bench" / "results" / "denoise_progressive.json"
VARIANTS = ("progressive", "fixed")


def run_options(variant: str, seed: int, scale: float) -> dict:
    from lib.tracks import get_track
    from lib.train.schedule import fixed_patch_schedule, scale_schedule

    train = get_track("denoise").config("demo")["train"]
    options = {**train, **scale_schedule(train, scale)} if scale != 1 else dict(train)
    if variant == "fixed":
        options.update(fixed_patch_schedule(options))
    return {
        "stages": options["stages"],
        "phases": options["phases"],
        "scheduler": options["scheduler"],
        "seed": seed,
        "val_every": 10**9,
        "save_every": 50,
    }


def score(model, root: Path) -> dict:
    """PSNR / SSIM of ``model`` on the held-out scenes, overall and per ISO."""
    import numpy as np

    from lib.data.pairs import read_image
    from lib.infer import predict_image
    from lib.metrics import psnr, ssim
    from lib.tracks.denoise.data import scene_iso, test_scenes

    _, scenes = test_scenes(root)
    model.eval()
    per = []
    for name, noisy, clean in scenes:
        noisy, clean = read_image(noisy), read_image(clean)
        out = predict_image(model, noisy)
        per.append(
            {
                "scene": name,
                "iso": scene_iso(name),
                "psnr": psnr(out, clean),
                "ssim": ssim(out, clean),
                "input_psnr": psnr(noisy, clean),
            }
        )
    by_iso = {}
    for row in per:
        by_iso.setdefault(str(row["iso"]), []).append(row["psnr"])
    return {
        "psnr": float(np.mean([r["psnr"] for r in per])),
        "ssim": float(np.mean([r["ssim"] for r in per])),
        "input_psnr": float(np.mean([r["input_psnr"] for r in per])),
        "psnr_by_iso": {iso: float(np.mean(v)) for iso, v in sorted(by_iso.items(), key=lambda kv: int(kv[0]))},
        "images": len(per),
    }


def run_one(variant: str, seed: int, scale: float) -> dict:
    import paddle

    from lib.paths import data_root
    from lib.tracks import get_track

    paddle.set_device("cpu")
    track = get_track("denoise")
    options = run_options(variant, seed, scale)
    out = ROOT / "runs" / "claims" / f"denoise-{variant}-seed{seed}"
    trainer = track.trainer("demo", out, quiet=True, **options)
    trainer.resume()
    start = time.perf_counter()
    trainer.fit()
    minutes = (time.perf_counter() - start) / 60
    pixels = sum(s["batch_size"] * s["patch_size"] ** 2 * s["iters"] for s in options["stages"])
    return {
        "variant": variant,
        "seed": seed,
        "scale": scale,
        "iterations": trainer.iteration,
        "train_pixels": pixels,
        "train_minutes": round(minutes, 2),
        "stages": options["stages"],
        **score(track.load_model(trainer.last_path), data_root("denoise", "demo")),
        "command": f"lab/bench/bench_denoise_progressive.py --seeds {seed} --scale {scale:g}",
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


def merge(done: list[dict]) -> dict:
    from lab.claims import verdict

    previous = json.loads(RESULTS.read_text())["runs"] if RESULTS.is_file() else []
    runs = {(r["variant"], r["seed"]): r for r in previous}
    runs.update({(r["variant"], r["seed"]): r for r in done})
    ordered = sorted(runs.values(), key=lambda r: (VARIANTS.index(r["variant"]), r["seed"]))
    by = {v: [r for r in ordered if r["variant"] == v] for v in VARIANTS}
    verdicts = {}
    if by["progressive"] and by["fixed"]:
        for metric in ("psnr", "ssim"):
            verdicts[metric] = verdict([r[metric] for r in by["progressive"]], [r[metric] for r in by["fixed"]])
    figures = {
        "claim": "progressive patch sizes beat one fixed patch at equal compute",
        "runs": ordered,
        "verdicts": verdicts,
    }
    return write_record(RESULTS, make_record(metadata(bench_name(__file__)), figures))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the demo schedule's iterations")
    parser.add_argument("--only", default=",".join(VARIANTS))
    args = parser.parse_args()
    from lib.tracks import get_track

    get_track("denoise").prepare("demo")
    for seed in (int(s) for s in args.seeds.split(",")):
        for variant in args.only.split(","):
            if variant not in VARIANTS:
                parser.error(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
            result = run_one(variant, seed, args.scale)
            print(
                f"{variant} seed {seed}: {result['iterations']} iterations in {result['train_minutes']:.1f} min, "
                f"PSNR {result['psnr']:.2f} dB (input {result['input_psnr']:.2f})",
                flush=True,
            )
            merged = merge([result])
    for metric, v in merged["verdicts"].items():
        print(f"progressive vs fixed ({metric}): {v['difference']:+.4f}, spread {v['spread']:.4f}: {v['verdict']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
