"""lib.report.progress: a bar that leaves one finished text line in a notebook's stored outputs (a code host shows a
widget only as its text fallback, frozen at its first state), live in a terminal, quiet under smoke and in logs.

The stored outputs are judged by the same finder as the course's notebooks (tests/test_notebooks_stored.py)."""

import io
import tempfile
from pathlib import Path

import nbformat
import pytest
from tqdm.std import tqdm

from lib.report import finished_line, progress
from tests.test_notebooks_stored import UNFINISHED_BAR, outputs

ROOT = Path(__file__).resolve().parents[1]


def closed_bar(n, total, desc="crop"):
    bar = tqdm(total=total, desc=desc, file=io.StringIO(), mininterval=0)
    bar.update(n)
    bar.close()
    return bar


def test_a_finished_bar_leaves_a_full_line():
    line = finished_line(closed_bar(34, 34))
    assert line.startswith("crop: 100%|") and "| 34/34 [" in line and "\n" not in line
    assert not UNFINISHED_BAR.search(line)


def test_a_bar_stopped_short_leaves_its_count_not_a_frozen_bar():
    line = finished_line(closed_bar(14, 34))
    assert line.startswith("crop: 14/34 [") and "%|" not in line
    assert finished_line(closed_bar(3, 10, desc="")).startswith("3/10 [")
    # what the finder catches: the same bar drawn as tqdm draws it part-way
    assert UNFINISHED_BAR.search(tqdm.format_meter(n=14, total=34, elapsed=1.0, prefix="crop"))


def test_quiet_under_smoke_and_outside_a_terminal(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    assert progress(range(3)).disable
    monkeypatch.delenv("COURSE_PROFILE")
    monkeypatch.delenv("COURSE_QUIET", raising=False)
    assert list(progress(range(3), desc="x")) == [0, 1, 2]  # pytest's stderr is no TTY: tqdm turns itself off
    assert "%|" not in capsys.readouterr().err


CELLS = {
    "widget": "from lib.report import progress\nfor _ in progress(range(30), desc='crop'):\n    pass\nprint('done')",
    "stopped": "bar = progress(total=10, desc='stop')\nbar.update(4)\nbar.close()",
    # without ipywidgets (tqdm.notebook finds no IProgress): nothing written until the finished line
    "no widgets": "import tqdm.notebook\ntqdm.notebook.IProgress = None\nfor _ in progress(range(30), desc='crop'):\n"
    "    pass",
}


@pytest.mark.slow
def test_an_executed_notebook_stores_finished_lines(monkeypatch):
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    monkeypatch.delenv("COURSE_PROFILE", raising=False)  # the kernel inherits the environment: bars on
    monkeypatch.delenv("COURSE_QUIET", raising=False)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS.values()]
    with tempfile.TemporaryDirectory(prefix="kernel-") as sockets:
        km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "ipc"))
        NotebookClient(nb, km=km, timeout=120, resources={"metadata": {"path": str(ROOT)}}).execute()
    shown = {name: list(outputs(nbformat.v4.new_notebook(cells=[cell]), "text")) for name, cell in zip(CELLS, nb.cells)}
    lines = [line for texts in shown.values() for text in texts for line in text.splitlines()]
    assert not [line for line in lines if UNFINISHED_BAR.search(line)], shown
    widgets = [o for c in nb.cells for o in c.outputs if any("widget" in k for k in o.get("data", {}))]
    assert not widgets, widgets
    widget_line, done = shown["widget"]  # the widget's display, updated in place to its line; then the print
    assert widget_line.startswith("crop: 100%|") and "| 30/30 [" in widget_line and done == "done\n"
    assert shown["stopped"][-1].startswith("stop: 4/10 [")
    assert len(shown["no widgets"]) == 1 and shown["no widgets"][0].startswith("crop: 100%|")
    assert shown["no widgets"][0].count("\r") == 0
