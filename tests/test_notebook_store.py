"""The stored notebooks' machinery (lib.runner): the digest of a notebook's sources, and ``--store``, which only
takes an executed copy of a successful demo run of the notebook as it is now."""

import shutil

import nbformat
import pytest

from lib import runner


@pytest.fixture()
def course(tmp_path, monkeypatch):
    """A notebook folder with one notebook of the retouch track (a copy of 08, whose config is read) and a run
    folder beside it."""
    folder, runs = tmp_path / "notebooks", tmp_path / "runs"
    folder.mkdir()
    runs.mkdir()
    shutil.copy(runner.NOTEBOOK_DIR / "08_face_retouching.ipynb", folder)
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", folder)
    return folder / "08_face_retouching.ipynb", runs


def executed_copy(path, runs, profile="demo", status="ok"):
    nb = nbformat.read(path, as_version=4)
    code = next(cell for cell in nb.cells if cell.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    runner.stamp(nb, path, profile, status)
    nbformat.write(nb, runs / path.name)
    return nb


def test_the_digest_follows_sources_and_config_not_outputs(course, monkeypatch, tmp_path):
    path, runs = course
    before = runner.sources_digest(path)
    assert runner.sources_digest(path, executed_copy(path, runs)) == before  # outputs and metadata do not count
    nb = nbformat.read(path, as_version=4)
    next(cell for cell in nb.cells if cell.cell_type == "markdown").source += " 改写的说明"
    assert runner.sources_digest(path, nb) == before  # prose computes nothing
    code = next(cell for cell in nb.cells if cell.cell_type == "code" and "print(" in cell.source)
    code.source = code.source.replace("print(", "print(1, ", 1)
    assert runner.sources_digest(path, nb) != before  # a probe edit of one statement
    config = tmp_path / "retouch.yaml"
    config.write_text("changed: true\n", encoding="utf-8")
    monkeypatch.setattr(runner, "notebook_config_files", lambda stem: [config])
    monkeypatch.setattr(runner, "REPO_ROOT", tmp_path)
    assert runner.sources_digest(path) != before


def test_store_takes_only_a_fresh_successful_demo_run(course):
    path, runs = course
    assert runner.store(runs) == [f"{path.name}: not stored, no executed copy in {runs} (run make run first)"]
    before = path.read_bytes()
    for profile, status, why in (("smoke", "ok", "ran under 'smoke'"), ("demo", "FAILED", "its run FAILED")):
        executed_copy(path, runs, profile, status)
        assert why in runner.store(runs)[0]
        assert path.read_bytes() == before  # a refused copy leaves the notebook as it was
    executed_copy(path, runs)
    nb = nbformat.read(path, as_version=4)
    next(cell for cell in nb.cells if cell.cell_type == "code").source += "\nprint()"
    nbformat.write(nb, path)  # the notebook changed after it ran
    assert "changed since it ran" in runner.store(runs)[0]
    executed_copy(path, runs)
    assert runner.store(runs) == [f"{path.name}: stored"]
    stored = nbformat.read(path, as_version=4)
    assert stored.metadata["course"]["sources"] == runner.sources_digest(path)
    assert any(cell.get("outputs") for cell in stored.cells if cell.cell_type == "code")
    assert runner.main(["--store", "--out", str(runs)]) == 0


def test_what_a_cell_computes_leaves_out_imports_comments_and_layout_not_statements():
    def cell(source):
        return runner.what_a_cell_computes(nbformat.v4.new_code_cell(source))

    base = cell(
        "import json\nfrom lib.paths import REPO_ROOT\n\nx = json.loads(REPO_ROOT.read_text())  # read\nprint(x)"
    )
    assert base == cell(
        "from lab.paths import REPO_ROOT\nimport json\nx = json.loads(\n    REPO_ROOT.read_text()\n)\nprint(x)"
    )
    assert base != cell("import json\nx = json.loads(ROOT.read_text())\nprint(x, 1)")  # a changed statement
    assert base != cell("import json\nx = json.loads(ROOT.read_bytes())\nprint(x)")
    # IPython's own syntax is read as text, its import lines and blank lines left out
    magic = cell("%env COURSE_PROFILE=demo\nfrom lib import x\n\nprint(1)")
    assert magic == "%env COURSE_PROFILE=demo\nprint(1)" and magic != cell("%env COURSE_PROFILE=smoke\nprint(1)")


def test_a_stored_run_stays_current_across_a_recorded_move_and_only_a_move(course):
    path, runs = course
    executed_copy(path, runs)
    assert runner.store(runs) == [f"{path.name}: stored"]
    assert runner.stored_run_is_current(path)
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.source += '\nprint("lab/bench/results/x.json")'
    nbformat.write(nb, path)
    assert not runner.stored_run_is_current(path)  # the stored run printed nothing of the kind

    def stamped(moved, edit):
        nb = nbformat.read(path, as_version=4)
        nb.metadata["course"]["sources"] = runner.sources_digest(path, moved=[("lab/bench/", "bench/")])
        nb.metadata["course"]["moved"] = moved
        next(c for c in nb.cells if c.cell_type == "code").source += edit
        nbformat.write(nb, path)
        return runner.stored_run_is_current(path)

    # as if it had run with the file at bench/results/x.json, which has moved to lab/bench/ since
    nb = nbformat.read(path, as_version=4)
    nb.metadata["course"]["sources"] = runner.sources_digest(path, moved=[("lab/bench/", "bench/")])
    nbformat.write(nb, path)
    assert not runner.stored_run_is_current(path)  # the move is not recorded
    assert stamped([["lab/bench/", "bench/"]], "")
    assert not stamped([["lab/bench/", "bench/"]], "\nprint(2)")  # anything beyond the move makes it stale
