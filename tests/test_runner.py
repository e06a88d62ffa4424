"""`make run`'s runner: executed copies, the summary table, and a named failing cell."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lib import runner


def write_notebook(path, cells):
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.mark.slow
def test_runner_summarises_and_names_the_failing_cell(tmp_path, monkeypatch, capfd):
    src = tmp_path / "notebooks"
    src.mkdir()
    write_notebook(
        src / "00_ok.ipynb",
        [
            new_code_cell(
                "import lib.quiet, paddle\nfrom lib.report import key_figure\nkey_figure('answer', 42, '{:d}')"
            )
        ],
    )
    write_notebook(
        src / "01_broken.ipynb", [new_markdown_cell("# title"), new_code_cell("x = 1"), new_code_cell("1 / 0")]
    )
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", src)
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    out = tmp_path / "runs"
    assert runner.main(["--out", str(out)]) == 1
    captured = capfd.readouterr()  # file descriptors: the kernels' own output too
    assert "FAILED: 01_broken.ipynb cell 3: ZeroDivisionError" in captured.err
    for noise in (
        "Kernel is running over TCP",
        "C++ Traceback",
        "SIGTERM",
        "Executing notebook with kernel",
        "Could not destroy zmq context",
    ):
        assert noise not in captured.err + captured.out, noise
    assert (out / "logs" / "00_ok.kernel.log").is_file()
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "| 00_ok.ipynb" in summary and "answer: 42" in summary and "FAILED" in summary
    assert "| (course)" in summary and "| (other)" in summary  # totals; test notebooks have no track
    executed = nbformat.read(out / "00_ok.ipynb", as_version=4)
    assert "answer: 42" in executed.cells[0].outputs[0]["text"]
    assert not nbformat.read(src / "00_ok.ipynb", as_version=4).cells[0].outputs  # source untouched
    assert runner.main(["--out", str(out), "00"]) == 0


def test_course_notebooks_belong_to_their_tracks():
    tracks = runner.notebook_tracks()
    assert tracks["03_staged_training"] == "deblur"
    table = runner.format_table(
        [
            {
                "notebook": "03_staged_training.ipynb",
                "track": "deblur",
                "seconds": 60.0,
                "status": "ok",
                "key_figure": "x",
            },
            {
                "notebook": "04_tlc_inference.ipynb",
                "track": "deblur",
                "seconds": 30.0,
                "status": "ok",
                "key_figure": "y",
            },
        ]
    )
    total = next(line for line in table.splitlines() if "(all of deblur)" in line)
    assert [c.strip() for c in total.strip("|").split("|")][1:3] == ["deblur", "90"] and "| (course)" in table


def test_unknown_notebook_name_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", tmp_path)
    import pytest

    with pytest.raises(SystemExit, match="no notebook matches"):
        runner.main(["--out", str(tmp_path / "r"), "99"])


def test_ready_keeps_a_track_in_order_and_tracks_side_by_side():
    tracks = {"00_a": "deblur", "01_b": "deblur", "06_c": "sdwnet", "07_d": "denoise"}
    pending = [runner.Path(f"{stem}.ipynb") for stem in tracks]
    assert runner.ready(pending, set(), tracks).stem == "00_a"
    assert runner.ready(pending, {"deblur"}, tracks).stem == "06_c"  # 01_b waits for 00_a, not the others
    assert runner.ready(pending[1:], {"sdwnet"}, tracks).stem == "01_b"
    assert runner.ready(pending[1:3], {"deblur", "sdwnet"}, tracks) is None
    assert runner.ready([runner.Path("00_x.ipynb"), runner.Path("01_y.ipynb")], {""}, {}) is None  # no track: in order


@pytest.mark.slow
def test_two_jobs_run_tracks_side_by_side_each_kernel_with_its_own_name(tmp_path, monkeypatch):
    src, log = tmp_path / "notebooks", tmp_path / "times.txt"
    src.mkdir()
    cell = (
        "import os, time\nname = os.environ['COURSE_NOTEBOOK']\nstart = time.time()\ntime.sleep(3)\n"
        f"open({str(log)!r}, 'a').write(f'{{name}} {{start}} {{time.time()}}\\n')\nprint(name)"
    )
    for stem in ("00_first", "01_second", "02_other"):
        write_notebook(src / f"{stem}.ipynb", [new_code_cell(cell)])
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", src)
    monkeypatch.setattr(runner, "notebook_tracks", lambda: {"00_first": "a", "01_second": "a", "02_other": "b"})
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    out = tmp_path / "runs"
    assert runner.main(["--out", str(out), "--jobs", "2"]) == 0
    times = {name: (float(a), float(b)) for name, a, b in (line.split() for line in log.read_text().splitlines())}
    assert times["01_second"][0] >= times["00_first"][1]  # one track: in order
    assert times["02_other"][0] < times["00_first"][1] and times["00_first"][0] < times["02_other"][1]  # overlap
    for stem in times:  # each kernel got its own notebook's name, not the last one set
        assert nbformat.read(out / f"{stem}.ipynb", as_version=4).cells[0].outputs[0]["text"].strip() == stem
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "2 notebooks at a time" in summary and "wall time, tracks side by side" in summary
