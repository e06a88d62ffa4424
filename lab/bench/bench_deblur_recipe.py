"""The demo recipe, chosen by measured runs: each variant of the demo training at equal wall-clock,
scored on the same held-out pages (test_A, held-out fonts + blur, the blurred real scan).

    .venv/bin/python lab/bench/bench_deblur_recipe.py --minutes 7 --parallel 2          # every variant, ~40 min
    .venv/bin/python lab/bench/bench_deblur_recipe.py --only baseline,lr2e-3_warmup     # some of them

Each variant runs in its own process (one core each; ``--parallel 2`` runs two side by side, so
both see the same load). Its iterations per stage come from a speed probe of that stage (6 steps,
the last 4 timed), so that every variant trains for about ``--minutes`` of wall-clock time; the
table reports the minutes it really took. A row: PSNR / MS-SSIM gain over the blurred input and
OCR CER per split, plus the command that reproduces it. Results: ``lab/bench/results/deblur_recipe.json``
(rows are added or replaced by name, so rounds can run at different times).
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from threading import Lock

from harness import (  # lab/bench/harness.py, beside this script
    bench_name,
    make_record,
    metadata,
    run_child,
    write_record,
)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "lab" / "bench" / "results" / "deblur_recipe.json"
LOG_DIR = ROOT / "runs" / "recipe"
_MERGE = Lock()

MSSSIM4 = {"name": "charbonnier_msssim", "weights": [0.0517, 0.3295, 0.3462, 0.2726]}
DEMO_STAGES = [(8, 64, 0.45), (6, 96, 0.35), (4, 128, 0.20)]  # (batch, patch, share of the wall-clock)
DEMO_PHASES = [("l1", 0.58, False), (MSSSIM4, 0.32, False), (MSSSIM4, 0.10, True)]  # share of the iterations
L1_PHASES = [("l1", 0.90, False), ("l1", 0.10, True)]

# name -> what differs from the demo recipe of lib/configs/deblur.yaml (NAFNet width 16, enc [1,1,1,2],
# AdamW 1e-3, L1 then Charbonnier + MS-SSIM, then all data)
VARIANTS = {
    "baseline": {},
    "baseline_seed1": {"seed": 1},
    "lr2e-3_warmup": {"lr": 2e-3, "warmup": 0.05},
    "l1_only": {"phases": L1_PHASES},
    "ema0.999": {"ema": 0.999},
    "wider_w24_enc1111": {"model": {"width": 24, "enc_blk_nums": [1, 1, 1, 1]}},
    "deeper_w16_enc1124": {"model": {"enc_blk_nums": [1, 1, 2, 4]}},
    "small_patches_16x48": {"stages": [(16, 48, 0.45), (8, 88, 0.35), (6, 112, 0.20)]},
    # Round 3, equal iterations (the demo profile's stages, one process): the demo recipe of today
    # (lr 2e-3 + warm-up) against the same schedule on 4x the training pages, i.e. 4x the distinct blur
    # kernels, noise and lighting draws (the demo set has one kernel per page: 34 training kernels)
    "demo_recipe": {"lr": 2e-3, "warmup": 0.05, "stage_iters": [825, 450, 150]},
    "pages160": {"lr": 2e-3, "warmup": 0.05, "stage_iters": [825, 450, 150], "data": {"n_train": 160}},
}
# Round 4, equal wall-clock on the version-5 data, two seeds each: today's demo recipe (lr 2e-3, 5 % warm-up)
# and what round 1 left open against it: depth, smaller patches in larger batches, L1 without the MS-SSIM phase
ROUND4 = {
    "demo": {},
    "deeper_enc1124": {"model": {"enc_blk_nums": [1, 1, 2, 4]}},
    # 88: the smallest patch the 4-scale MS-SSIM phase takes (11-px window at 1/8 scale)
    "small_patches_16x48": {"stages": [(16, 48, 0.45), (8, 88, 0.35), (6, 112, 0.20)]},
    "l1_only": {"phases": L1_PHASES},
}
for _name, _diff in ROUND4.items():
    for _seed in (0, 1):
        VARIANTS[f"r4_{_name}" + (f"_seed{_seed}" if _seed else "")] = {
            "lr": 2e-3,
            "warmup": 0.05,
            **_diff,
            "seed": _seed,
        }


def variant_options(variant: dict, stage_iters: list[int]) -> dict:
    """Train-option overrides of a variant whose stages get ``stage_iters`` iterations."""
    stages = variant.get("stages", DEMO_STAGES)
    total = sum(stage_iters)
    # the first phase (L1) covers the first stage: MS-SSIM needs the larger patches of later stages
    spec = variant.get("phases", DEMO_PHASES)
    last = max(1, min(round(spec[-1][1] * total), total - stage_iters[0] - 1)) if len(spec) > 2 else 0
    if len(spec) == 1:  # the speed probe: one phase over everything
        lengths = [total]
    elif len(spec) > 2:
        lengths = [stage_iters[0], total - stage_iters[0] - last, last][: len(spec)]
    else:
        lengths = [total - max(1, round(spec[-1][1] * total)), max(1, round(spec[-1][1] * total))]
    phases = [
        {"loss": loss, "iters": n, **({"all_data": True} if all_data else {})}
        for (loss, _, all_data), n in zip(spec, lengths)
    ]
    scheduler = {
        "eta_min": 1e-6,
        **({"warmup_iters": max(1, round(variant["warmup"] * phases[0]["iters"]))} if variant.get("warmup") else {}),
    }
    return {
        "stages": [{"batch_size": b, "patch_size": p, "iters": n} for (b, p, _), n in zip(stages, stage_iters)],
        "phases": phases,
        "scheduler": scheduler,
        "seed": variant.get("seed", 0),
        "optimizer": {"lr": variant.get("lr", 1e-3), "weight_decay": 1e-4, "betas": [0.9, 0.9]},
        "ema": variant.get("ema"),
        "val_every": 10**9,
        "save_every": 10**9,
        "log_every": 25,
    }


def input_rows(root: Path, splits=None) -> list[dict]:
    """The blurred input's rows (the same for every variant), computed once per data set (default
    splits: the evaluation splits)."""
    from lib.tracks.deblur.evaluate import EVAL_SPLITS, readability

    key = json.loads((root / "manifest.json").read_text())["combined_sha256"]
    cache = ROOT / "runs" / "recipe" / f"input-{key[:16]}.json"
    if not cache.is_file():
        rows = readability({}, root, splits or EVAL_SPLITS, reference_pages=False)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{time.time_ns()}.tmp")  # unique: parallel variants may write it at once
        tmp.write_text(json.dumps(rows))
        tmp.replace(cache)
    return json.loads(cache.read_text())


def run_one(name: str, minutes: float) -> dict:
    """Probe, train and score one variant in this process."""
    import numpy as np
    import paddle

    from lib.infer import predict_image
    from lib.paths import data_root
    from lib.tracks import get_track
    from lib.tracks.deblur.evaluate import readability, readability_summary

    paddle.set_device("cpu")
    variant = VARIANTS[name]
    track = get_track("deblur")
    cfg = track.config("demo")
    model = {**track.model_spec(cfg), **variant.get("model", {})}
    if "data" in variant:  # its own generated training set; evaluated on the same pages as the others
        from lib.data.prepare import prepare_patches
        from lib.tracks.deblur.data import ensure_dataset

        source = ensure_dataset("demo", ROOT / "data" / f"deblur-{name}", options=variant["data"])
        prepared = prepare_patches("demo", source=source, track="deblur")
    else:
        prepared = track.prepare("demo")
    stages = variant.get("stages", DEMO_STAGES)
    seconds_per_iter = []
    for batch, patch, _ in [] if "stage_iters" in variant else stages:  # speed probe: 6 steps, the last 4 timed
        with tempfile.TemporaryDirectory() as tmp:
            probe = track.trainer(
                "demo",
                Path(tmp),
                prepared=prepared,
                quiet=True,
                model=model,
                **{
                    **variant_options(
                        {**variant, "stages": [(batch, patch, 1.0)], "phases": [("l1", 1.0, False)]}, [6]
                    ),
                    "log_every": 1,
                },
            )
            history = probe.fit()
            secs = [r["seconds"] for r in history if "loss" in r]
            seconds_per_iter.append((secs[-1] - secs[1]) / 4)
    budget = minutes * 60
    stage_iters = variant.get("stage_iters") or [
        max(1, int(share * budget / s)) for (_, _, share), s in zip(stages, seconds_per_iter)
    ]
    options = variant_options(variant, stage_iters)
    out = ROOT / "runs" / "recipe" / name
    if out.exists():
        import shutil

        shutil.rmtree(out)
    trainer = track.trainer("demo", out, prepared=prepared, quiet=True, model=model, **options)
    start = time.perf_counter()
    trainer.fit()
    train_minutes = (time.perf_counter() - start) / 60
    net = track.load_model(trainer.last_path)  # the weight average where the variant keeps one
    root = data_root("deblur", "demo")
    rows = readability({"model": lambda x: predict_image(net, x)}, root, reference_pages=False, input_rows=False)
    rows += input_rows(root)
    params = int(sum(np.prod(p.shape) for p in net.parameters()))
    return {
        "name": name,
        "variant": variant,
        "params": params,
        "stage_iters": stage_iters,
        "seconds_per_iter": [round(s, 3) for s in seconds_per_iter],
        "train_minutes": round(train_minutes, 2),
        "iterations": sum(stage_iters),
        "rows": rows,
        "summary": readability_summary(rows, "model"),
        "command": f".venv/bin/python lab/bench/bench_deblur_recipe.py --only {name} --minutes {minutes:g}",
        "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
    }


def table(results: list[dict]) -> str:
    lines = [
        "| variant | params | iters | train min | test_A dB gain | MS-SSIM | CER in -> out | held-out dB gain | "
        "CER in -> out | scan dB gain | CER in -> out |",
        "|" + "---|" * 11,
    ]
    for r in results:
        by = {(row["split"], row["method"]): row for row in r["rows"]}
        cells = [r["name"], f"{r['params']:,}", str(r["iterations"]), f"{r['train_minutes']:.1f}"]
        for split in ("test_A", "heldout", "scans"):
            inp, out = by.get((split, "blurred input")), by.get((split, "model"))
            if not inp:
                cells += ["-", "-"] + (["-"] if split == "test_A" else [])
                continue
            cells.append(f"{out['psnr'] - inp['psnr']:+.2f}")
            if split == "test_A":
                cells.append(f"{out['ms_ssim']:.4f}")
            cells.append(f"{inp.get('cer', float('nan')):.3f} -> {out.get('cer', float('nan')):.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def launch(name: str, minutes: float) -> dict | None:
    """One variant in its own process (``--run``); its result, or None (its log says why)."""
    log = LOG_DIR / f"{name}.log"
    result, code = run_child([__file__, "--run", name, "--minutes", minutes], log, ROOT)
    if result is None:
        print(f"{name}: failed (exit {code}), see {log}", flush=True)
        return None
    print(f"{name}: done in {result['train_minutes']:.1f} min, {result['summary']}", flush=True)
    with _MERGE:  # saved as each variant ends: a long round stopped early keeps what it measured
        merge_results([result])
    return result


def merge_results(done: list[dict]) -> list[dict]:
    """Add or replace ``done`` by name in RESULTS (written atomically); every run, in VARIANTS order."""
    previous = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"runs": []}
    runs = {r["name"]: r for r in previous["runs"]}
    runs.update({r["name"]: r for r in done})
    ordered = [runs[n] for n in VARIANTS if n in runs]
    write_record(RESULTS, make_record(metadata(bench_name(__file__)), {"runs": ordered}))
    return ordered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=7.0, help="training wall-clock per variant")
    parser.add_argument("--parallel", type=int, default=2, help="variants at once (one core each)")
    parser.add_argument("--only", default=None, help="comma-separated variant names (default: all)")
    parser.add_argument("--run", default=None, help=argparse.SUPPRESS)  # internal: one variant, JSON to stdout
    args = parser.parse_args()
    if args.run:
        print("RESULT " + json.dumps(run_one(args.run, args.minutes)), flush=True)
        return 0
    names = args.only.split(",") if args.only else list(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; known: {', '.join(VARIANTS)}")
    with ThreadPoolExecutor(args.parallel) as pool:
        done = [r for r in pool.map(lambda n: launch(n, args.minutes), names) if r]
    print(table(merge_results([])))
    return 0 if len(done) == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
