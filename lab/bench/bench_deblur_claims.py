"""The 冠军方案's headline claims on the deblur track, each as an ablation at equal compute with two
random seeds: the demo recipe against the same recipe without one of its ideas.

    nice .venv/bin/python lab/bench/bench_deblur_claims.py --parallel 2               # every run, seeds 0 and 1
    nice .venv/bin/python lab/bench/bench_deblur_claims.py --only recipe,no_downsample --seeds 0

The write-up claims that its data processing (the 2x downsample, the mean-gradient patch filter),
its progressive patch sizes and its fine-tune on all the data each help, and it tests with TLC.
Every run trains one rank of the demo recipe (lib/configs/deblur.yaml: per-process batches 8/6/4,
patches 64/96/128, L1 then Charbonnier + MS-SSIM, the last phase on all data) for ``--scale`` of its
iterations, in its own process (one core), and is scored on test_A, the held-out fonts and blur and
the blurred real scan: PSNR and OCR CER (the recipe's models also with TLC, the demo window). The
variants change one thing and keep the pixels trained equal:

- ``no_downsample``: the training pages cropped at their own size (prepare ``downsample: 1``);
- ``no_gradient_filter``: every crop kept (``grad_threshold: 0``);
- ``fixed_patch``: one stage at the last stage's batch x patch for as many pixels as the three;
- ``no_all_data``: the last phase on the training split only (same phases and learning rates);
- ``l1_only``: L1 in every phase instead of Charbonnier + MS-SSIM after the first (same phases and data).
- ``wide_blur`` / ``wide_blur_l1``: training pages whose blur is drawn 0.3-1x as strong as the test pages'
  (generator option ``train_blur_strength``), with the recipe's losses / L1 in every phase. Every run is
  also scored on the cause splits (held-out fonts, held-out blur, the training blur half as strong).

TLC needs no training: it is scored on the recipe's models. The verdicts (:func:`lab.claims.verdict`) compare
the means over the seeds with the larger run-to-run spread. Finished runs are kept in
``lab/bench/results/deblur_claims.json`` (another ``--scale``: ``deblur_claims_x<scale>.json``) and skipped when
run again (``--force`` retrains). Run folders: ``runs/claims/<variant>-seed<k>`` (another scale: ``-x<scale>``),
resumed when interrupted.
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import fcntl
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench_deblur_recipe import input_rows  # the blurred input's rows, computed once per data set
from harness import (  # lab/bench/harness.py, beside this script
    bench_name,
    make_record,
    metadata,
    run_child,
    write_record,
)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DEFAULT_SCALE = 0.25


def results_path(scale: float) -> Path:
    """lab/bench/results/deblur_claims.json at the default scale, deblur_claims_x<scale>.json otherwise:
    the verdicts only compare runs of one length."""
    name = "deblur_claims" + ("" if scale == DEFAULT_SCALE else f"_x{scale:g}")
    return ROOT / "lab" / "bench" / "results" / f"{name}.json"


LOG_DIR = ROOT / "runs" / "claims"


def run_name(name: str, seed: int, scale: float) -> str:
    """The run's folder (and log, lock) under runs/claims: a run of another length never resumes this one."""
    return f"{name}-seed{seed}" + ("" if scale == DEFAULT_SCALE else f"-x{scale:g}")


