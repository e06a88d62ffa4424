"""nbval runs every notebook alone: each one's kernel starts with its own empty data and runs
folders (``COURSE_DATA_DIR``, ``COURSE_RUNS_DIR``, see lib/paths.py), so a notebook that reads
what an earlier one made, instead of making it itself, fails here."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_FOLDERS: dict = {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before the notebook's first cell sets up its kernel (which inherits the environment)."""
    notebook = Path(str(item.parent.fspath))
    if notebook.suffix != ".ipynb" or notebook in _FOLDERS:
        return
    root = Path(tempfile.mkdtemp(prefix=f"alone-{notebook.stem}-"))
    _FOLDERS[notebook] = root
    os.environ["COURSE_DATA_DIR"] = str(root / "data")
    os.environ["COURSE_RUNS_DIR"] = str(root / "runs")


def pytest_sessionfinish(session):
    for root in _FOLDERS.values():
        shutil.rmtree(root, ignore_errors=True)
