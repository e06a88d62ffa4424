"""nbval runs every notebook alone: each one's kernel starts with its own empty data and runs
folders (``COURSE_DATA_DIR``, ``COURSE_RUNS_DIR``, see lib/paths.py), so a notebook that reads
what an earlier one made, instead of making it itself, fails here."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_FOLDERS: dict = {}
_FOLDER_VARIABLES = ("COURSE_DATA_DIR", "COURSE_RUNS_DIR")
_SAVED: dict = {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before the notebook's first cell sets up its kernel (which inherits the environment)."""
    notebook = Path(str(item.parent.fspath))
    if notebook.suffix != ".ipynb":
        return
    if notebook not in _FOLDERS:
        _FOLDERS[notebook] = Path(tempfile.mkdtemp(prefix=f"alone-{notebook.stem}-"))
    root = _FOLDERS[notebook]
    _SAVED.update({name: os.environ.get(name) for name in _FOLDER_VARIABLES})
    os.environ["COURSE_DATA_DIR"] = str(root / "data")
    os.environ["COURSE_RUNS_DIR"] = str(root / "runs")


def pytest_runtest_teardown(item):
    """The worker's environment as it was: the tests that run in the same process after a notebook (make test
    runs tests/ and notebooks/ in one pytest) read the course's own folders."""
    for name, value in _SAVED.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _SAVED.clear()


def pytest_sessionfinish(session):
    for root in _FOLDERS.values():
        shutil.rmtree(root, ignore_errors=True)
