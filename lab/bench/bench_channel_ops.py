"""Training pixels per second of every track's demo network in each mode of its per-channel ops.

    .venv/bin/python lab/bench/bench_channel_ops.py [--steps 8] [--stage 0] [--tracks deblur ...] \
        [--out lab/bench/results/channel_ops.json]

The modes of lib.models.channel_ops (``broadcast``: plain NCHW broadcasting, what every network but NAFNet did
before; ``view``: every per-channel op over an (N, C, H*W) view, NAFNet's first fix; ``expand``: the default) change
no number (tests/test_channel_ops.py); this measures what each buys on each track's demo network at its first demo
stage's batch x patch (config ``train.stages[--stage]``): one training step (forward, backward, AdamW) on a fixed
random batch, L1 to a random target (the step returns its loss), the modes interleaved step by step so all see the
same machine load, the median of ``--steps``; and, round by round, the speed-up of ``expand`` over each other mode (the
median of the per-round ratios with its 95 % bootstrap interval: the steps of one round share the machine's load).
DeepFillv2's step is its generator (L1 on the coarse and the refined output) plus its discriminator's hinge loss on
the refined output, one optimizer over both: the layers
of the GAN's two steps, not its exact schedule.
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import paddle
import paddle.nn.functional as F
from harness import bench_name, run  # lab/bench/harness.py, beside this script

from lib.config import load_config
from lib.models.channel_ops import CHANNEL_OPS_MODES, channel_ops_mode
from lib.tracks import get_track
from lib.train.registry import build_model

RESULTS = Path(__file__).resolve().parent / "results" / "channel_ops.json"
TRACKS = ("deblur", "retouch", "denoise", "sdwnet", "deocclusion")


def training_step(track: str, stage_index: int = 0):
    """The demo network of ``track``, the batch shape of its demo stage ``stage_index`` (its last if it has fewer)
    and a step function."""
    cfg = load_config(track, "demo")
    spec = get_track(track).model_spec(cfg)  # what the track's training builds
    stages = cfg["train"]["stages"]
    stage = stages[min(stage_index, len(stages) - 1)]
    shape = (stage["batch_size"], 3, stage["patch_size"], stage["patch_size"])
    rng = np.random.default_rng(0)
    x, y = (paddle.to_tensor(rng.random(shape, dtype=np.float32)) for _ in range(2))
    paddle.seed(0)
    if track == "deocclusion":
        gen, disc = build_model(spec["generator"]), build_model(spec["discriminator"])
        mask = paddle.to_tensor((rng.random((shape[0], 1) + shape[2:]) > 0.8).astype(np.float32))
        nets = [gen, disc]

        def loss_fn():
            coarse, refined = gen(x, mask)
            return F.l1_loss(coarse, y) + F.l1_loss(refined, y) + F.relu(1.0 + disc(refined, mask)).mean()
    else:
        net = build_model(spec)
        nets = [net]

        def loss_fn():
            return F.l1_loss(net(x), y)

    for net in nets:
        net.train()
    params = [p for net in nets for p in net.parameters()]
    optimizer = paddle.optimizer.AdamW(learning_rate=1e-4, parameters=params, weight_decay=1e-4)

    def step():
        loss = loss_fn()
        loss.backward()
        optimizer.step()
        optimizer.clear_grad()
        return loss

    return type(nets[0]).__name__, shape, step


def measure(track: str, steps: int, stage_index: int = 0) -> dict:
    network, shape, step = training_step(track, stage_index)
    pixels = shape[0] * shape[2] * shape[3]
    times = {mode: [] for mode in CHANNEL_OPS_MODES}
    for mode in CHANNEL_OPS_MODES:  # warm-up
        with channel_ops_mode(mode):
            step(), step()
    for k in range(steps):  # interleaved, each round starting one mode later: no mode always runs first or last
        for mode in CHANNEL_OPS_MODES[k % 3 :] + CHANNEL_OPS_MODES[: k % 3]:
            with channel_ops_mode(mode):
                start = time.perf_counter()
                step()
                times[mode].append(time.perf_counter() - start)
    rows = {
        mode: {
            "seconds_per_step": float(np.median(t)),
            "training_pixels_per_second": pixels / float(np.median(t)),
            "seconds_all": [round(s, 4) for s in t],
        }
        for mode, t in times.items()
    }
    px = {mode: row["training_pixels_per_second"] for mode, row in rows.items()}
    return {
        "network": network,
        "batch": list(shape),
        "modes": rows,
        "expand_vs_broadcast": px["expand"] / px["broadcast"],
        "expand_vs_view": px["expand"] / px["view"],
        "paired": {
            f"expand_vs_{other}": paired_speedup(times[other], times["expand"]) for other in ("broadcast", "view")
        },
    }


def paired_speedup(before, after, confidence: float = 0.95) -> dict:
    """How much faster ``after`` ran than ``before``, round by round (both timed in the same round, so the load they
    saw is shared): the median of the per-round ratios with its percentile bootstrap interval over rounds."""
    from scipy.stats import bootstrap

    ratios = np.asarray(before) / np.asarray(after)
    ci = bootstrap(
        (ratios,),
        np.median,
        confidence_level=confidence,
        n_resamples=10000,
        method="percentile",
        random_state=np.random.default_rng(0),
    ).confidence_interval
    return {
        "median": float(np.median(ratios)),
        "low": float(ci.low),
        "high": float(ci.high),
        "rounds": int(ratios.size),
    }


def speedup_text(speedup: dict) -> str:
    """``x1.07 [1.03, 1.12]`` for a :func:`paired_speedup` result."""
    return f"x{speedup['median']:.2f} [{speedup['low']:.2f}, {speedup['high']:.2f}]"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="paddle.base.core.set_num_threads (CPU math threads)")
    parser.add_argument("--tracks", nargs="+", default=list(TRACKS), choices=TRACKS)
    parser.add_argument(
        "--stage",
        type=int,
        default=0,
        help="the demo stage whose batch x patch to time (a track's last if it has fewer)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    paddle.set_device("cpu")
    paddle.base.core.set_num_threads(args.threads)
    return run(bench_name(__file__), lambda: measure_tracks(args), args.out, argv)


def measure_tracks(args) -> dict:
    """The figures: every track's step in each channel-ops mode."""
    result = {
        "threads": args.threads,
        "steps": args.steps,
        "load_average_at_start": list(os.getloadavg()),
        "tracks": {},
    }
    for track in args.tracks:
        result["tracks"][track] = row = measure(track, args.steps, args.stage)
        px = "  ".join(f"{mode} {row['modes'][mode]['training_pixels_per_second']:8,.0f}" for mode in CHANNEL_OPS_MODES)
        paired = "; ".join(f"{name.replace('_', ' ')} per round {speedup_text(p)}" for name, p in row["paired"].items())
        print(
            f"{track:12s} {row['network']:15s} {'x'.join(map(str, row['batch'])):12s} px/s: {px}; expand vs broadcast "
            f"x{row['expand_vs_broadcast']:.2f}, vs view x{row['expand_vs_view']:.2f}; {paired}",
            flush=True,
        )
    result["load_average_at_end"] = list(os.getloadavg())
    return result


if __name__ == "__main__":
    main()
    sys.exit(0)
