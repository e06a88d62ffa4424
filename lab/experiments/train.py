"""Train one experiment with the course's engine.

    python -m lab.experiments.train deblur/02_wide [--seed N] [--schedule-scale X] [--profile demo] [--iters N]
                                [--nproc N] [--fresh] [--dry-run]

Writes the merged options (:func:`lab.experiments.config.write_options`) to ``runs/experiments/<track>/<name>-s<seed>/
options.yaml`` and runs ``python -m lib.train --config <track> --options that-file --out <that folder>/train``; the
schedule scale defaults to the candidate's recorded one (``candidate: schedule_scale``). ``--dry-run`` prints the
command and trains nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lab.experiments.config import CANDIDATE_KEY, load_overlay, write_options
from lib.paths import RUNS_DIR


def train_arguments(name: str, seed: int, scale: float | None, extra: list[str]) -> list[str]:
    """The options file for ``name`` and ``seed``, written; and ``python -m lib.train``'s arguments that train it."""
    folder = RUNS_DIR / "experiments" / f"{name}-s{seed}{'' if not scale else f'-x{scale:g}'}"
    options = write_options(name, folder / "options.yaml", seed)
    args = ["--config", name.partition("/")[0], "--options", str(options), "--out", str(folder / "train")]
    return args + (["--schedule-scale", f"{scale:g}"] if scale else []) + extra


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.experiments.train", description=__doc__.splitlines()[0])
    parser.add_argument("name", help="<track>/<overlay name>, e.g. deblur/02_wide")
    parser.add_argument("--seed", type=int, default=0, help="train seed (train.seed in every profile); default 0")
    parser.add_argument("--schedule-scale", type=float, default=None, metavar="X", help="default: the candidate's")
    parser.add_argument("--profile", default=None, help="default: $COURSE_PROFILE, else demo")
    parser.add_argument("--iters", type=int, default=None, help="stop after this many more iterations")
    parser.add_argument("--nproc", type=int, default=None, help="training processes (default: the profile's)")
    parser.add_argument("--fresh", action="store_true", help="delete the run folder and start over")
    parser.add_argument("--dry-run", action="store_true", help="write the options, print the command, train nothing")
    args = parser.parse_args(argv)
    scale = args.schedule_scale
    if scale is None:
        scale = (load_overlay(args.name).get(CANDIDATE_KEY) or {}).get("schedule_scale")
    extra = [f"--{key}={value}" for key, value in (("profile", args.profile), ("iters", args.iters)) if value]
    extra += [f"--nproc={args.nproc}"] if args.nproc else []
    extra += ["--fresh"] if args.fresh else []
    lib_args = train_arguments(args.name, args.seed, scale, extra)
    print("python -m lib.train " + " ".join(lib_args), flush=True)
    if args.dry_run:
        return 0
    importable_in_children()
    from lib.train.__main__ import main as train

    return train(lib_args)


def importable_in_children() -> None:
    """Put the repository on ``PYTHONPATH``: the training processes that ``lib.train`` launches run its script by
    path, and import this folder's extensions (``extensions`` of the options file) from there."""
    root = str(Path(__file__).resolve().parents[2])
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *paths])


if __name__ == "__main__":
    import lib.quiet  # quiets Paddle for this command (lib/quiet.py); here, not above, so importing the module does not

    sys.exit(main())
