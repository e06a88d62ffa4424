"""The learner's own SDWNet run of notebook 06 (你的模型): its recipe, its training and a fast, paired scoring.

* The recipe is an overlay of ``lab/tracks/sdwnet/overlays/`` (:data:`RECIPE`) merged over
  ``lib/configs/sdwnet.yaml``: the notebook trains exactly what ``python -m lab.experiments.train`` trains.
* :func:`train` runs ``lib.train`` on those options in the profile's processes (``launch: nproc``: two on the
  course's 2-core CPU, one training process uses one core) and loads the weight average it ends with.
* :func:`compare` scores the model through ONNX Runtime (:func:`lib.export.deployed_runner`; an order of magnitude
  faster than dygraph on this CPU, ``lab/bench/results/sdwnet_speed.json``) beside the blurred input and a
  classical method tuned on the validation pages, page by page, and :func:`paired` gives the mean difference with
  its 95 % interval over the pages.

Measure a recipe (one overlay per experiment; results appended to ``lab/tracks/sdwnet/learner_runs.json``)::

    nice -n 5 /usr/bin/time -v .venv/bin/python -m lab.experiments.train sdwnet/22_no_wavelet_zero_head_lr1e-3
    .venv/bin/python -m lab.tracks.sdwnet.learner sdwnet/22_no_wavelet_zero_head_lr1e-3 --cpu-seconds <user + sys>
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

RECIPE = "sdwnet/22_no_wavelet_zero_head_lr1e-3"  # the overlay notebook 06 trains as 你的模型
RESULTS = Path(__file__).resolve().parent / "learner_runs.json"  # this module's record, beside it (not a bench record)
CLASSICAL = "unsharp mask"  # the best classical method on test_A in the shipped model's metrics.json


def recipe_options(name: str = RECIPE, profile: str | None = None, seed: int = 0) -> dict:
    """The ``train`` and ``model`` options of ``profile`` that the recipe trains with (for printing)."""
    from lab.experiments.config import merged_options
    from lib.config import active_profile

    options = merged_options(name, seed)
    profile = active_profile(profile)
    return {"model": options["model"][profile], "train": options["train"][profile]}


def train(out_dir, profile: str | None = None, name: str = RECIPE, seed: int = 0, nproc: int | None = None) -> dict:
    """Train ``name``'s recipe from scratch into ``out_dir/train`` (``lib.train`` in ``nproc`` processes, default
    the profile's); returns the model (its weight average, eval mode), the seconds the training took and its log."""
    from lab.experiments.config import write_options
    from lab.experiments.train import importable_in_children
    from lib.config import active_profile
    from lib.train.launch import train_track

    profile = active_profile(profile)
    out_dir = Path(out_dir)
    options = write_options(name, out_dir / "options.yaml", seed)
    importable_in_children()
    start = time.perf_counter()
    train_track("sdwnet", profile, nproc, extra=("--options", str(options), "--out", str(out_dir / "train"), "--fresh"))
    seconds = time.perf_counter() - start
    return {"model": load(out_dir / "train"), "seconds": seconds, "log": read_log(out_dir / "train")}


def recorded(names) -> list[dict]:
    """The rows of :data:`RESULTS` for each overlay in ``names`` (every seed), in that order."""
    runs = json.loads(RESULTS.read_text(encoding="utf-8"))["runs"]
    return [row for name in names for row in sorted(runs, key=lambda r: r["seed"]) if row["name"] == name]


def load(run_dir):
    """A finished run's final weights (its weight average when it kept one), eval mode."""
    from lib.tracks import get_track

    run_dir = Path(run_dir)
    path = run_dir / "best.pdparams" if (run_dir / "best.pdparams").is_file() else run_dir / "last.pdparams"
    return get_track("sdwnet").load_model(path)


def read_log(run_dir) -> list[dict]:
    """The run's ``log.csv`` rows (iteration, loss, ...), numbers as floats."""
    import csv

    path = Path(run_dir) / "log.csv"
    if not path.is_file():
        return []
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    for row in rows:
        parsed = {}
        for key, value in row.items():
            try:
                parsed[key] = float(value)
            except (TypeError, ValueError):
                parsed[key] = value
        out.append(parsed)
    return out


def restorer(model, backend: str = "onnx"):
    """``restore(blurred uint8) -> uint8`` of the model as the submission runs it (edge-padded, exported)."""
    from lib.export import deployed_runner
    from lib.infer import predict_image
    from lib.tracks import get_track

    runner = deployed_runner(get_track("sdwnet").deployment.deployed(model), backend)
    return lambda image: predict_image(runner, image)


def page_scores(restore, pairs) -> list[dict]:
    """PSNR / MS-SSIM / score of ``restore`` on each (name, blurred, sharp) page, with its seconds."""
    from lib.metrics import evaluate_pair

    rows = []
    for name, blurred, sharp in pairs:
        start = time.perf_counter()
        restored = restore(blurred)
        rows.append({"page": name, **evaluate_pair(restored, sharp), "seconds": time.perf_counter() - start})
    return rows