# variant -> (what it changes, the prepare overrides, the claim it tests: the recipe beats it)
VARIANTS = {
    "recipe": ("the demo recipe (one rank)", {}, None),
    "no_downsample": ("training pages not downsampled", {"downsample": 1}, "the 2x downsample helps"),
    "no_gradient_filter": ("no mean-gradient filter", {"grad_threshold": 0}, "the gradient filter helps"),
    "fixed_patch": ("one fixed patch size (the last stage's)", {}, "progressive patch sizes help"),
    "no_all_data": ("no fine-tune on all data", {}, "the all-data fine-tune helps"),
    "l1_only": ("L1 in every phase (no Charbonnier + MS-SSIM)", {}, "the Charbonnier + MS-SSIM phases help"),
    "wide_blur": (
        "training pages blurred 0.3-1x as strongly as the test pages",
        {},
        "training only on the test pages' blur strength is best",
    ),
    "wide_blur_l1": (
        "L1 in every phase, training pages blurred 0.3-1x as strongly",
        {},
        "the recipe beats L1 with milder training pages too",
    ),
}
# variants generating their own training pages: generator overrides (lib/tracks/deblur/data.py), shared folder
GENERATED = {
    "wide_blur": ("wide_blur", {"train_blur_strength": [0.3, 1.0]}),
    "wide_blur_l1": ("wide_blur", {"train_blur_strength": [0.3, 1.0]}),
}
L1_EVERYWHERE = ("l1_only", "wide_blur_l1")
# The recipe is pinned here, not read from the demo config (which may adopt a measured change): the
# 冠军方案's losses per demo phase (MS-SSIM on the 4 scales the demo's patches allow) and its
# generator's training blur, only as strong as the test pages'.
MSSSIM_4 = {"name": "charbonnier_msssim", "weights": [0.0517, 0.3295, 0.3462, 0.2726]}
RECIPE_LOSSES = ("l1", MSSSIM_4, MSSSIM_4)
RECIPE_DATA = ("narrow_blur", {"train_blur_strength": [1.0, 1.0]})
CAUSE_PAGES = 8  # pages per cause split (lib.tracks.deblur.data.CAUSE_SPLITS), scored for every run


# variants also scored with TLC: the recipe (TLC's claim) and L1 only (the candidate recipe for reading)
WITH_TLC = ("recipe", "l1_only", "wide_blur_l1")


