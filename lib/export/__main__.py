"""Build a track's competition submission.

    python -m lib.export --track deblur                 # dist/submission.zip (TLC, Paddle Inference + ONNX)
    python -m lib.export --track deblur --no-tlc --out x.zip
    python -m lib.export --track deblur --checkpoint runs/train/deblur-demo/best.pdparams

The model is your own run of the profile ($COURSE_PROFILE, else demo) if it exists, else its
published model; demo falls back to the track's shipped demo model. A full profile that was never
trained is an error naming the command that trains it.
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import sys
from pathlib import Path

from lib.config import PROFILES, active_profile
from lib.export import DEFAULT_OVERLAP, DEFAULT_TILE_PIXELS
from lib.export.parity import parity_summary
from lib.tracks import get_track, track_names


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.export", description="Build a track's submission zip.")
    parser.add_argument(
        "--track", required=True, choices=track_names(), help="whose submission (make submission: TRACK)"
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="model to export (default: your own run of the profile, else its published model; "
        "for demo, else the shipped demo model)",
    )
    parser.add_argument(
        "--profile",
        default=None,
        choices=PROFILES,
        help="profile whose run to look for (default: $COURSE_PROFILE, else demo)",
    )
    parser.add_argument("--out", type=Path, default=None, help="zip to write (default: dist/<track>_submission.zip)")
    parser.add_argument("--no-tlc", action="store_true", help="export the plain model, without TLC")
    parser.add_argument(
        "--tlc-factor",
        type=float,
        default=None,
        help="TLC window / training size (default: the profile's tlc.factor in the track's config)",
    )
    parser.add_argument(
        "--tlc-train-size",
        type=int,
        default=None,
        help="TLC training size in px (default: the profile's tlc.train_size; full: 256)",
    )
    parser.add_argument("--tile-pixels", type=int, default=DEFAULT_TILE_PIXELS)
    parser.add_argument("--overlap", type=int, default=DEFAULT_OVERLAP)
    parser.add_argument(
        "--tiling",
        choices=("overlap", "quadrants"),
        default=None,
        help="how predict.py cuts a test image (default: the profile's submission.tiling in the "
        "track's config, e.g. quadrants: a winner's 4 tiles; overlap when it sets none)",
    )
    parser.add_argument("--no-onnx", action="store_true", help="Paddle inference model only")
    args = parser.parse_args(argv)
    track = get_track(args.track)
    profile = active_profile(args.profile)  # once, here: the model looked for and the export's options
    try:
        model = track.load_model(args.checkpoint, profile=profile)
    except FileNotFoundError as error:  # no model of this profile: say how to train one, no traceback
        print(f"python -m lib.export: {error}", file=sys.stderr)
        return 2
    options = {
        "tile_pixels": args.tile_pixels,
        "overlap": args.overlap,
        "onnx": not args.no_onnx,
        "profile": profile,
        **({"tiling": args.tiling} if args.tiling else {}),
    }
    if track.tlc:
        options.update(tlc=not args.no_tlc, tlc_factor=args.tlc_factor, tlc_train_size=args.tlc_train_size)
    try:
        meta = track.build_submission(model, args.out, **options)
    except FileNotFoundError as error:  # a pipeline's other network (the segmenter) not trained: the same
        print(f"python -m lib.export: {error}", file=sys.stderr)
        return 2
    for name, net in (meta.get("networks") or {"model": meta}).items():  # one network, or a pipeline's
        print(f"{name}: {net['source_checkpoint']}" + (f", TLC {net['tlc']}" if "tlc" in net else ""))
        print(f"  exported vs dygraph on {net['check_shape']}: {parity_summary(net)}")
        formats = net["formats"]
        print(
            "  pre-PIR model_legacy.pdmodel (for Paddle 2): "
            + (
                "included"
                if formats["paddle_legacy"]
                else "not written" + (f" ({formats['paddle_legacy_note']})" if "paddle_legacy_note" in formats else "")
            )
        )
        if "tiling" in net:
            print(
                f"  predict.py tiling: {net['tiling']}"
                + (
                    " (the winner's 4 quadrants)"
                    if net["tiling"] == "quadrants"
                    else f" (at most {net['tile_pixels']} pixels per tile)"
                )
            )
    print(f"wrote {meta['zip']} ({meta['zip_bytes'] / 1e6:.1f} MB: {', '.join(meta['files'])})")
    print(f"run it: unzip {Path(meta['zip']).name} -d sub && python sub/predict.py src_image_dir save_dir")
    return 0


if __name__ == "__main__":
    sys.exit(main())
