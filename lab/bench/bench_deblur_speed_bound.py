"""How much faster could a demo training step of the deblur NAFNet get without touching its convolutions?

After the per-channel fix (bench_deblur_train_profile.py) a step is about half convolutions (depthwise
and dense) and half elementwise work (LayerNorm, SimpleGate and SCA products, the beta/gamma scales,
adds). Rewriting the elementwise work in an equivalent form (fused, in place, NHWC) can at best make
it free. This bench measures that best case directly: the same network with every NAFBlock reduced
to its convolutions and residual adds (no LayerNorm, the gate's first half instead of the product,
no SCA, no beta/gamma scales; *not* the same math, a bound), against the network as trained, on
each demo stage at one process's batch, one thread, steps interleaved so both see the same load.

If the bound is below 2x, no equivalent rewrite of the elementwise ops reaches 2x; what is left is
the convolutions, whose equivalent forms bench_depthwise.py measured (slower).

    .venv/bin/python lab/bench/bench_deblur_speed_bound.py      # ~3 minutes on an idle core

Writes lab/bench/results/deblur_speed_bound.json.
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

import numpy as np
import paddle
from harness import bench_name, run  # lab/bench/harness.py, beside this script

from lib.config import load_config
from lib.models.nafnet import NAFBlock
from lib.train.registry import build_loss, build_model

RESULTS = Path(__file__).resolve().parent / "results" / "deblur_speed_bound.json"


def convolutions_only(self, inp):
    """NAFBlock.forward with only its convolutions and residual adds (same tensors' shapes)."""
    x = self.conv2(self.conv1(inp)).chunk(2, axis=1)[0]
    y = inp + self.conv3(x)
    return y + self.conv5(self.conv4(y).chunk(2, axis=1)[0])


@contextlib.contextmanager
def bound(active: bool):
    """Every NAFBlock runs :func:`convolutions_only` while ``active``."""
    original = NAFBlock.forward
    if active:
        NAFBlock.forward = convolutions_only
    try:
        yield
    finally:
        NAFBlock.forward = original


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="CPU math threads (a training process uses one)")
    args = parser.parse_args(argv)
    paddle.set_device("cpu")
    paddle.base.core.set_num_threads(args.threads)
    result = run(bench_name(__file__), lambda: measure_bound(args), RESULTS, argv)
    print(f"written {RESULTS}")
    return result


def measure_bound(args) -> dict:
    """The figures: per demo stage, the step as trained and with only its convolutions and adds."""
    cfg = load_config("deblur", "demo")
    nproc = cfg.get("launch", {}).get("nproc", 1)
    variants = {"NAFNet as trained": False, "convolutions and adds only (bound)": True}
    rows = []
    for index, stage in enumerate(cfg["train"]["stages"]):
        paddle.seed(0)
        model = build_model({"name": "nafnet", **cfg["model"]})
        optimizer = paddle.optimizer.AdamW(learning_rate=1e-4, parameters=model.parameters(), weight_decay=1e-4)
        criterion = build_loss("l1")
        rng = np.random.default_rng(index)
        shape = (stage["batch_size"] // nproc, 3, stage["patch_size"], stage["patch_size"])
        x = paddle.to_tensor(rng.random(shape, dtype=np.float32))
        y = paddle.to_tensor(rng.random(shape, dtype=np.float32))

        def step(model=model, criterion=criterion, optimizer=optimizer, x=x, y=y):  # this stage's, bound now
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            optimizer.clear_grad()
            return float(loss)

        times = {name: [] for name in variants}
        for active in variants.values():  # warm-up
            with bound(active):
                step(), step()
        for _ in range(args.steps):  # interleaved
            for name, active in variants.items():
                with bound(active):
                    start = time.perf_counter()
                    step()
                    times[name].append(time.perf_counter() - start)
        pixels = shape[0] * shape[2] * shape[3]
        px_s = {name: pixels / float(np.median(t)) for name, t in times.items()}
        plain, best = px_s.values()
        rows.append(
            {
                "stage": index,
                "batch_size": shape[0],
                "patch_size": shape[2],
                "training_pixels_per_second": px_s,
                "bound_speedup": best / plain,
            }
        )
        print(
            f"stage {index} (batch {shape[0]} x {shape[2]} px): as trained {plain:,.0f} px/s, "
            f"convolutions only {best:,.0f} px/s: at most {best / plain:.2f}x",
            flush=True,
        )
    return {
        "variants": {
            "NAFNet as trained": "lib.models.nafnet.NAFBlock.forward",
            "convolutions and adds only (bound)": "convolutions_only (not the same math)",
        },
        "model": cfg["model"],
        "threads": args.threads,
        "steps": args.steps,
        "stages": rows,
        "load_average_at_end": os.getloadavg(),
    }


if __name__ == "__main__":
    main()
    sys.exit(0)
