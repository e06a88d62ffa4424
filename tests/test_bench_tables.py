"""lab/bench/README.md's generated tables are what lab/bench/tables.py makes of the records today."""

import json
import shutil
from pathlib import Path

import pytest

from lab.bench import tables

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_readme_tables_are_current():
    text = tables.README.read_text(encoding="utf-8")
    fresh, changed = tables.rewrite(text)
    assert not changed, f"lab/bench/README.md: stale table(s) {changed}; run python -m lab.bench.tables"
    assert fresh == text


def test_every_generator_has_its_markers_in_the_readme():
    names = {m["name"] for m in tables.BLOCK.finditer(tables.README.read_text(encoding="utf-8"))}
    assert names == set(tables.TABLES)


@pytest.mark.slow
def test_a_changed_record_makes_its_table_stale(tmp_path, monkeypatch):
    results = tmp_path / "results"
    results.mkdir()
    for path in tables.RESULTS.glob("*.json"):  # the records (the run folders are not read by any table)
        shutil.copy(path, results)
    record = json.loads((results / "depthwise.json").read_text())
    record["rows"][1]["ms_median"] += 10.0  # a probe edit of one figure
    (results / "depthwise.json").write_text(json.dumps(record))
    monkeypatch.setattr(tables, "RESULTS", results)
    _, changed = tables.rewrite(tables.README.read_text(encoding="utf-8"))
    assert changed == ["depthwise"]


def test_an_unknown_marker_is_an_error():
    with pytest.raises(KeyError, match="no generator for <!-- table:nope -->"):
        tables.rewrite("<!-- table:nope -->\n| x |\n<!-- /table -->\n")


def test_check_mode_exits_1_on_a_stale_table(tmp_path, monkeypatch, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("<!-- table:depthwise -->\n| stale |\n<!-- /table -->\n")
    monkeypatch.setattr(tables, "README", readme)
    assert tables.main(["--check"]) == 1
    assert "stale table(s) depthwise" in capsys.readouterr().err
    assert tables.main([]) == 0
    assert tables.main(["--check"]) == 0
    assert "| conv2d NCHW |" in readme.read_text()
