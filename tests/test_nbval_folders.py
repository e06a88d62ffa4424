"""notebooks/conftest.py: each notebook's kernel gets its own empty data and runs folders, and the process
gets its own environment back afterwards (make test runs tests/ and notebooks/ in one pytest, so a test that
follows a notebook in the same worker must read the course's folders, not the notebook's temporary ones)."""

import importlib.util
import os
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]


def load_notebook_conftest():
    spec = importlib.util.spec_from_file_location("notebook_conftest", ROOT / "notebooks" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def item_of(path: Path):
    return SimpleNamespace(parent=SimpleNamespace(fspath=str(path)))


def test_a_notebook_item_gets_its_own_folders_and_the_environment_comes_back(monkeypatch):
    hooks = load_notebook_conftest()
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COURSE_RUNS_DIR", "/somewhere/runs")
    first, second = item_of(ROOT / "notebooks" / "00_a.ipynb"), item_of(ROOT / "notebooks" / "01_b.ipynb")
    try:
        hooks.pytest_runtest_setup(first)
        data = os.environ["COURSE_DATA_DIR"]
        assert Path(data).name == "data" and "alone-00_a-" in data
        assert os.environ["COURSE_RUNS_DIR"] == str(Path(data).parent / "runs")
        hooks.pytest_runtest_teardown(first)
        assert "COURSE_DATA_DIR" not in os.environ and os.environ["COURSE_RUNS_DIR"] == "/somewhere/runs"
        hooks.pytest_runtest_setup(first)  # the same notebook's next cell: the same folders
        assert os.environ["COURSE_DATA_DIR"] == data
        hooks.pytest_runtest_teardown(first)
        hooks.pytest_runtest_setup(second)  # another notebook: folders of its own
        assert os.environ["COURSE_DATA_DIR"] != data and "alone-01_b-" in os.environ["COURSE_DATA_DIR"]
        hooks.pytest_runtest_teardown(second)
        assert "COURSE_DATA_DIR" not in os.environ and os.environ["COURSE_RUNS_DIR"] == "/somewhere/runs"
        hooks.pytest_runtest_setup(item_of(ROOT / "tests" / "test_x.py"))  # a test file: untouched
        assert "COURSE_DATA_DIR" not in os.environ
    finally:
        hooks.pytest_sessionfinish(None)
