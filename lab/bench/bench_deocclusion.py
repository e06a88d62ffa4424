"""The de-occlusion track measured, side by side in one run (single process, demo profile):

* ``speed``: training pixels per second of the segmenter (DeepLabV3 + MobileNetV2, whole 256 x 192
  photos) and of the GAN (DeepFillv2 latent 16 + SN-PatchGAN, 128 x 128 crops); the whole pipeline's
  seconds per megapixel on the demo test_A photos for dygraph, Paddle Inference (plain CPU kernels:
  oneDNN's interpolation rejects these networks, see lib/tracks/deocclusion/export.py) and ONNX Runtime;
  the exported sizes of both networks.
* ``ratio CHECKPOINT``: the winner's 3:1 round, isolated. From one GAN checkpoint inside the demo's
  second phase (iterations 240-320 of ``make train TRACK=deocclusion``; ideally at 240, its start:
  ``runs/train/deocclusion-demo/phase0_end.pdparams``, kept since the run recorded here),
  the rest of that phase is trained twice on the same batches, with 1 and with 3 generator updates
  per discriminator update; both are scored by ``Track.evaluate`` (the shipped segmenter's masks).

    .venv/bin/python lab/bench/bench_deocclusion.py speed              # alone on the machine: it times things
    nice -n 5 .venv/bin/python lab/bench/bench_deocclusion.py ratio runs/train/deocclusion-demo/phase0_end.pdparams
    .venv/bin/python lab/bench/bench_deocclusion.py ratio runs/train/deocclusion-demo-x2/phase0_end.pdparams \
        --schedule-scale 2

Results: lab/bench/results/deocclusion_speed.json, lab/bench/results/deocclusion_ratio.json (each records
its command, date and the load average at its start).
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import paddle
from harness import bench_name, run  # lab/bench/harness.py, beside this script

from lib.tracks import get_track
from lib.tracks.deocclusion.track import seg_input_size

RESULTS = Path(__file__).resolve().parent / "results"


def _header() -> dict:
    """The load at the start and the niceness the bench ran at (it shares the machine)."""
    return {"niceness": os.nice(0), "load_average_at_start": list(os.getloadavg())}


def train_speed(track, iters: int) -> dict:
    """Iterations and pixels per second of ``iters`` demo iterations after 2 warm-up ones."""
    cfg = track.config("demo")
    with tempfile.TemporaryDirectory(prefix="bench_deocc_") as tmp:
        trainer = track.trainer("demo", Path(tmp) / "run", quiet=True, val_every=10**6, save_every=10**6)
        trainer.fit(stop_after=2)
        start = time.perf_counter()
        trainer.fit(stop_after=iters)
        seconds = time.perf_counter() - start
    stage = trainer.opts["stages"][0]
    h, w = (stage["patch_size"],) * 2 if stage["patch_size"] else cfg["prepare"]["seg_size"]
    return {
        "iterations": iters,
        "seconds_per_iteration": seconds / iters,
        "batch": stage["batch_size"],
        "sample_hw": [h, w],
        "train_pixels_per_s": iters * stage["batch_size"] * h * w / seconds,
    }


def pipeline_speed(segmenter, generator, photos, repeats: int = 1) -> dict:
    """Seconds per megapixel of the whole pipeline on ``photos`` (RGB uint8) per backend."""
    from lib.infer import DygraphRunner
    from lib.tracks.deocclusion.export import InpainterExport, SegmenterExport, export_pipeline
    from lib.tracks.deocclusion.predict import Pipeline
    from lib.tracks.deocclusion.repair import Deoccluder, RepairOptions

    cfg = get_track("deocclusion").config("demo")
    seg_size, opts = seg_input_size(segmenter, cfg), RepairOptions.from_config(cfg["repair"])
    megapixels = sum(p.shape[0] * p.shape[1] for p in photos) / 1e6
    out = {"photos": len(photos), "megapixels": megapixels, "seconds_per_megapixel": {}, "exported_bytes": {}}
    with tempfile.TemporaryDirectory(prefix="bench_deocc_export_") as tmp:
        export_pipeline(segmenter, generator, tmp, seg_size=seg_size, repair=cfg["repair"])
        for net in ("segmenter", "inpainter"):
            out["exported_bytes"][net] = {f.name: f.stat().st_size for f in sorted((Path(tmp) / net).glob("model.*"))}
        pipelines = {
            "dygraph": Deoccluder(
                DygraphRunner(SegmenterExport(segmenter)), DygraphRunner(InpainterExport(generator)), seg_size, opts
            ),
            "paddle_inference": Pipeline(tmp, "paddle", "cpu"),
            "onnxruntime": Pipeline(tmp, "onnx", "cpu"),
        }
        outputs = {}
        for name, pipeline in pipelines.items():
            pipeline.restore_image(photos[0])  # warm-up
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                outputs[name] = [pipeline.restore_image(p) for p in photos]
                best = min(best, time.perf_counter() - start)
            out["seconds_per_megapixel"][name] = best / megapixels
            print(f"pipeline {name}: {best / megapixels:.3f} s per megapixel", flush=True)
    out["pixels_differing_from_dygraph_%"] = {
        name: 100 * float(np.mean([(a != b).any(axis=2).mean() for a, b in zip(outputs[name], outputs["dygraph"])]))
        for name in outputs
        if name != "dygraph"
    }
    return out


def run_speed(args) -> dict:
    from lib.tracks.deocclusion.data import list_samples, load_sample

    seg_track, gan = get_track("deocclusion_seg"), get_track("deocclusion")
    result = {**_header(), "train": {}}
    for track, iters in ((seg_track, args.seg_iters), (gan, args.gan_iters)):
        result["train"][track.name] = row = train_speed(track, iters)
        print(
            f"train {track.name}: {row['seconds_per_iteration']:.2f} s/it, {row['train_pixels_per_s']:,.0f} px/s",
            flush=True,
        )
    photos = [load_sample(s)[0] for s in list_samples(gan.data_root("demo") / "test_A")][: args.photos]
    result["pipeline"] = pipeline_speed(
        seg_track.load_model(profile="demo"), gan.load_model(profile="demo"), photos, args.repeats
    )
    return result


def run_ratio(args) -> dict:
    """The rest of the demo's second phase trained twice from ``args.checkpoint``: d_every 1 and 3."""
    from lib.checkpoints import load_checkpoint

    gan = get_track("deocclusion")
    cfg = gan.config("demo")
    # --schedule-scale: the longer schedule of the shipped run (make train TRACK=deocclusion SCALE=X)
    scaled = gan.scaled_schedule("demo", args.schedule_scale) if args.schedule_scale else {}
    phases = scaled.get("phases") or gan.train_options(cfg)["phases"]
    state = load_checkpoint(args.checkpoint, track=gan.name)
    start, end = phases[0]["iters"], phases[0]["iters"] + phases[1]["iters"]
    if not start <= int(state["iteration"]) < end:
        raise ValueError(
            f"{args.checkpoint} is at iteration {state['iteration']}, not inside the demo's second "
            f"phase (iterations {start}-{end})"
        )
    result = {
        **_header(),
        "checkpoint": str(args.checkpoint),
        "from_iteration": int(state["iteration"]),
        "to_iteration": end,
        "runs": {},
    }
    segmenter = get_track("deocclusion_seg").load_model(profile="demo")
    for d_every in (1, 3):
        with tempfile.TemporaryDirectory(prefix="bench_ratio_") as tmp:
            out = Path(tmp) / "run"
            out.mkdir()
            shutil.copyfile(args.checkpoint, out / "last.pdparams")
            trainer = gan.trainer(
                "demo", out, quiet=True, **{**scaled, "phases": [phases[0], {**phases[1], "d_every": d_every}]}
            )
            if not trainer.resume() or trainer.iteration != result["from_iteration"]:
                raise RuntimeError(f"could not resume from {args.checkpoint}")
            start = time.perf_counter()
            trainer.fit()
            minutes = (time.perf_counter() - start) / 60
            val = trainer.validate()
            model = gan.load_model(trainer.last_path)
            table = gan.evaluate(model, "demo", segmenter=segmenter)
        row = {
            "d_every": d_every,
            "minutes": minutes,
            "val": val,
            "test": {r["method"]: {k: r[k] for k in ("psnr", "psnr_mask")} for r in table["methods"]},
            "evaluated_on": table["evaluated_on"],
        }
        result["runs"][f"G:D {d_every}:1"] = row
        print(
            f"d_every {d_every}: val {val}, test model row {row['test'].get('DeepFillv2 (local repair)')}", flush=True
        )
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    speed = sub.add_parser("speed")
    speed.add_argument("--seg-iters", type=int, default=10)
    speed.add_argument("--gan-iters", type=int, default=6)
    speed.add_argument("--photos", type=int, default=8)
    speed.add_argument("--repeats", type=int, default=1)
    speed.add_argument("--out", type=Path, default=RESULTS / "deocclusion_speed.json")
    ratio = sub.add_parser("ratio")
    ratio.add_argument("checkpoint", type=Path)
    ratio.add_argument(
        "--schedule-scale",
        type=float,
        default=None,
        metavar="X",
        help="the demo schedule X times longer, as the run the checkpoint comes from",
    )
    ratio.add_argument("--out", type=Path, default=RESULTS / "deocclusion_ratio.json")
    args = parser.parse_args(argv)
    paddle.set_device("cpu")
    os.environ.setdefault("COURSE_PROFILE", "demo")
    measure = run_speed if args.what == "speed" else run_ratio
    run(bench_name(__file__), lambda: measure(args), args.out, argv)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
