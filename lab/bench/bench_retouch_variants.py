"""Face retouching: what the demo schedule's length and a smooth K do to the two quality bars, and
which predicted map (K or D) helps or hurts inside and outside the blemishes of the held-out face.

Each variant trains the demo profile through the engine (one process; the run folder
runs/exp/retouch-kpool<k>-x<scale>[-n<n_train>] is resumed, so a finished variant is only scored
again; with n_train, the generated set has that many training views, data/retouch-n<n_train>), then is
scored like the shipped model (Track.evaluate: test_A, the held-out face, against the tuned
baselines) plus lib.tracks.retouch.evaluate.decomposition_ablation (the output with only K or only D). The
shipped checkpoint is scored the same way without training. Results: lab/bench/results/retouch_variants.json.

    .venv/bin/python lab/bench/bench_retouch_variants.py                        # x2 and k_pool 8: ~25 min on one core
    .venv/bin/python lab/bench/bench_retouch_variants.py --variants 1:2,8:1     # k_pool:scale[:n_train]
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import datetime
import json
import os
from pathlib import Path

from harness import bench_name, run  # lab/bench/harness.py, beside this script

from lib.tracks import get_track
from lib.tracks.retouch.evaluate import decomposition_ablation
from lib.train.schedule import scale_schedule

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "lab" / "bench" / "results" / "retouch_variants.json"


def score(track, model, val, data=None) -> dict:
    result = track.evaluate(model, "demo", data=data, val=val)
    test, _ = track.evaluation_sets("demo", data, [])
    return {"checks": result["checks"], "methods": result["methods"], "ablation": decomposition_ablation(model, test)}


def run_variant(track, k_pool: int, scale: float, n_train: int | None = None) -> dict:
    from lib.tracks.retouch.data import ensure_dataset

    cfg = track.config("demo")
    suffix = f"-n{n_train}" if n_train else ""
    out = ROOT / "runs" / "exp" / f"retouch-kpool{k_pool}-x{scale:g}{suffix}"
    data = ensure_dataset("demo", ROOT / "data" / f"retouch{suffix}", options={"n_train": n_train}) if n_train else None
    overrides = scale_schedule(cfg["train"], scale) if scale != 1 else {}
    trainer = track.trainer(
        "demo", out, prepared=data, model={**track.model_spec(cfg), "k_pool": k_pool}, quiet=True, **overrides
    )
    trainer.resume()
    trainer.fit()
    val_rows = [r for r in trainer.history if "psnr" in r]
    return {
        "variant": f"k_pool {k_pool}, schedule x{scale:g}" + (f", {n_train} training views" if n_train else ""),
        "k_pool": k_pool,
        "scale": scale,
        "n_train": n_train or cfg["data"]["n_train"],
        "iterations": trainer.iteration,
        "run": str(out.relative_to(ROOT)),
        "train_minutes": trainer.history[-1]["seconds"] / 60 if trainer.history else None,
        "val_psnr_last": val_rows[-1]["psnr"] if val_rows else None,
        **score(track, track.load_model(trainer.best_path), trainer.data.val, data),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default="1:2,8:1", help="comma-separated k_pool:scale pairs")
    args = parser.parse_args(argv)
    kept = json.loads(OUT.read_text())["rows"] if OUT.is_file() else []  # other variants' rows stay
    result = run(bench_name(__file__), lambda: measure_variants(args, kept), OUT, argv)
    for r in result["rows"]:
        if r in kept:
            continue
        ab = {a["output"]: a for a in r["ablation"]}
        print(
            f"{r['variant']:<40} inside {r['checks']['inside_gain_over_best_baseline_db']:+.2f} "
            f"outside drop {r['checks']['outside_drop_db']:.2f} | outside: K only "
            f"{ab['K only: J / (1 + K)']['psnr_outside']:.2f}, D only {ab['D only: J - D']['psnr_outside']:.2f}, "
            f"input {ab['input J']['psnr_outside']:.2f}"
        )
    return result


def measure_variants(args, kept: list[dict]) -> dict:
    """The figures: the shipped model and each variant scored; ``kept`` rows of other variants stay."""
    load = os.getloadavg()
    track = get_track("retouch")
    track.prepare("demo")
    shipped = track.load_model(track.shipped_dir / "model.pdparams")
    trained = json.loads((track.shipped_dir / "options.json").read_text())
    iters = sum(stage["iters"] for stage in trained["stages"])
    views = len(list((track.data_root("demo") / "train" / "image").glob("*.png")))
    rows = [
        {
            "variant": f"shipped demo ({iters} iterations, {views} training views)",
            "k_pool": 1,
            "iterations": iters,
            "n_train": views,
            **score(track, shipped, None),
        }
    ]
    for pair in args.variants.split(","):
        k_pool, scale, *n_train = pair.split(":")
        rows.append(run_variant(track, int(k_pool), float(scale), int(n_train[0]) if n_train else None))
        print(rows[-1]["variant"], json.dumps(rows[-1]["checks"]), flush=True)
    stamp = {
        "scored": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="minutes"),
        "load_average_at_start": load,
    }
    rows = [{**r, **stamp} for r in rows]
    names = {r["variant"] for r in rows}
    return {"rows": [r for r in kept if r["variant"] not in names] + rows}


if __name__ == "__main__":
    main()
