"""Train a track's model.

    python -m lib.train --config deblur [--profile demo] [--data ROOT] [--out DIR] [--fresh] [--iters N]
                        [--nproc N] [--schedule-scale X] [--set SECTION.KEY=VALUE ...] [--options FILE]
                        [--publish]
    python -m lib.train --config denoise --ship      # train the shipped demo model again, by its recipe
    python -m lib.train --config deocclusion --rescore      # score the shipped model again

Multi-GPU (DataParallel)::

    python -m lib.train --config denoise --profile full --nproc 2      # relaunches itself, as below
    python -m paddle.distributed.launch --devices 0,1 lib/train/__main__.py --config denoise --profile full

A stage's ``batch_size`` is the global batch: each of N processes takes batch_size / N of it (an
error if N does not divide every stage's batch; lib.train.engine). The data is generated and
prepared once: by the launching process before it starts the ranks, and in the ranks under a file
lock (:func:`lib.train.launch.prepare_once`), so a run started by paddle.distributed.launch directly
prepares it in one rank while the others wait.

``--options FILE``: the track's options from FILE (the layout of ``lib/configs/<track>.yaml``, e.g. an experiment's
merged options) instead of its options file; FILE's ``extensions`` section lists, per profile, the modules to import
first (they register what those options name: losses, training-page variants).

Imports are absolute so that the launcher can run this file as a script.
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import copy
import importlib
import re
import shutil
import sys
from pathlib import Path

import paddle

from lib.config import PROFILES, ConfigError, active_profile, parse_setting, ship_recipe
from lib.env import select_device
from lib.paths import shown_path
from lib.tracks import get_track, track_names


def default_run_folder(track, profile: str, schedule_scale: float | None, settings) -> Path:
    """``runs/train/<track>-<profile>``, then ``-x<scale>`` and ``-<key><value>`` per setting
    (``deblur-demo-x2-width32``), so that runs that differ never resume from each other."""
    name = track.run_dir(profile).name + (f"-x{schedule_scale:g}" if schedule_scale else "")
    for setting in settings:
        keys, value = parse_setting(setting)
        name += f"-{keys[-1]}{re.sub(r'[^A-Za-z0-9.]+', '', str(value))}"
    return track.run_dir(profile).with_name(name)


EXTENSIONS = "extensions"  # a section of an options file: per profile, the modules to import before training


def with_options_file(track, path: Path, profile: str):
    """``track`` reading its options from ``path``, with the modules of its ``extensions`` section imported."""
    track = copy.copy(track)
    track.config_file = Path(path).resolve()
    for module in track.config(profile).get(EXTENSIONS) or []:
        importlib.import_module(module)
    return track


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.train", description="Train a track's model.")
    parser.add_argument(
        "--config",
        required=True,
        choices=track_names(),
        help="track (options in lib/configs/<track>.yaml; make train: TRACK)",
    )
    parser.add_argument("--profile", choices=PROFILES, default=None, help="default: $COURSE_PROFILE, else demo")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="competition-layout data root (default: $COURSE_DATA, else the generated sample data)",
    )
    parser.add_argument("--out", type=Path, default=None, help="run folder (default: runs/train/<track>-<profile>)")
    parser.add_argument("--fresh", action="store_true", help="delete the run folder and start over")
    parser.add_argument("--iters", type=int, default=None, help="stop after this many more iterations")
    parser.add_argument(
        "--nproc",
        type=int,
        default=None,
        help="data-parallel processes (relaunches under paddle.distributed.launch; on a CPU "
        "machine one per core; each takes batch_size / N of every global batch); default: "
        "the profile's launch: nproc in lib/configs/<track>.yaml, else 1",
    )
    parser.add_argument(
        "--schedule-scale",
        type=float,
        default=None,
        metavar="X",
        help="run the profile's schedule X times longer (every stage and phase; e.g. 4 for "
        "the shipped demo model); the run folder gets a -xX suffix",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="change one option of the model or train section for this run, e.g. "
        "model.width=32 or train.seed=1 (repeatable; the value is YAML); the run "
        "folder gets a -<key><value> suffix per setting",
    )
    parser.add_argument(
        "--options",
        type=Path,
        default=None,
        metavar="FILE",
        help="the track's options from FILE (the layout of lib/configs/<track>.yaml, e.g. an experiment's merged "
        "options) instead of its options file",
    )
    publishing = parser.add_mutually_exclusive_group()
    publishing.add_argument(
        "--publish",
        action="store_true",
        help="then score on held-out data and copy the model to runs/published/<track>_<model>_<profile>/ "
        "(your model: the notebooks and make submission use it; the shipped one in checkpoints/ stays)",
    )
    publishing.add_argument(
        "--ship",
        action="store_true",
        help="rebuild the SHIPPED demo model by its recipe (lib/configs/shipped/<track>.yaml: the demo profile "
        "with its settings and schedule scale): as --publish, but into checkpoints/<track>_<model>_demo/ (make ship)",
    )
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="train nothing: score the shipped demo model again and rewrite its metrics.json "
        "(de-occlusion: the inpainter with the shipped segmenter's masks)",
    )
    args = parser.parse_args(argv)
    if args.rescore:
        if args.set:
            parser.error("--rescore scores the shipped model as it was trained: it takes no --set")
        print(f"scored again: {get_track(args.config).rescore(data=args.data)}")
        return 0
    profile = active_profile(args.profile)
    if args.ship:
        if profile != "demo" or args.options or args.set or args.schedule_scale:
            parser.error(
                "--ship rebuilds a shipped demo model by its recipe (lib/configs/shipped/<track>.yaml): the demo "
                "profile, no --options, --set or --schedule-scale"
            )
        try:
            recipe = ship_recipe(args.config)
        except ConfigError as err:
            parser.error(str(err))
        args.set, args.schedule_scale = recipe["settings"], recipe["schedule_scale"]
        args.nproc = args.nproc if args.nproc is not None else recipe["nproc"]
    if args.nproc is None:
        from lib.train.launch import default_nproc

        args.nproc = default_nproc(args.config, profile)
    from lib.train.launch import prepare_once

    try:
        track = get_track(args.config)
        if args.options:
            track = with_options_file(track, args.options, profile)
        track = track.with_settings(args.set)
    except ConfigError as err:
        parser.error(str(err))
    if args.nproc > 1 and paddle.distributed.get_world_size() == 1:
        from lib.train.launch import relaunch

        prepare_once(track, profile, source=args.data)  # here, once, before the ranks start (they find it done)
        given = sys.argv[1:] if argv is None else list(argv)
        return relaunch([*given, "--profile", profile] if args.profile is None else given, args.nproc)
    device = select_device()
    rank, world_size = paddle.distributed.get_rank(), paddle.distributed.get_world_size()
    prepared = prepare_once(track, profile, source=args.data, rank=rank)
    if world_size > 1:
        paddle.distributed.init_parallel_env()

    overrides = track.scaled_schedule(profile, args.schedule_scale) if args.schedule_scale else {}
    if args.out:
        out = args.out
    elif args.ship:  # one folder per shipped model: its recipe's settings would make a long name
        out = track.run_dir(profile).with_name(f"{track.run_dir(profile).name}-ship")
    else:
        out = default_run_folder(track, profile, args.schedule_scale, args.set)
    if args.fresh and out.exists() and rank == 0:
        shutil.rmtree(out)
    if args.fresh and world_size > 1:
        paddle.distributed.barrier()  # no rank may resume from the folder rank 0 is deleting
    trainer = track.trainer(profile, out, prepared=prepared, **overrides)
    resumed = trainer.resume()
    print(
        f"[{track.name} {profile}] {device}，rank {trainer.rank}/{trainer.world_size}，运行目录 {shown_path(out)}，"
        + (f"从第 {trainer.iteration} 次迭代接着训练" if resumed else "新的运行")
        + f"，共 {trainer.total_iters} 次迭代",
        flush=True,
    )
    trainer.fit(stop_after=args.iters)
    last = [r for r in trainer.history if trainer.best_metric in r]
    if last and trainer.rank == 0:
        shown = ", ".join(f"{k} {last[-1][k]:.4f}" for k in trainer.task_class.metric_keys if k in last[-1])
        print(f"最后一次验证（第 {last[-1]['iteration']} 次迭代）：{shown}")
    if (args.publish or args.ship) and trainer.iteration >= trainer.total_iters and trainer.rank == 0:
        command = "python -m lib.train " + " ".join(sys.argv[1:] if argv is None else argv)
        dest = track.publish(
            trainer, profile, data=args.data, command=command, dest=track.shipped_dir if args.ship else None
        )
        print(f"{'已作为附带模型写入' if args.ship else '已发布到'} {shown_path(dest)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
