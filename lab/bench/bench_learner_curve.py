"""The learner's run of notebooks 08 and 09 (你的模型): one experiment (an overlay of
lab/tracks/<track>/overlays/) trained from random weights in chunks, the model scored after each chunk on the
held-out set against the input and the best classical method, where the notebook scores it. The curve of idle
minutes on 2 cores against dB, and so how long a recipe needs to beat the classical method.

    nice -n 5 .venv/bin/python lab/bench/bench_learner_curve.py retouch/01_demo_short --chunk 50
    nice -n 5 .venv/bin/python lab/bench/bench_learner_curve.py deocclusion/01_demo_short --chunk 10
    nice -n 5 .venv/bin/python lab/bench/bench_learner_curve.py retouch/07_patch128_480 --chunk 480 --nproc 2

Minutes: the training's CPU seconds over the 2 cores of the course's machine, the idle wall time a learner waits (the
machine it ran on was shared: its wall time is recorded too, not used). The scoring is not counted.
- ``--nproc 1`` (default): the training runs in this process (the engine's loader too, num_workers 0), its CPU time.
- ``--nproc N``: each chunk is ``python -m lib.train --nproc N --iters CHUNK`` (data-parallel processes, resuming the
  run folder), as the notebook trains; the CPU time of all its processes (the launcher's too), each chunk paying a
  start-up, so a whole run is one chunk (``--chunk`` = its iterations).
- retouch: test_A (the held-out face), PSNR inside the painted blemishes (and outside, overall); the classical
  methods tuned on val once (lib.tracks.retouch.evaluate.compare_retouch), the model scored at each point.
- deocclusion: test_A, PSNR inside the true mask (and on the page), every method over the SHIPPED segmenter's
  predicted masks (the learner's run is the inpainter; its masks and the classical methods' are the same).
Runs go to runs/learner_curve/<track>-<name>; the record to lab/bench/results/learner_curve_<track>_<name>.json.
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from harness import bench_name, make_record, metadata, write_record  # lab/bench/harness.py, beside this script

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "lab" / "bench" / "results"
CORES = 2  # the course's machine: idle wall time = CPU seconds / 2 (the training's threads use both)


def retouch_scorer(track, profile: str):
    """(reference rows, score(model) -> the model's row, region key) for the retouching track."""
    from lib.infer import predict_image
    from lib.tracks.retouch.evaluate import baseline_grids, compare_retouch, score_method

    test, val = track.evaluation_sets(profile)
    reference = compare_retouch(test, val, baseline_grids(track.config(profile)["evaluate"]), None)

    def score(model):
        model.eval()
        return score_method(lambda x: predict_image(model, x), test)

    return reference, score, "psnr_inside"


def deocclusion_scorer(track, profile: str):
    """The same for the de-occlusion inpainter: every method over the shipped segmenter's masks."""
    import numpy as np

    from lib.metrics import region_psnr
    from lib.tracks import get_track
    from lib.tracks.deocclusion.data import list_samples, load_sample
    from lib.tracks.deocclusion.deployment import seg_input_size
    from lib.tracks.deocclusion.repair import (
        PSNR_CAP,
        RepairOptions,
        dygraph_runner,
        network_inpainter,
        opencv_inpaint_page,
        page_mask,
        repair_page,
    )

    cfg = track.config(profile)
    repair, radius = RepairOptions.from_config(cfg["repair"]), cfg["evaluate"]["opencv_radius"]
    seg_track = get_track("deocclusion_seg")
    seg = seg_track.load_model(seg_track.shipped_dir / "model.pdparams")
    photos = []
    for s in list_samples(track.data_root(profile) / "test_A")[: cfg["evaluate"]["max_photos"] or None]:
        image, gt, true = load_sample(s)
        photos.append(
            (image, gt, true, page_mask(dygraph_runner(seg), image, seg_input_size(seg, cfg), repair, levels=True))
        )

    def mean_scores(restore) -> dict:
        outs = [(restore(image, pred), gt, true) for image, gt, true, pred in photos]
        return {
            "psnr": float(np.mean([region_psnr(o, g, cap=PSNR_CAP) for o, g, _ in outs])),
            "psnr_mask": float(np.mean([region_psnr(o, g, t, cap=PSNR_CAP) for o, g, t in outs])),
        }

    reference = [
        {"method": "occluded input", **mean_scores(lambda image, pred: image)},
        *(
            {
                "method": name,
                **mean_scores(
                    lambda image, pred, how=how: opencv_inpaint_page(image, pred, how, radius, dilate=repair.dilate)
                ),
            }
            for name, how in (("OpenCV Telea", "telea"), ("OpenCV Navier-Stokes", "ns"))
        ),
    ]

    def score(model):
        model.eval()
        inpaint = network_inpainter(model)
        return mean_scores(lambda image, pred: repair_page(image, pred, inpaint, repair))

    return reference, score, "psnr_mask"


SCORERS = {"retouch": retouch_scorer, "deocclusion": deocclusion_scorer}


def children_cpu_seconds() -> float:
    """User + system CPU seconds of this process's finished children (and theirs, once waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def train_in_processes(track_name: str, options: Path, out: Path, profile: str, nproc: int, chunk: int) -> None:
    """``chunk`` more iterations of the run in ``out`` by ``python -m lib.train`` in ``nproc`` processes."""
    from lab.experiments.train import importable_in_children

    importable_in_children()  # the ranks run lib/train/__main__.py by path and import lab's extensions
    cmd = [sys.executable, "-m", "lib.train", "--config", track_name, "--options", str(options), "--out", str(out)]
    cmd += ["--profile", profile, "--nproc", str(nproc), "--iters", str(chunk)]
    subprocess.run(cmd, check=True, cwd=ROOT, env=os.environ, stdout=subprocess.DEVNULL)


def measure(name: str, chunk: int, profile: str, seed: int, nproc: int = 1) -> dict:
    import paddle

    from lab.experiments.config import load_overlay, write_options
    from lib.tracks import get_track
    from lib.train.__main__ import with_options_file

    paddle.set_device("cpu")
    track_name = name.partition("/")[0]
    out = ROOT / "runs" / "learner_curve" / name.replace("/", "-")
    shutil.rmtree(out, ignore_errors=True)  # from random weights, every time
    options = write_options(name, out / "options.yaml", seed)
    track = with_options_file(get_track(track_name), options, profile)
    track.generate_data(profile)  # made once, kept (deterministic for its seed)
    reference, score, region = SCORERS[track_name](track, profile)
    inputs = reference[0]
    best = max(reference[1:], key=lambda r: r[region])
    trainer = track.trainer(profile, out / "train", quiet=True)
    points, cpu, wall = [], 0.0, 0.0
    while trainer.iteration < trainer.total_iters:
        c0, w0 = time.process_time() + children_cpu_seconds(), time.perf_counter()
        if nproc > 1:
            train_in_processes(track_name, options, out / "train", profile, nproc, chunk)
            trainer.resume()  # the state the processes saved: its iteration
        else:
            trainer.fit(stop_after=chunk)
        cpu = cpu + time.process_time() + children_cpu_seconds() - c0
        wall = wall + time.perf_counter() - w0
        row = score(track.load_model(trainer.last_path))
        points.append(
            {
                "iteration": trainer.iteration,
                "train_cpu_s": round(cpu, 1),
                "idle_minutes": round(cpu / CORES / 60, 3),
                "wall_minutes_shared": round(wall / 60, 3),
                **row,
                "vs_input_db": row[region] - inputs[region],
                "vs_best_classical_db": row[region] - best[region],
            }
        )
        print(
            f"{trainer.iteration:>5} it  {cpu / CORES / 60:5.2f} idle min  {region} {row[region]:.3f} dB  "
            f"vs {best['method']} {row[region] - best[region]:+.3f}",
            flush=True,
        )
    first_win = next((p for p in points if p["vs_best_classical_db"] > 0 and p["vs_input_db"] > 0), None)
    return {
        "experiment": name,
        "overlay": load_overlay(name),
        "profile": profile,
        "seed": seed,
        "nproc": nproc,
        "cores": CORES,
        "region": region,
        "reference": reference,
        "best_classical": best["method"],
        "points": points,
        "first_win_idle_minutes": first_win["idle_minutes"] if first_win else None,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="<track>/<overlay>, e.g. retouch/01_demo_short")
    parser.add_argument("--chunk", type=int, default=50, help="iterations between two scores")
    parser.add_argument("--profile", default="demo")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--nproc", type=int, default=1, help="training processes (>1: python -m lib.train per chunk)")
    args = parser.parse_args(argv)
    meta = metadata(bench_name(__file__), argv)
    record = make_record(meta, measure(args.name, args.chunk, args.profile, args.seed, args.nproc))
    track, _, stem = args.name.partition("/")
    write_record(RESULTS / f"learner_curve_{track}_{stem}.json", record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
