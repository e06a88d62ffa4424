"""What a learner's own MIRNetV2 run reaches in the minutes notebook 07 has: experiment overlays
(lab/tracks/denoise/overlays/) trained from scratch and scored on the held-out scenes against the noisy input
and the tuned non-local means (the best classical method there).

    nice -n 5 .venv/bin/python lab/bench/bench_denoise_budget.py denoise/02_f16 --nproc 2
    nice -n 5 .venv/bin/python lab/bench/bench_denoise_budget.py denoise/02_f16 --score-only   # a run already trained

(In a git worktree whose environment is installed editable from another checkout, set PYTHONPATH to the
worktree, so that this script imports the worktree's lib.)

Each overlay trains with ``python -m lab.experiments.train <name> --fresh`` in a child process (``--nproc``
data-parallel processes). Its cost is the CPU time of that child and everything it started (user + sys, from
``getrusage(RUSAGE_CHILDREN)``), so a loaded machine does not inflate it; the idle wall time on 2 cores is
estimated as CPU seconds / min(processes, 2) (one Paddle training process keeps one core busy), plus nothing for
waiting. The run's published choice (best validated weights, else the last) and its last weights are scored on
test/Data: PSNR and SSIM overall and per ISO. The references (input, NL-means tuned on the validation patches
as lib.tracks.denoise.track.evaluate tunes it) are computed once and kept in the record. Results merge by
overlay name, seed and machine into lab/bench/results/denoise_budget.json.
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from harness import bench_name, machine, make_record, metadata, write_record  # lab/bench/harness.py, beside this script

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "lab" / "bench" / "results" / "denoise_budget.json"
CLASSICAL = "NL-means (skimage)"  # the best classical method on test/Data (checkpoints/denoise_mirnetv2_demo)
CORES = 2


def child_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def train(name: str, nproc: int, seed: int) -> dict:
    """Train overlay ``name`` from scratch in a child process; its CPU and wall seconds."""
    cmd = [sys.executable, "-m", "lab.experiments.train", name, "--fresh", "--seed", str(seed), "--profile", "demo"]
    cmd += [f"--nproc={nproc}"] if nproc > 1 else []
    cpu, start = child_cpu_seconds(), time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True)
    cost = {"cpu_seconds": child_cpu_seconds() - cpu, "wall_seconds": time.perf_counter() - start, "nproc": nproc}
    # kept beside the run, so that a scoring that fails does not lose it
    (run_folder(name, seed) / "cost.json").write_text(json.dumps(cost) + "\n", encoding="utf-8")
    return cost


def run_folder(name: str, seed: int) -> Path:
    from lab.experiments.config import load_overlay
    from lib.paths import RUNS_DIR

    scale = (load_overlay(name).get("candidate") or {}).get("schedule_scale")
    return RUNS_DIR / "experiments" / f"{name}-s{seed}{'' if not scale else f'-x{scale:g}'}" / "train"


def run_key(run: dict) -> tuple:
    """A run's place in the record: its overlay, seed and machine (the same seed trains differently on another CPU;
    runs recorded before machines were kept have none)."""
    return run["name"], run["seed"], json.dumps(run.get("machine"), sort_keys=True)


def test_images():
    from lib.data.pairs import read_image
    from lib.paths import data_root
    from lib.tracks.denoise.data import scene_iso, test_scenes

    _, scenes = test_scenes(data_root("denoise", "demo"))
    return [(scene_iso(name), read_image(n), read_image(g)) for name, n, g in scenes]


def references(images) -> dict:
    """PSNR / SSIM of the noisy input and of NL-means tuned on the validation patches (as
    lib.tracks.denoise.track.evaluate tunes it), overall and per ISO."""
    from lib.data.pairs import read_image
    from lib.tracks import get_track
    from lib.tracks.denoise import baselines
    from lib.tracks.denoise.track import TUNE_MAX_IMAGES, spread

    prepared = get_track("denoise").prepare("demo")
    tuning = [(read_image(n), read_image(g)) for n, g in spread(prepared.pairs("val"), TUNE_MAX_IMAGES)]
    params, _ = baselines.tune(CLASSICAL, tuning)
    fn = baselines.METHODS[CLASSICAL][0]
    return {
        "input": {"method": "noisy input", **scores(images, lambda x: x)},
        "classical": {"method": CLASSICAL, "params": params, **scores(images, lambda x: fn(x, **params))},
    }


def scores(images, restore) -> dict:
    """Mean PSNR and SSIM of ``restore`` over (iso, noisy, clean) images, and PSNR per ISO."""
    import numpy as np

    from lib.metrics import psnr, ssim

    rows = [(iso, psnr(out, c), ssim(out, c)) for iso, n, c in images for out in [restore(n)]]
    isos = sorted({r[0] for r in rows})
    return {
        "psnr": float(np.mean([r[1] for r in rows])),
        "ssim": float(np.mean([r[2] for r in rows])),
        "psnr_by_iso": {str(i): float(np.mean([r[1] for r in rows if r[0] == i])) for i in isos},
    }


def score(path: Path, images) -> dict:
    """PSNR / SSIM of the checkpoint ``path`` on the held-out images, overall and per ISO."""
    from lib.infer import predict_image
    from lib.tracks import get_track

    model = get_track("denoise").load_model(path)
    scored = scores(images, lambda x: predict_image(model, x))
    return {"checkpoint": path.name, "iteration": model.checkpoint_iteration, **scored}


def describe(folder: Path) -> dict:
    """What the run trained: its model, stages, optimizer and scheduler (from the options it saved)."""
    import yaml

    opts = yaml.safe_load((folder.parent / "options.yaml").read_text(encoding="utf-8"))
    train, model = opts["train"]["demo"], opts["model"]["demo"]
    return {
        "model": model,
        "stages": train["stages"],
        "lr": train["optimizer"]["lr"],
        "iterations": sum(s["iters"] for s in train["stages"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+", help="overlays, e.g. denoise/02_f16")
    parser.add_argument("--nproc", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--score-only", action="store_true", help="score a run trained before (cost kept)")
    args = parser.parse_args()
    previous = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.is_file() else {}
    runs = {run_key(r): r for r in previous.get("runs", [])}
    images = test_images()
    refs = previous.get("references") or references(images)
    for name in args.names:
        folder = run_folder(name, args.seed)
        if args.score_only:
            saved = folder / "cost.json"
            same = runs.get(run_key({"name": name, "seed": args.seed, "machine": machine()}), {})
            cost = json.loads(saved.read_text(encoding="utf-8")) if saved.is_file() else same.get("cost")
        else:
            cost = train(name, args.nproc, args.seed)
        if cost:
            cost["idle_minutes_2_cores"] = round(cost["cpu_seconds"] / min(cost["nproc"], CORES) / 60, 2)
        published = folder / "best.pdparams" if (folder / "best.pdparams").is_file() else folder / "last.pdparams"
        result = {
            "name": name,
            "seed": args.seed,
            **describe(folder),
            "cost": cost,
            "published": score(published, images),
            "last": score(folder / "last.pdparams", images),
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "machine": machine(),  # runs of one record may come from different machines (and train differently)
        }
        for which in ("published", "last"):
            s = result[which]
            s["vs_input"] = s["psnr"] - refs["input"]["psnr"]
            s["vs_classical"] = s["psnr"] - refs["classical"]["psnr"]
        runs[run_key(result)] = result
        figures = {
            "question": "what a from-scratch run of notebook 07 reaches in its minutes, against input and NL-means",
            "references": refs,
            "runs": sorted(runs.values(), key=lambda r: (r["name"], r["seed"])),
        }
        write_record(RESULTS, make_record(metadata(bench_name(__file__)), figures))
        p = result["published"]
        minutes = cost["idle_minutes_2_cores"] if cost else float("nan")
        print(
            f"{name} seed {args.seed}: ~{minutes:.1f} idle min on 2 cores, {p['psnr']:.2f} dB "
            f"({p['vs_input']:+.2f} vs input, {p['vs_classical']:+.2f} vs {CLASSICAL}); "
            f"last weights {result['last']['psnr']:.2f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
