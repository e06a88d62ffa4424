"""Notebook 03's learner run in a few idle minutes: short demo recipes trained as the notebook trains them (the
demo profile's processes, ``python -m lib.train``), their CPU time, and their PSNR against the blurred input and
unsharp masking (the best classical method of the demo data) on test_A, the held-out fonts and the scans.

    nice -n 5 .venv/bin/python lab/bench/bench_deblur_short_recipe.py --only deblur/21_short_x03_lr4e-3
    nice -n 5 .venv/bin/python lab/bench/bench_deblur_short_recipe.py --only demo --seed 1
    .venv/bin/python lab/bench/bench_deblur_short_recipe.py --table          # reads the record, trains nothing

A recipe is an overlay of ``lab/tracks/deblur/overlays/`` (``deblur/<name>``) or ``demo``, the demo train section of
``lib/configs/deblur.yaml`` as it stands. The machine is shared, so wall time is inflated by the load: the record
keeps the wall time and the CPU time (user + sys of the training and every process it starts), and estimates the
idle wall time as CPU seconds / the cores the run keeps busy (one per training process). Runs are added or replaced
by (recipe, seed) in ``lab/bench/results/deblur_short_recipe.json`` as each ends.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # this checkout's lib and lab, not another one installed in the environment

import lib.quiet  # noqa: E402  first of lib: quiets Paddle before anything imports it (lib/quiet.py)

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from datetime import datetime  # noqa: E402

from harness import make_record, metadata, write_record  # noqa: E402  lab/bench/harness.py, beside this script

RESULTS = ROOT / "lab" / "bench" / "results" / "deblur_short_recipe.json"
RUNS = ROOT / "runs" / "short_recipe"
SPLITS = ("test_A", "heldout", "scans")
UNSHARP = "unsharp mask"


def train(recipe: str, seed: int) -> dict:
    """Train ``recipe`` from scratch in the demo profile's processes; wall and CPU seconds, and the run folder."""
    from lab.experiments.config import write_options
    from lab.experiments.train import importable_in_children
    from lib.paths import data_root
    from lib.train.launch import default_nproc

    out = RUNS / f"{recipe.replace('/', '_')}-s{seed}"
    args = ["--config", "deblur", "--profile", "demo", "--data", str(data_root("deblur", "demo"))]
    args += ["--out", str(out / "train"), "--fresh", "--set", f"train.seed={seed}"]
    if recipe != "demo":
        args += ["--options", str(write_options(recipe, out / "options.yaml", seed))]
    importable_in_children()
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    with open(out.parent / f"{out.name}.log", "w") as log:
        code = subprocess.run(
            [sys.executable, "-m", "lib.train", *args], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        ).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code:
        raise RuntimeError(f"{recipe} seed {seed}: training failed (exit {code}), see {out.parent / out.name}.log")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    nproc = default_nproc("deblur", "demo")
    return {"run_dir": out / "train", "wall_seconds": wall, "cpu_seconds": cpu, "nproc": nproc}


def read_log(run_dir: Path) -> dict:
    """Iterations, wall seconds per stage (from the log's clock) and the validation curve of a run."""
    rows = list(csv.DictReader(open(run_dir / "log.csv", encoding="utf-8")))
    steps = [r for r in rows if r["loss"]]
    stage_seconds: dict[int, float] = {}
    previous = 0.0
    for r in steps:
        seconds = float(r["seconds"])
        stage_seconds[int(r["stage"])] = stage_seconds.get(int(r["stage"]), 0.0) + seconds - previous
        previous = seconds
    curve = [{"iteration": int(r["iteration"]), "psnr": float(r["psnr"])} for r in rows if r["psnr"]]
    return {
        "iterations": int(steps[-1]["iteration"]),
        "logged_seconds": float(rows[-1]["seconds"]),
        "stage_seconds": [round(stage_seconds[k], 1) for k in sorted(stage_seconds)],
        "val_curve": curve,
    }


def score(run_dir: Path) -> dict:
    """PSNR / MS-SSIM of the blurred input, unsharp masking (tuned on the validation pages, as notebook 03 does) and
    the run's best and last weights on every evaluation split."""
    from functools import partial

    from lib.evaluate import deconvolution
    from lib.infer import predict_image
    from lib.paths import data_root
    from lib.tracks import get_track, load_model
    from lib.tracks.deblur.evaluate import load_pairs, score_restorer

    root = data_root("deblur", "demo")
    val = load_pairs(get_track("deblur").prepare("demo").val_dir)
    params, _ = deconvolution.tune(UNSHARP, [(b, s) for _, b, s in val])
    unsharp = partial(deconvolution.METHODS[UNSHARP][0], **params)
    models = {name: load_model("deblur", run_dir / f"{name}.pdparams") for name in ("best", "last")}
    scores = {}
    for split in SPLITS:
        pairs = load_pairs(root / split)
        restorers = {"blurred input": lambda x: x, UNSHARP: unsharp}
        restorers |= {f"model ({name})": partial(predict_image, net) for name, net in models.items()}
        scores[split] = {
            name: {k: round(v, 4) for k, v in score_restorer(fn, pairs).items() if k in ("psnr", "ms_ssim")}
            for name, fn in restorers.items()
        }
        scores[split]["pages"] = len(pairs)
    return {"unsharp_params": params, "scores": scores}


