"""Helpers of the submission tests (tests/test_predict.py, tests/test_submission_faults.py and the
de-occlusion track's): copy an unzipped submission, make ``lib`` unimportable beside it, damage a
file, run predict.py as the competition does."""

import shutil
from pathlib import Path

from lib.export import run_submission


def fresh_copy(folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "submission"
    shutil.copytree(folder, copy)
    return copy


def without_lib(folder: Path) -> Path:
    """``folder`` with a ``lib`` package that raises on import: the venv finds the course's lib
    through a .pth file, so a run that does not raise proves predict.py and the files beside it
    never import it (the script's folder comes first on sys.path)."""
    (folder / "lib").mkdir()
    (folder / "lib" / "__init__.py").write_text("raise ImportError('predict.py must not import the course lib')\n")
    return folder


def damage(path: Path, how: str = "half") -> None:
    """Cut a file in half, or to 0 bytes."""
    data = path.read_bytes()
    path.write_bytes(b"" if how == "empty" else data[: len(data) // 2])


def run(folder, src, out, *args):
    result, _ = run_submission(folder, src, out, *args, timeout=600)
    return result
