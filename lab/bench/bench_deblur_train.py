"""Training speed of the demo configuration on this machine, and how much of a step waits for data.

For each demo stage (batch x patch, with its phase's loss) it runs ``--iters`` iterations of the
real engine pieces (KeyedPatchDataset + DataLoader + NAFNet + AdamW) after 3 warm-up iterations,
timing separately the wait for the next batch and the compute (forward, backward, step).
Writes lab/bench/results/deblur_train.json.

    .venv/bin/python lab/bench/bench_deblur_train.py             # about 3 minutes on 2 cores
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import time
from pathlib import Path

import paddle
from harness import bench_name, run  # lab/bench/harness.py, beside this script

from lib.config import load_config
from lib.tracks.deblur.track import TRACK
from lib.train.data import KeyedPatchDataset, make_loader
from lib.train.registry import build_loss, build_model
from lib.train.schedule import PiecewiseSchedule

RESULTS = Path(__file__).resolve().parent / "results" / "deblur_train.json"


def time_stage(model, optimizer, pairs, stage, loss_spec, iters, num_workers):
    dataset = KeyedPatchDataset(pairs, stage["patch_size"], seed=0)
    loader = iter(make_loader(dataset, 0, iters + 3, stage["batch_size"], num_workers))
    criterion = build_loss(loss_spec)
    wait = compute = 0.0
    for i in range(iters + 3):
        t0 = time.perf_counter()
        blur, gt = next(loader)
        t1 = time.perf_counter()
        loss = criterion(model(blur), gt)
        loss.backward()
        optimizer.step()
        optimizer.clear_grad()
        float(loss)
        t2 = time.perf_counter()
        if i >= 3:
            wait, compute = wait + t1 - t0, compute + t2 - t1
    step = (wait + compute) / iters
    return {
        "batch_size": stage["batch_size"],
        "patch_size": stage["patch_size"],
        "loss": loss_spec if isinstance(loss_spec, str) else loss_spec["name"],
        "iterations_per_second": 1 / step,
        "images_per_second": stage["batch_size"] / step,
        "data_wait_share": wait / (wait + compute),
        "num_workers": num_workers,
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=15)
    parser.add_argument("--num-workers", type=int, default=0)
    args = parser.parse_args(argv)
    return run(bench_name(__file__), lambda: measure_stages(args), RESULTS, argv)


def measure_stages(args) -> dict:
    """The figures: each demo stage's speed and the share of a step spent waiting for data."""
    cfg = load_config("deblur", "demo")
    data = TRACK.train_data(TRACK.prepare("demo"))
    model = build_model({"name": "nafnet", **cfg["model"]})
    optimizer = paddle.optimizer.AdamW(learning_rate=1e-4, parameters=model.parameters())
    phases = PiecewiseSchedule(cfg["train"]["phases"], "phases")
    rows, start = [], 0
    for stage in cfg["train"]["stages"]:
        loss = phases.at(start).options["loss"]
        rows.append(time_stage(model, optimizer, data.train, stage, loss, args.iters, args.num_workers))
        start += stage["iters"]
        r = rows[-1]
        print(
            f"batch {r['batch_size']} x {r['patch_size']} ({r['loss']}): {r['iterations_per_second']:.2f} it/s, "
            f"{r['images_per_second']:.1f} img/s, waiting for data {100 * r['data_wait_share']:.1f}%"
        )
    total = sum(s["iters"] / r["iterations_per_second"] for s, r in zip(cfg["train"]["stages"], rows))
    print(
        f"demo schedule ({sum(s['iters'] for s in cfg['train']['stages'])} iterations): "
        f"~{total / 60:.1f} min of training steps"
    )
    return {"stages": rows, "demo_schedule_minutes": total / 60}


if __name__ == "__main__":
    main()