TRAIN_KEYS = ("stages", "phases", "optimizer", "scheduler", "seed", "val_every", "val_max_images")


def train_options(run_dir: Path) -> dict:
    """What the run trained with (its saved options.json): how a reader finds the record of a schedule."""
    saved = json.loads((run_dir / "options.json").read_text(encoding="utf-8"))
    return {"model": saved["model"], **{k: saved.get(k) for k in TRAIN_KEYS}}


def measure(recipe: str, seed: int) -> dict:
    run = train(recipe, seed)
    log = read_log(run["run_dir"])
    scored = score(run["run_dir"])
    test = scored["scores"]["test_A"]
    return {
        "recipe": recipe,
        "seed": seed,
        "nproc": run["nproc"],
        "iterations": log["iterations"],
        "wall_minutes": round(run["wall_seconds"] / 60, 2),
        "cpu_minutes": round(run["cpu_seconds"] / 60, 2),
        "idle_minutes_estimate": round(run["cpu_seconds"] / run["nproc"] / 60, 2),
        "logged_minutes": round(log["logged_seconds"] / 60, 2),
        "stage_wall_seconds": log["stage_seconds"],
        "val_curve": log["val_curve"],
        "options": train_options(run["run_dir"]),
        **scored,
        "test_A_gain_over_input": round(test["model (best)"]["psnr"] - test["blurred input"]["psnr"], 3),
        "test_A_gain_over_unsharp": round(test["model (best)"]["psnr"] - test[UNSHARP]["psnr"], 3),
        "command": f"nice -n 5 .venv/bin/python lab/bench/bench_deblur_short_recipe.py --only {recipe} --seed {seed}",
        "finished": datetime.now().strftime("%Y-%m-%dT%H:%M:%S"),
    }


def merge(done: dict) -> list[dict]:
    """Add or replace ``done`` by (recipe, seed) in the record, written atomically."""
    previous = json.loads(RESULTS.read_text(encoding="utf-8"))["runs"] if RESULTS.is_file() else []
    runs = [r for r in previous if (r["recipe"], r["seed"]) != (done["recipe"], done["seed"])] + [done]
    runs.sort(key=lambda r: (r["idle_minutes_estimate"], r["recipe"], r["seed"]))
    write_record(RESULTS, make_record(metadata("deblur_short_recipe"), {"runs": runs}))
    return runs


def table(runs: list[dict]) -> str:
    lines = [
        "| recipe | seed | iters | wall min | CPU min | idle min (est.) | test_A vs input | vs unsharp | "
        "heldout vs input | scans vs input |",
        "|" + "---|" * 10,
    ]
    for r in runs:
        s = r["scores"]

        def gain(split, other="blurred input", s=s):
            return f"{s[split]['model (best)']['psnr'] - s[split][other]['psnr']:+.2f}"

        lines.append(
            f"| {r['recipe']} | {r['seed']} | {r['iterations']} | {r['wall_minutes']:.1f} | {r['cpu_minutes']:.1f} | "
            f"{r['idle_minutes_estimate']:.1f} | {gain('test_A')} | {gain('test_A', UNSHARP)} | {gain('heldout')} | "
            f"{gain('scans')} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated recipes: deblur/<overlay> or demo")
    parser.add_argument("--seed", type=int, default=0, help="train seed (default 0, the notebook's)")
    parser.add_argument("--table", action="store_true", help="print the recorded runs and train nothing")
    args = parser.parse_args()
    if not args.table:
        if not args.only:
            parser.error("--only names the recipes to train (or --table)")
        for recipe in args.only.split(","):
            result = measure(recipe, args.seed)
            merge(result)
            print(
                f"{recipe} seed {args.seed}: {result['iterations']} it, {result['wall_minutes']:.1f} min wall, "
                f"~{result['idle_minutes_estimate']:.1f} min idle; test_A {result['test_A_gain_over_input']:+.2f} dB "
                f"over the input, {result['test_A_gain_over_unsharp']:+.2f} over unsharp masking",
                flush=True,
            )
    print(table(json.loads(RESULTS.read_text(encoding="utf-8"))["runs"]) if RESULTS.is_file() else "no runs yet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
