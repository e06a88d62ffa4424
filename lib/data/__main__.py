"""Command line of the data step, for every track.

Examples::

    python -m lib.data deblur --profile demo --seed 0            # -> data/deblur (skips if up to date)
    python -m lib.data deblur --profile smoke --out /tmp/d --force
    python -m lib.data deblur --prepare                          # then the track's preparation (notebook 01)
    python -m lib.data check [ROOT] --track deblur               # validate the splits of a data root
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import sys
from pathlib import Path

from ..config import PROFILES, ConfigError, active_profile
from ..tracks import get_track, track_names
from .pairs import DataError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lib.data", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="{TRACK,check}", help=f"a track ({', '.join(track_names())}) or check"
    )
    for name in track_names():
        gen = sub.add_parser(name, help=f"generate the {name} sample data")
        gen.add_argument(
            "--profile",
            choices=PROFILES,
            default=None,
            help="smoke | demo | full (default: $COURSE_PROFILE, else demo)",
        )
        gen.add_argument("--seed", type=int, default=0)
        gen.add_argument(
            "--out",
            type=Path,
            default=None,
            help=f"output folder (default: data/{name} for demo, data/{name}-<profile> otherwise)",
        )
        gen.add_argument(
            "--force", action="store_true", help="regenerate (and with --prepare re-prepare) even if up to date"
        )
        gen.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
        gen.add_argument(
            "--prepare", action="store_true", help="then prepare it for training (a no-op when up to date)"
        )
    chk = sub.add_parser("check", help="validate a data root")
    chk.add_argument(
        "root", type=Path, nargs="?", default=None, help="default: $COURSE_DATA, else the generated data of the profile"
    )
    chk.add_argument("--track", required=True, choices=track_names(), help="whose data check to run")
    args = parser.parse_args(argv)
    profile = active_profile(getattr(args, "profile", None))  # once, here; `check` has no --profile
    try:
        if args.command == "check":
            track = get_track(args.track)
            try:
                lines = track.check_data(args.root or track.data_root(profile))
            except DataError as exc:
                print(exc, file=sys.stderr)
                return 1
            print("\n".join(lines))
            return 0
        track = get_track(args.command)
        out = args.out
        if out is None:  # never $COURSE_DATA: do not write into a download
            from ..paths import generated_data_root

            out = generated_data_root(track.data_track or track.name, profile)
        root = track.generate_data(profile, out, seed=args.seed, force=args.force, workers=args.workers)
        if args.prepare:  # the data just written if --out was given, else $COURSE_DATA or the sample data
            prepared = track.prepare(profile, source=root if args.out else None, force=args.force)
            print(prepared.summary() if hasattr(prepared, "summary") else prepared)
    except (DataError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
