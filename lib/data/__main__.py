"""Command line of the data step.

    python -m lib.data deblur --profile demo --seed 0            # -> data/deblur (skips if up to date)
    python -m lib.data deblur --profile smoke --out /tmp/d --force
    python -m lib.data check [ROOT]                               # validate train/ and test_* of a data root
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import PROFILES, ConfigError
from .deblur import SPLITS, TRACK, ensure_dataset
from .pairs import GT_DIR, DataError, validate_pairs


def check(root: Path) -> int:
    """Validate every split folder of ``root``; ground truth is required for train only."""
    splits = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) if root.is_dir() else []
    if not splits:
        print(f"{root}: no split folders (expected train/, test_A/ ...)", file=sys.stderr)
        return 1
    failed = 0
    for split in splits:
        try:
            pairs = validate_pairs(split, require_gt=split.name == "train")
            with_gt = sum(gt is not None for _, _, gt in pairs)
            print(f"{split.name}: {len(pairs)} blurred images, {with_gt} with {GT_DIR}")
        except DataError as exc:
            print(exc, file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser(TRACK, help="generate the blurred-document sample data")
    gen.add_argument("--profile", choices=PROFILES, default=None,
                     help="smoke | demo | full (default: $COURSE_PROFILE, else demo)")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--out", type=Path, default=None,
                     help="output folder (default: data/deblur for demo, data/deblur-<profile> otherwise)")
    gen.add_argument("--force", action="store_true", help="regenerate even if up to date")
    gen.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    chk = sub.add_parser("check", help=f"validate a data root ({', '.join(SPLITS)} ...)")
    chk.add_argument("root", type=Path, nargs="?", default=None,
                     help="default: $COURSE_DATA, else the generated data of the profile")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            from ..paths import data_root
            return check(args.root or data_root(TRACK))
        out = args.out
        if out is None:
            from ..paths import generated_data_root
            out = generated_data_root(TRACK, args.profile)  # never $COURSE_DATA: do not write into a download
        ensure_dataset(args.profile, out, seed=args.seed, force=args.force, workers=args.workers)
    except (DataError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
