"""Training pixels per second of the demo deblur NAFNet, before and after, side by side in one run.

    .venv/bin/python lab/bench/bench_deblur_train_cores.py [--iters 30] [--stages 0,1,2]

Three variants of the same engine run (lib.train: KeyedPatchDataset, the task's step, AdamW,
cosine schedule), one demo stage at a time, one after the other so they see the same machine:

* ``before``: one process, NAFNet's per-channel bias/scale broadcast over NCHW (the code before
  the per-channel fix; ``lib.models.channel_ops.broadcast_channel_ops``);
* ``1 process``: one process, the per-channel ops over an (N, C, H*W) view (lib.models.nafnet);
* ``2 processes``: the same in two data-parallel processes under ``paddle.distributed.launch``
  (what ``make train`` and notebook 03 use in the demo profile), each drawing its own batch.

Pixels per second = processes x batch x patch^2 x iterations / seconds, timed from the 6th
iteration on (the first ones pay for start-up). Writes lab/bench/results/deblur_train_cores.json.
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import bench_name, run  # lab/bench/harness.py, beside this script

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "lab" / "bench" / "results" / "deblur_train_cores.json"
SKIP = 5


def worker(stage_index: int, iters: int, before: bool, out: Path) -> None:
    """Train ``iters`` iterations of one demo stage; rank 0 prints the timed seconds."""
    import contextlib

    import paddle

    from lib.models.channel_ops import broadcast_channel_ops
    from lib.tracks import get_track

    paddle.set_device("cpu")
    if paddle.distributed.get_world_size() > 1:
        paddle.distributed.init_parallel_env()
    track = get_track("deblur")
    cfg = track.config("demo")
    stage = dict(cfg["train"]["stages"][stage_index], iters=iters)
    phase = cfg["train"]["phases"][0 if stage_index == 0 else 1]
    trainer = track.trainer(
        "demo",
        out,
        prepared=track.prepare("demo"),
        quiet=True,
        stages=[stage],
        phases=[{"loss": phase["loss"], "iters": iters}],
        val_every=10**9,
        save_every=10**9,
        log_every=1,
        scheduler={"eta_min": 1e-6},
    )
    with broadcast_channel_ops() if before else contextlib.nullcontext():
        history = trainer.fit()
    seconds = [r["seconds"] for r in history if "loss" in r]
    if trainer.rank == 0:
        print(
            "TIMED "
            + json.dumps(
                {
                    "seconds": seconds[-1] - seconds[SKIP - 1],
                    "iters": iters - SKIP,
                    "batch": stage["batch_size"],
                    "patch": stage["patch_size"],
                }
            ),
            flush=True,
        )


def measure(variant: str, stage_index: int, iters: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        args = [__file__, "--worker", str(stage_index), "--iters", str(iters), "--out", f"{tmp}/run"]
        nproc = 2 if variant == "2 processes" else 1
        if variant == "before":
            args.append("--before")
        if nproc > 1:
            cmd = [
                sys.executable,
                "-m",
                "paddle.distributed.launch",
                "--nproc_per_node",
                "2",
                "--log_dir",
                f"{tmp}/logs",
                *args,
            ]
        else:
            cmd = [sys.executable, *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        text = proc.stdout + (Path(tmp, "logs", "workerlog.0").read_text() if nproc > 1 else "")
        timed = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("TIMED ")]
        if proc.returncode or not timed:
            raise RuntimeError(f"{variant} stage {stage_index} failed: {proc.stderr[-2000:]}{text[-2000:]}")
    t = timed[-1]
    pixels = nproc * t["batch"] * t["patch"] ** 2 * t["iters"]
    return {
        "variant": variant,
        "stage": stage_index,
        "batch_per_process": t["batch"],
        "patch": t["patch"],
        "processes": nproc,
        "seconds_per_iter": t["seconds"] / t["iters"],
        "pixels_per_second": pixels / t["seconds"],
        "images_per_second": nproc * t["batch"] * t["iters"] / t["seconds"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=30)
    parser.add_argument("--stages", default="0,1,2")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--before", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker, args.iters, args.before, args.out)
        return 0
    rows = run(bench_name(__file__), lambda: measure_variants(args), RESULTS)["rows"]
    print("| stage (batch x patch per process) | variant | s / iteration | pixels / s | images / s | vs before |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['stage']} ({r['batch_per_process']} x {r['patch']}) | {r['variant']} | "
            f"{r['seconds_per_iter']:.3f} | {r['pixels_per_second']:,.0f} | {r['images_per_second']:.1f} | "
            f"{r['speedup_vs_before']:.2f}x |"
        )
    return 0


def measure_variants(args) -> dict:
    """The figures: each stage's speed before the per-channel fix, after it, and in two processes."""
    rows = []
    for stage in (int(s) for s in args.stages.split(",")):
        for variant in ("before", "1 process", "2 processes"):
            start = time.perf_counter()
            rows.append(measure(variant, stage, args.iters))
            r = rows[-1]
            print(
                f"stage {stage} {variant:<12} {r['seconds_per_iter']:.3f} s/it  {r['pixels_per_second']:>9,.0f} px/s  "
                f"{r['images_per_second']:.1f} img/s  ({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
    for stage in sorted({r["stage"] for r in rows}):
        base = next(r for r in rows if r["stage"] == stage and r["variant"] == "before")["pixels_per_second"]
        for r in rows:
            if r["stage"] == stage:
                r["speedup_vs_before"] = r["pixels_per_second"] / base
    return {"iters": args.iters, "rows": rows}


if __name__ == "__main__":
    sys.exit(main())
