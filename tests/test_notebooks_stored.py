"""The notebooks are stored executed (the demo run's outputs), so a reader sees every result without running; this
fails when a stored notebook is older than its sources (``make run`` then ``make notebooks`` refreshes them), and
when what it prints shows a table header in English."""

import re

import nbformat
import pytest

from lib.runner import NOTEBOOK_DIR, STORED_PROFILE, find_notebooks, stored_run_is_current
from tests.test_chinese_labels import english_words

NOTEBOOKS = find_notebooks()
REFRESH = "run `make run` and then `make notebooks`"


def stored(path):
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_results_are_as_new_as_their_sources(path):
    meta = stored(path).metadata.get("course")
    assert meta, f"{path.name} holds no stored run; {REFRESH}"
    assert meta["profile"] == STORED_PROFILE and meta["status"] == "ok", f"{path.name}: {meta}; {REFRESH}"
    assert stored_run_is_current(path), f"{path.name} changed since its stored run; {REFRESH}"


def outputs(nb, kind):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if kind == "image" and any(k.startswith("image/") for k in out.get("data", {})):
                yield out
            elif kind == "text":
                yield out.get("text", "") + "".join(
                    v if isinstance(v, str) else "".join(v)
                    for k, v in out.get("data", {}).items()
                    if k in ("text/plain", "text/markdown", "text/html")
                )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_shows_its_figures(path):
    nb = stored(path)
    draws = any(re.search(r"\bplt\.|\bshow_\w+\(|\bplot_\w+\(|\.imshow\(", c.source) for c in nb.cells)
    assert not draws or list(outputs(nb, "image")), f"{path.name} draws figures but stores none; {REFRESH}"
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{path.name} stores no output"


def table_headers(text: str) -> list[str]:
    """The header cells of the Markdown tables (a row followed by |---|) and HTML tables (<th>) in ``text``."""
    lines = text.splitlines()
    cells = [
        cell.strip()
        for line, rule in zip(lines, lines[1:])
        if line.strip().startswith("|") and re.match(r"^\s*\|?\s*:?-{3,}", rule)
        for cell in line.strip().strip("|").split("|")
    ]
    return cells + [re.sub(r"<[^>]+>", "", th).strip() for th in re.findall(r"<th[^>]*>(.*?)</th>", text, re.S)]


def test_the_header_finder():
    text = "| 方法 | PSNR (dB) | seconds |\n|---|---|---|\n| a | 1 | 2 |\n<th>模型</th><th>time</th>"
    assert table_headers(text) == ["方法", "PSNR (dB)", "seconds", "模型", "time"]
    assert [h for h in table_headers(text) if english_words(h)] == ["seconds", "time"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_printed_tables_have_chinese_headers(path):
    english = {h for text in outputs(stored(path), "text") for h in table_headers(text) if english_words(h)}
    assert not english, f"{path.name}: table headers in English: {sorted(english)}"


# an absolute path into a checkout: "/<anything>/data/...", ".../runs/...", ".../checkpoints/..." and the like; not
# A progress bar's text as a code host shows it: the widget's fallback line frozen at its first state, or any bar
# line short of 100 % (a finished bar leaves "100%|...| n/n").
UNFINISHED_BAR = re.compile(r"(?<![\d.])(?!100%)\d{1,3}%\|")
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:tmp|root|work|home/(?!aistudio/))[\w./-]*")


def test_the_bar_and_path_finders():
    assert UNFINISHED_BAR.search("  0%|          | 0/34 [00:00<?, ?it/s]") and UNFINISHED_BAR.search("训练 45%|####5")
    assert not UNFINISHED_BAR.search("训练 100%|##########| 34/34 [00:12<00:00]") and not UNFINISHED_BAR.search(
        "提升 12.5%"
    )
    assert MACHINE_PATH.search("写入 /tmp/tmpab12/submission.zip") and MACHINE_PATH.search("见 /root/.cache/x")
    assert not MACHINE_PATH.search("COURSE_DATA=/home/aistudio/data/data12345") and not MACHINE_PATH.search(
        "runs/app/x"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_outputs_read_cleanly_on_a_code_host(path):
    texts = list(outputs(stored(path), "text"))
    bars = [m.group(0) for t in texts for line in t.splitlines() if (m := UNFINISHED_BAR.search(line))]
    paths = [m.group(0) for t in texts if (m := MACHINE_PATH.search(t))]
    assert not bars, f"{path.name}: progress bars stored unfinished: {bars[:3]}"
    assert not paths, f"{path.name}: machine paths in stored outputs: {paths[:3]}"


# /home/aistudio/, the example AI Studio path the notebooks give for $COURSE_DATA
CHECKOUT_PATH = re.compile(r"(?<![\w.])(?!/home/aistudio/)/(?:[\w.-]+/)+?(?:data|runs|checkpoints|dist|notebooks|lib)/")


def test_the_checkout_path_finder():
    assert CHECKOUT_PATH.search("数据目录: /work/main/data/deblur") and CHECKOUT_PATH.search("(/tmp/fc/runs/x)")
    assert not CHECKOUT_PATH.search("数据目录: data/deblur，checkpoints/deblur_nafnet_demo/model.pdparams")
    assert not CHECKOUT_PATH.search("COURSE_DATA=/home/aistudio/data/data12345")


def test_stored_outputs_hold_no_trace_of_the_machine():
    root = str(NOTEBOOK_DIR.parent)
    leaks = {
        p.name: match.group(0)
        for p in NOTEBOOKS
        for text in outputs(stored(p), "text")
        if (match := CHECKOUT_PATH.search(text) or (root in text and re.search(re.escape(root), text)))
    }
    assert not leaks, f"absolute paths of the machine that ran them in the outputs: {leaks}"