def run_options(name: str, seed: int, scale: float) -> dict:
    """The engine's train overrides of ``name``: one rank of the demo schedule x ``scale``."""
    from lib.tracks import get_track
    from lib.train.schedule import fixed_patch_schedule, scale_schedule

    train = get_track("deblur").config("demo")["train"]
    nproc = get_track("deblur").config("demo").get("launch", {}).get("nproc", 1)
    options = scale_schedule(train, scale)
    stages = [{**s, "batch_size": s["batch_size"] // nproc} for s in options["stages"]]
    phases = [dict(p) for p in options["phases"]]
    if name == "fixed_patch":  # the same pixels at the last stage's batch x patch
        options.update(fixed_patch_schedule({**options, "stages": stages}))
        stages, phases = options["stages"], [dict(p) for p in options["phases"]]
    if name == "no_all_data":
        phases[-1].pop("all_data", None)
    if len(phases) != len(RECIPE_LOSSES):
        raise SystemExit(f"the demo config has {len(phases)} phases; RECIPE_LOSSES pins {len(RECIPE_LOSSES)}")
    # L1 only: the same phases, learning rates and data; only the loss changes
    phases = [{**p, "loss": "l1" if name in L1_EVERYWHERE else loss} for p, loss in zip(phases, RECIPE_LOSSES)]
    return {
        "stages": stages,
        "phases": phases,
        "scheduler": options["scheduler"],
        "seed": seed,
        "val_every": 10**9,
        "save_every": 50,
        "log_every": 25,
    }  # resumable


def prepared_data(name: str):
    """The demo pages prepared as ``name`` needs (its own folder when it changes the preparation)."""
    from lab.tracks.deblur.data import STRENGTH_KEY
    from lib.tracks import get_track
    from lib.tracks.deblur.data import data_options, ensure_dataset

    track = get_track("deblur")
    overrides = VARIANTS[name][1]
    folder, options = GENERATED.get(name, RECIPE_DATA)
    if name in GENERATED or data_options("demo").get(STRENGTH_KEY, [1.0, 1.0]) != options[STRENGTH_KEY]:
        # pages other than the demo data's: their own folders (the evaluation pages are the same)
        source = ensure_dataset("demo", ROOT / "data" / f"deblur-{folder}", options=options)
        prepared = f"deblur-demo-prepared-{folder}" + (f"-{name}" if overrides else "")
        return track.prepare("demo", source=source, out=ROOT / "data" / prepared, **overrides)
    if not overrides:
        return track.prepare("demo")
    return track.prepare("demo", out=ROOT / "data" / f"deblur-demo-prepared-{name}", **overrides)


def run_one(name: str, seed: int, scale: float) -> dict:
    """Train and score one (variant, seed) in this process."""
    import paddle

    from lab.tracks.deblur.data import CAUSE_SPLITS, generate_cause_set
    from lib.infer import predict_image, tlc_model
    from lib.paths import data_root
    from lib.tracks import get_track
    from lib.tracks.deblur.evaluate import readability

    lock = open(LOG_DIR / f"{run_name(name, seed, scale)}.lock", "w")  # held until this process ends
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"{name} seed {seed}: another process is running it") from None
    recorded = {(r["name"], r["seed"]): r for r in load_runs(scale)}
    if (name, seed) in recorded:  # finished by another driver meanwhile
        return recorded[(name, seed)]
    paddle.set_device("cpu")
    track = get_track("deblur")
    prepared = prepared_data(name)
    options = run_options(name, seed, scale)
    out = LOG_DIR / run_name(name, seed, scale)
    trainer = track.trainer("demo", out, prepared=prepared, quiet=True, **options)
    trainer.resume()
    start = time.perf_counter()
    trainer.fit()
    minutes = (time.perf_counter() - start) / 60
    net = track.load_model(trainer.last_path)
    restorers = {"model": lambda x: predict_image(net, x)}
    if name in WITH_TLC:  # TLC's claim is scored on the recipe's models (each page costs an OCR read)
        with_tlc = tlc_model(net, profile="demo")
        restorers["model + TLC"] = lambda x: predict_image(with_tlc, x)
    root = data_root("deblur", "demo")
    rows = readability(restorers, root, reference_pages=False, input_rows=False) + input_rows(root)
    cause = generate_cause_set(ROOT / "data" / "deblur_cause", CAUSE_PAGES, "demo")  # what the held-out pages change
    rows += readability(restorers, cause, CAUSE_SPLITS, reference_pages=False, input_rows=False)
    rows += input_rows(cause, CAUSE_SPLITS)
    pixels = sum(s["batch_size"] * s["patch_size"] ** 2 * s["iters"] for s in options["stages"])
    return {
        "name": name,
        "seed": seed,
        "scale": scale,
        "variant": VARIANTS[name][0],
        "iterations": trainer.iteration,
        "train_pixels": pixels,
        "train_minutes": round(minutes, 2),
        "stages": options["stages"],
        "phases": options["phases"],
        "rows": rows,
        "command": f"lab/bench/bench_deblur_claims.py --only {name} --seeds {seed} --scale {scale:g}",
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


def launch(name: str, seed: int, scale: float) -> dict | None:
    """One run in its own process; its result, merged into the results as it ends (or None: see its log)."""
    log = LOG_DIR / f"{run_name(name, seed, scale)}.log"
    result, code = run_child([__file__, "--run", f"{name}:{seed}", "--scale", scale], log, ROOT)
    if result is None:
        print(f"{name} seed {seed}: failed (exit {code}), see {log}", flush=True)
        return None
    print(f"{name} seed {seed}: {result['iterations']} iterations in {result['train_minutes']:.1f} min", flush=True)
    with open(LOG_DIR / "results.lock", "w") as lock:  # threads of a driver, or two drivers (one per seed)
        fcntl.flock(lock, fcntl.LOCK_EX)
        merge([result], scale)
    return result


def load_runs(scale: float) -> list[dict]:
    path = results_path(scale)
    return json.loads(path.read_text())["runs"] if path.is_file() else []


def merge(done: list[dict], scale: float) -> dict:
    """Add or replace runs by (name, seed); recompute the verdicts; write atomically."""
    from lab.tracks.deblur.claims import claim_verdicts

    runs = {(r["name"], r["seed"]): r for r in load_runs(scale)}
    runs.update({(r["name"], r["seed"]): r for r in done})
    ordered = sorted(runs.values(), key=lambda r: (list(VARIANTS).index(r["name"]), r["seed"]))
    figures = {
        "runs": ordered,
        "verdicts": claim_verdicts(ordered, {n: claim for n, (_, _, claim) in VARIANTS.items() if claim}),
    }
    return write_record(results_path(scale), make_record(metadata(bench_name(__file__)), figures))


def table(result: dict) -> str:
    """The verdicts as a Markdown table for lab/bench/README.md (mean ± sample standard deviation over the seeds)."""

    def cell(mean, std, unit):
        if unit:
            return f"{mean:+.2f}" + ("" if std != std else f" ± {std:.2f}") + unit
        return f"{mean:.3f}" + ("" if std != std else f" ± {std:.3f}")

    lines = [
        "| claim | split | metric | with (the recipe) | without | difference | spread | seeds | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for v in result["verdicts"]:
        unit = " dB" if v["metric"] == "psnr" else ""
        lines.append(
            f"| {v['claim']} | {v['split']} | {'PSNR gain' if unit else 'CER'} | "
            f"{cell(v['ours'], v['ours_std'], unit)} | {cell(v['theirs'], v['theirs_std'], unit)} | "
            f"{v['difference']:+.3f} | "
            f"{'-' if v['spread'] != v['spread'] else format(v['spread'], '.3f')} | "
            f"{v['seeds'][0]} + {v['seeds'][1]} | {v['verdict']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE, help="share of the demo schedule's iterations")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--parallel", type=int, default=1, help="runs at once (one core each)")
    parser.add_argument("--only", default=None, help="comma-separated variants (default: all)")
    parser.add_argument("--force", action="store_true", help="train again runs already in the results")
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="score recorded runs again from their folders (no training: they resume at their end)",
    )
    parser.add_argument("--table", action="store_true", help="print the recorded verdicts as Markdown and stop")
    parser.add_argument("--run", default=None, help=argparse.SUPPRESS)  # internal: name:seed, JSON to stdout
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(results_path(args.scale).read_text())))
        return 0
    if args.run:
        name, seed = args.run.split(":")
        print("RESULT " + json.dumps(run_one(name, int(seed), args.scale)), flush=True)
        return 0
    names = args.only.split(",") if args.only else list(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; known: {', '.join(VARIANTS)}")
    if args.rescore:  # drop their rows; the runs then resume at their last iteration and are only scored
        chosen = {(n, int(s)) for s in args.seeds.split(",") for n in names}
        kept = [r for r in load_runs(args.scale) if (r["name"], r["seed"]) not in chosen]
        write_record(results_path(args.scale), {**json.loads(results_path(args.scale).read_text()), "runs": kept})
    done = {(r["name"], r["seed"]) for r in load_runs(args.scale)}
    todo = [(n, int(s)) for s in args.seeds.split(",") for n in names if args.force or (n, int(s)) not in done]
    if args.force:  # a finished run folder would only be resumed and scored again
        import shutil

        for name, seed in todo:
            shutil.rmtree(LOG_DIR / run_name(name, seed, args.scale), ignore_errors=True)
    for name in dict.fromkeys(n for n, _ in todo):  # prepare each data set once, before the parallel runs
        prepared_data(name)
    with ThreadPoolExecutor(args.parallel) as pool:
        results = list(pool.map(lambda job: launch(job[0], job[1], args.scale), todo))
    for v in merge([], args.scale).get("verdicts", []):
        print(v["text"])
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