def paired(a: list[dict], b: list[dict], key: str = "psnr") -> dict:
    """Mean of a - b over the same pages and the half width of its 95 % t interval (NaN for one page)."""
    from scipy import stats

    diff = np.array([x[key] - y[key] for x, y in zip(a, b, strict=True)], dtype=float)
    half = math.nan
    if diff.size > 1:
        half = float(stats.t.ppf(0.975, diff.size - 1) * diff.std(ddof=1) / math.sqrt(diff.size))
    return {"mean": float(diff.mean()), "half": half, "pages": int(diff.size)}


def compare(restorers: dict, test_pairs, val_pairs, classical: str = CLASSICAL, params: dict | None = None) -> dict:
    """Page-by-page scores of the blurred input, ``classical`` with its parameters tuned on ``val_pairs`` (by PSNR;
    ``params``: already tuned) and each of ``restorers`` on ``test_pairs``:
    ``{"classical": ..., "params": ..., "pages": {method: [rows]}, "mean": {method: {...}}}``."""
    from functools import partial

    from lib.evaluate.deconvolution import METHODS, tune

    if params is None:
        params, _ = tune(classical, [(blurred, sharp) for _, blurred, sharp in val_pairs])
    methods = {"blurred input": lambda x: x, classical: partial(METHODS[classical][0], **params), **restorers}
    pages = {method: page_scores(fn, test_pairs) for method, fn in methods.items()}
    mean = {
        method: {k: float(np.mean([r[k] for r in rows])) for k in ("psnr", "ms_ssim", "score", "seconds")}
        for method, rows in pages.items()
    }
    return {"classical": classical, "params": params, "pages": pages, "mean": mean}


def recorded_here(metrics: dict, profile: str | None = None) -> bool:
    """Whether the shipped model's ``metrics.json`` (``make ship``) was scored on the pages this profile reads: the
    same profile's generated data (not ``$COURSE_DATA``, not another profile's pages)."""
    from lib.config import active_profile
    from lib.paths import generated_data_root
    from lib.tracks import get_track

    track = get_track("sdwnet")
    profile = active_profile(profile)
    same_pages = track.data_root(profile) == generated_data_root(track.data_track, profile)
    return metrics.get("profile") == profile and same_pages


def training_minutes(run_dir) -> float | None:
    """Minutes a run's ``log.csv`` says its training took (its last ``seconds``), None without one."""
    rows = [r for r in read_log(run_dir) if isinstance(r.get("seconds"), float)]
    return rows[-1]["seconds"] / 60 if rows else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.tracks.sdwnet.learner", description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the overlay that was trained, e.g. sdwnet/01_small_l1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", default="demo")
    parser.add_argument("--cpu-seconds", type=float, default=None, help="user + sys of the training (/usr/bin/time)")
    parser.add_argument("--wall-seconds", type=float, default=None, help="its elapsed time")
    parser.add_argument("--run-dir", type=Path, default=None, help="the run folder (default: the experiment's)")
    parser.add_argument("--note", default="")
    args = parser.parse_args(argv)

    from lib.data.pairs import list_pairs
    from lib.evaluate import load_pairs
    from lib.paths import RUNS_DIR
    from lib.tracks import get_track

    track = get_track("sdwnet")
    run_dir = (args.run_dir or RUNS_DIR / "experiments" / f"{args.name}-s{args.seed}" / "train").resolve()
    model = load(run_dir)
    test = load_pairs(track.data_root(args.profile) / "test_A")
    val = load_pairs(list_pairs(track.prepare(args.profile).val_dir))
    result = compare({"SDWNet": restorer(model)}, test, val)
    log = read_log(run_dir)
    row = {
        "name": args.name,
        "seed": args.seed,
        "profile": args.profile,
        "run_dir": run_dir.name
        if not run_dir.is_relative_to(RUNS_DIR.parent)
        else str(run_dir.relative_to(RUNS_DIR.parent)),
        "options": recipe_options(args.name, args.profile, args.seed),
        "iterations": int(log[-1]["iteration"]) if log and "iteration" in log[-1] else None,
        "cpu_seconds": args.cpu_seconds,
        "wall_seconds": args.wall_seconds,
        "idle_minutes_2_cores": None if args.cpu_seconds is None else args.cpu_seconds / 2 / 60,
        "test_a_pages": len(test),
        "classical_params": result["params"],
        "mean": result["mean"],
        "vs_input": paired(result["pages"]["SDWNet"], result["pages"]["blurred input"]),
        "vs_classical": paired(result["pages"]["SDWNet"], result["pages"][CLASSICAL]),
        "note": args.note,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    records = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.is_file() else {"runs": []}
    records["runs"] = [r for r in records["runs"] if (r["name"], r["seed"]) != (args.name, args.seed)] + [row]
    RESULTS.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: row[k] for k in ("name", "iterations", "idle_minutes_2_cores", "vs_input", "vs_classical")}))
    return 0


if __name__ == "__main__":
    import lib.quiet  # noqa: F401  (quiets Paddle before it is imported)

    raise SystemExit(main())
