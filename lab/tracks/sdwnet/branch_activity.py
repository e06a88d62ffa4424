"""How much of a trained SDWNet's wavelet branch still works: for each ReLU channel of the branch's two hidden convs,
the share of positions where it fires on a crop of a test_A page, and the mean size of each branch's correction.

    .venv/bin/python -m lab.tracks.sdwnet.branch_activity \
        runs/experiments/sdwnet/21_zero_heads_batch4_800_lr1e-3-s0/train

A channel that fires nowhere passes no gradient, so it does not come back (a "dead" ReLU). Used for the notes on
notebook 06's recipes (lab/tracks/sdwnet/overlays/22_no_wavelet_zero_head_lr1e-3.yaml).
"""

from __future__ import annotations

import argparse

import numpy as np


def branch_activity(model, image) -> dict:
    """``{"conv1": [...], "conv2": [...], "spatial": mean |spatial correction|, "wavelet": mean |wavelet correction|}``
    of ``model`` (an SDWNet with its wavelet branch) on ``image`` (uint8 H x W x 3): per hidden channel, the share of
    positions (over the four sub-bands) where its conv's output is positive."""
    import paddle

    fired, corrections = {}, {}

    def keep_share(name):
        def hook(layer, inputs, output):
            fired[name] = (output > 0).astype("float32").mean(axis=[0, 2, 3]).numpy().tolist()

        return hook

    def keep_size(name):
        def hook(layer, inputs, output):
            corrections[name] = float(output.abs().mean())

        return hook

    hooks = [
        model.SRCNN.conv1.register_forward_post_hook(keep_share("conv1")),
        model.SRCNN.conv2.register_forward_post_hook(keep_share("conv2")),
        model.SRCNN.register_forward_post_hook(keep_size("wavelet")),
        model.output_layer.register_forward_post_hook(keep_size("spatial")),
    ]
    try:
        with paddle.no_grad():
            model(paddle.to_tensor(image.transpose(2, 0, 1)[None] / 255.0, dtype="float32"))
    finally:
        for hook in hooks:
            hook.remove()
    return {**fired, **corrections}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lab.tracks.sdwnet.branch_activity", description=__doc__.splitlines()[0]
    )
    parser.add_argument("run_dirs", nargs="+", help="finished runs (their train/ folders)")
    parser.add_argument("--page", type=int, default=1, help="which test_A page (sorted), default the second")
    args = parser.parse_args(argv)

    from lab.tracks.sdwnet.learner import load
    from lib.evaluate import load_pairs
    from lib.tracks import get_track

    _, blurred, _ = load_pairs(get_track("sdwnet").data_root("demo") / "test_A")[args.page]
    crop = blurred[200:456, 100:356]  # 256 px of text
    for run_dir in args.run_dirs:
        found = branch_activity(load(run_dir), crop)
        silent = sum(share < 0.005 for share in found["conv2"])
        print(
            f"{run_dir}: |spatial| {found['spatial']:.4f}, |wavelet| {found['wavelet']:.4f}; second conv's channels "
            f"firing on under 0.5 % of positions: {silent} of {len(found['conv2'])} "
            f"(shares {np.round(found['conv2'], 3).tolist()})"
        )
    return 0


if __name__ == "__main__":
    import lib.quiet  # noqa: F401  (quiets Paddle before it is imported)

    raise SystemExit(main())
