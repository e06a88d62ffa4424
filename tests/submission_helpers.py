"""Helpers of the submission fault tests (tests/test_submission_faults.py and the de-occlusion
track's): copy an unzipped submission, damage a file, run predict.py as the competition does."""

import shutil
from pathlib import Path

from lib.export import run_submission


def fresh_copy(folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "submission"
    shutil.copytree(folder, copy)
    return copy


def damage(path: Path, how: str = "half") -> None:
    """Cut a file in half, or to 0 bytes."""
    data = path.read_bytes()
    path.write_bytes(b"" if how == "empty" else data[: len(data) // 2])


def run(folder, src, out, *args):
    result, _ = run_submission(folder, src, out, *args, timeout=600)
    return result
