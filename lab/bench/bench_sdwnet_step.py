"""Where one training step of notebook 06's SDWNet (你的模型: lab/tracks/sdwnet/learner.py's recipe) spends its CPU
time: the whole step (forward, backward, AdamW) at the recipe's per-process batch, every convolution on its own
(forward + backward, its reflection pad included), and the two parameter-free operations that were written as
many small ops, each beside the form the model now uses:

* the Haar DWT of the 7d-channel features: strided slices and sums (``haar_dwt_bands``) against one stride-2
  convolution (``haar_dwt``);
* the bilinear x2 upsampling: gathers (``bilinear_up2x_gathers``, the export form) against Paddle's op (training);
* the two 7d -> few-channel convolutions (the wavelet branch's 9 x 9 ``SRCNN.conv1``, the spatial head's
  ``output_layer.0``): Paddle's conv against the same conv in its transposed form
  (``lib.models.layers.TransposedFormConv2D``, what training runs).

    OMP_NUM_THREADS=1 nice -n 5 .venv/bin/python lab/bench/bench_sdwnet_step.py

One thread, as each of the two training processes runs. CPU seconds (``time.process_time``), so a loaded machine
inflates them less than wall time, but still some (the load average at the start is recorded).
Results: lab/bench/results/sdwnet_step_profile.json.
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import os
import time
from pathlib import Path

import paddle
import paddle.nn.functional as F
from harness import bench_name, run  # lab/bench/harness.py, beside this script

from lib.losses import CharbonnierLoss
from lib.models.channel_ops import Conv2D  # the plain conv (TransposedFormConv2D derives from it)
from lib.models.sdwnet import bilinear_up2x_gathers
from lib.models.wavelet import haar_dwt, haar_dwt_bands
from lib.train.registry import build_model

OUT = Path(__file__).resolve().parent / "results" / "sdwnet_step_profile.json"


def cpu_per_call(fn, x, repeats: int) -> float:
    """CPU seconds of ``fn(x)`` forward + backward, after one warm-up call."""
    x = x.detach()
    x.stop_gradient = False
    for i in range(repeats + 1):
        if i == 1:
            start = time.process_time()
        fn(x).mean().backward()
    return (time.process_time() - start) / repeats


def step_seconds(spec: dict, batch: int, patch: int, repeats: int) -> dict:
    net = build_model(spec)
    opt = paddle.optimizer.AdamW(parameters=net.parameters(), learning_rate=1e-4)
    loss_fn = CharbonnierLoss()
    x, y = paddle.rand([batch, 3, patch, patch]), paddle.rand([batch, 3, patch, patch])
    parts = {"forward": 0.0, "backward": 0.0, "optimizer": 0.0}
    for i in range(repeats + 2):
        t0 = time.process_time()
        loss = loss_fn(net(x), y)
        t1 = time.process_time()
        loss.backward()
        t2 = time.process_time()
        opt.step()
        opt.clear_grad()
        t3 = time.process_time()
        if i >= 2:
            for key, seconds in zip(parts, (t1 - t0, t2 - t1, t3 - t2)):
                parts[key] += seconds / repeats
    return {**parts, "total": sum(parts.values())}, net, x


def conv_seconds(net, x, repeats: int) -> list[dict]:
    """Every convolution layer of ``net`` on the input it sees in a forward of ``x``, slowest first."""
    inputs = {}

    def keep(name):
        def hook(layer, inp, out):  # returns None: the layer's output is left as it is
            inputs.setdefault(name, (layer, inp[0]))

        return hook

    hooks = [
        layer.register_forward_post_hook(keep(name))
        for name, layer in net.named_sublayers()
        if isinstance(layer, paddle.nn.Conv2D)
    ]
    net(x)
    for hook in hooks:
        hook.remove()
    rows = [
        {
            "layer": name,
            "input": list(inp.shape),
            "kernel": list(layer._kernel_size),
            "dilation": list(layer._dilation),
            "padding_mode": layer._padding_mode,
            "cpu_seconds": cpu_per_call(layer, inp, repeats),
        }
        for name, (layer, inp) in inputs.items()
    ]
    return sorted(rows, key=lambda r: -r["cpu_seconds"])


def measure(args) -> dict:
    from lab.tracks.sdwnet.learner import RECIPE, recipe_options

    options = recipe_options(args.recipe or RECIPE, "demo")
    spec = {"name": "sdwnet", **options["model"]}
    stage = options["train"]["stages"][0]
    batch = stage["batch_size"] // args.nproc  # each training process takes its share of the batch
    patch = stage["patch_size"]
    step, net, x = step_seconds(spec, batch, patch, args.repeats)
    convs = conv_seconds(net, x, args.repeats)
    d = spec["d_mult"]
    feats = paddle.rand([batch, 7 * d, patch, patch])  # what the wavelet branch transforms
    half = paddle.rand([batch, 6 * d, patch // 2, patch // 2])  # what is upsampled
    transposed = {}
    for row in convs:
        if row["layer"] in ("SRCNN.conv1", "output_layer.0.conv"):
            layer = dict(net.named_sublayers())[row["layer"]]
            inp = paddle.rand(row["input"])
            transposed[f"{row['layer']}, plain conv (before)"] = cpu_per_call(
                lambda t, layer=layer: Conv2D.forward(layer, t), inp, args.repeats
            )
            transposed[f"{row['layer']}, transposed form (now)"] = cpu_per_call(layer, inp, args.repeats)
    ops = {
        **transposed,
        "haar_dwt, slices and sums (before)": cpu_per_call(lambda t: paddle.concat(haar_dwt_bands(t), 0), feats, 5),
        "haar_dwt, one stride-2 convolution (now)": cpu_per_call(haar_dwt, feats, 5),
        "bilinear x2, gathers (before; export form)": cpu_per_call(bilinear_up2x_gathers, half, 5),
        "bilinear x2, Paddle's op (now, training)": cpu_per_call(
            lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=True), half, 5
        ),
        "input shapes": {"dwt": list(feats.shape), "upsampling": list(half.shape)},
    }
    return {
        "load_average_at_start": list(os.getloadavg()),
        "threads": os.environ.get("OMP_NUM_THREADS"),
        "recipe": args.recipe or RECIPE,
        "spec": spec,
        "per_process_batch": batch,
        "patch": patch,
        "step_cpu_seconds": step,
        "conv_cpu_seconds": convs,
        "conv_total_cpu_seconds": sum(r["cpu_seconds"] for r in convs),
        "ops_cpu_seconds": ops,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", default=None, help="an sdwnet overlay (default: the learner's RECIPE)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--nproc", type=int, default=2, help="training processes sharing the recipe's batch")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    paddle.set_device("cpu")
    run(bench_name(__file__), lambda: measure(args), args.out, argv)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
