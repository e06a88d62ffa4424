"""Notebook 10, the readability appendix, reads as a short study, not a lab log: no bench's run name (``recipe_s2_x4 +
TLC``) in anything a learner reads, the study's diagnostics named in Chinese, and, once its outputs are stored from
these sources, tables of at most 6 rows, one figure and a 小结 of at most 5 bullets."""

import re

import nbformat
import pytest

from lab.tracks.deblur.candidates import CANDIDATES, SPLITS, bench_files, page_cers
from lab.tracks.deblur.readings import DIAGNOSTICS_ZH
from lib.runner import NOTEBOOK_DIR, stored_run_is_current
from tests.test_lesson_order import summary_text
from tests.test_notebooks_stored import outputs

APPENDIX = next(NOTEBOOK_DIR.glob("10_*.ipynb"))
MAX_ROWS = 6


def run_names() -> set[str]:
    """Every method the recorded readability benches name that is a run of the study (its name has an underscore:
    ``w32_x2 + TLC``, ``recipe_ens2_x4``), with and without `` + TLC``."""
    names = {m for s in SPLITS for m in page_cers(s)} | {m for c in CANDIDATES for m in c.methods.values()}
    runs = {n for n in names if "_" in n}
    return runs | {n.removesuffix(" + TLC") for n in runs}


def table_rows(text: str) -> list[int]:
    """The number of body rows of each Markdown table in ``text``."""
    counts, lines = [], text.splitlines()
    for i in range(1, len(lines)):
        if re.match(r"^\s*\|?\s*:?-{3,}", lines[i]) and lines[i - 1].lstrip().startswith("|"):
            body = 0
            while i + 1 + body < len(lines) and lines[i + 1 + body].lstrip().startswith("|"):
                body += 1
            counts.append(body)
    return counts


def test_the_table_row_counter():
    text = "前言\n| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n\n| c |\n|---|\n| 5 |\n"
    assert table_rows(text) == [2, 1]


def test_the_run_names_are_found():
    names = run_names()
    assert {"recipe_s2_x4 + TLC", "recipe_s2_x4", "shipped_x4_s1 + TLC"} <= names
    assert "blurred input" not in names and "unsharp mask" not in names


def test_no_run_name_in_what_a_learner_reads():
    names = run_names()
    nb = nbformat.read(APPENDIX, as_version=4)
    found = {
        (i, name)
        for i, cell in enumerate(nb.cells)
        for name in names
        if re.search(rf"(?<![\w/]){re.escape(name)}(?![\w/])", cell.source)
    }
    assert not found, f"{APPENDIX.name}: the benches' run names in cells (index, name): {sorted(found)}"


def test_the_diagnostics_are_recorded_on_heldout():
    recorded = page_cers("heldout")
    assert set(DIAGNOSTICS_ZH.values()) <= set(recorded), sorted(set(DIAGNOSTICS_ZH.values()) - set(recorded))
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in DIAGNOSTICS_ZH)
    assert bench_files("heldout")  # the same benches the scoreboard reads


def test_the_stored_appendix_is_short():
    if not stored_run_is_current(APPENDIX):
        pytest.skip(f"{APPENDIX.name}: stored outputs older than its sources (test_notebooks_stored fails on that)")
    nb = nbformat.read(APPENDIX, as_version=4)
    rows = [n for text in outputs(nb, "text") for n in table_rows(text)]
    assert rows and max(rows) <= MAX_ROWS, f"{APPENDIX.name}: tables of {rows} rows; the full ones live in lab/"
    assert len(list(outputs(nb, "image"))) == 1, "one figure: the scoreboard"
    bullets = [line for line in summary_text(APPENDIX).splitlines() if re.match(r"\s*[-*] ", line)]
    assert 0 < len(bullets) <= 5 and sum(len(b.strip()) for b in bullets) <= 600
