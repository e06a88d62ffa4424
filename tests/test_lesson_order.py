"""Each lesson notebook (00-09) teaches first, in d2l's order, and checks the reproduction last: one closing
section 复现核对 holds the `full` provenance rows, the costs of `full` and the write-up's claims tested.

How the audit is found: the modules that build those tables (``lab.fidelity``: provenance; ``lab.check_full``:
the costs of `full`; ``lab.claims`` and a track's ``claims`` module: claims against runs). No code cell before
the 复现核对 heading imports one of them; the probes below show that the finder sees each way of importing."""

import ast
import re

import nbformat
import pytest

from lib.runner import NOTEBOOK_DIR

LESSONS = sorted(p for p in NOTEBOOK_DIR.glob("0[0-9]_*.ipynb"))
AUDIT = "复现核对"
AUDIT_MODULES = re.compile(r"^lab\.(fidelity|check_full|claims|tracks\.\w+\.claims)(\.|$)")
ORDER = ("小结", "练习", "参考", AUDIT)  # the closing headings, in this order, after the lesson


def cells(path):
    return nbformat.read(path, as_version=4).cells


def h2(cell) -> list[str]:
    if cell.cell_type != "markdown":
        return []
    return [line[3:].strip() for line in cell.source.splitlines() if line.startswith("## ")]


def audit_imports(source: str) -> list[str]:
    """The audit modules a code cell imports (``import lab.x``, ``from lab.x import y``, ``from lab.tracks.t
    import claims``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: the cell's Python lines only
        tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if AUDIT_MODULES.match(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            found += [n for n in names if AUDIT_MODULES.match(n)]
    return found


def test_the_audit_finder_sees_every_way_of_importing():
    assert audit_imports("from lab.fidelity import full_profile_markdown")
    assert audit_imports("import lab.check_full as cf")
    assert audit_imports("from lab.tracks.deblur import claims")
    assert audit_imports("from lab.claims import claim_lines_zh\n%matplotlib inline")
    assert not audit_imports("from lab.complexity import conv_macs\nfrom lib.metrics import psnr")


def sections(path) -> list[tuple[str, int]]:
    return [(title, i) for i, cell in enumerate(cells(path)) for title in h2(cell)]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_the_lesson_comes_first_and_the_audit_closes(path):
    nb = cells(path)
    assert "本节目标" in nb[0].source, f"{path.name}: the first cell states 本节目标 (2-4 lines)"
    titles = [t for t, _ in sections(path)]
    closing = [next((t for t in titles if t.startswith(name)), None) for name in ORDER]
    assert all(closing), f"{path.name}: the headings {ORDER} are each needed; found {titles}"
    assert [titles.index(t) for t in closing] == sorted(titles.index(t) for t in closing), (
        f"{path.name}: the closing sections come in the order {ORDER}; found {titles}"
    )
    assert titles[-1] == AUDIT, f"{path.name}: ## {AUDIT} is the last section; found {titles[-3:]}"
    start = dict(sections(path))[AUDIT]
    early = {i: found for i, c in enumerate(nb[:start]) if c.cell_type == "code" and (found := audit_imports(c.source))}
    assert not early, f"{path.name}: cells before ## {AUDIT} build the audit's tables: {early}"
    early_md = [
        i
        for i, c in enumerate(nb[:start])
        if c.cell_type == "markdown" and re.search(r"`full` 配置|真实代价", c.source)
    ]
    assert not early_md, f"{path.name}: the `full` provenance or cost sections come before ## {AUDIT}: cells {early_md}"


def exercises(path) -> tuple[list[int], set[int]]:
    """The numbered exercises of the 练习 section and the exercise numbers that have a starter code cell (its
    first line ``# 练习 k``)."""
    nb = cells(path)
    listed = []
    for cell in nb:
        if cell.cell_type == "markdown" and "## 练习" in cell.source:
            body = cell.source.split("## 练习", 1)[1].split("\n## ", 1)[0]
            listed = [int(m) for m in re.findall(r"^(\d+)\. ", body, flags=re.M)]
    starters = {
        int(m.group(1))
        for cell in nb
        if cell.cell_type == "code" and (m := re.match(r"#\s*练习\s*(\d+)", cell.source.lstrip()))
    }
    return listed, starters


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_exercise_has_a_starter_cell(path):
    listed, starters = exercises(path)
    assert listed, f"{path.name}: no numbered exercises under ## 练习"
    assert set(listed) <= starters, f"{path.name}: exercises without a starter cell: {sorted(set(listed) - starters)}"


def summary_text(path) -> str:
    """What the 小结 shows: the stored outputs (text/markdown, else text/plain) of the code cells between ## 小结
    and the next heading."""
    nb = cells(path)
    start = next(i for i, c in enumerate(nb) if any(t.startswith("小结") for t in h2(c)))
    shown = []
    for cell in nb[start + 1 :]:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
            break
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {})
            shown.append(data.get("text/markdown") or out.get("text") or data.get("text/plain", ""))
    return "\n".join(shown)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_the_stored_summary_has_at_most_five_bullets_and_600_characters(path):
    text = summary_text(path)
    bullets = [line for line in text.splitlines() if re.match(r"\s*[-*] ", line)]
    assert bullets, f"{path.name}: the stored 小结 shows no bullets (run `make run`, then `make notebooks`)"
    assert len(bullets) <= 5, f"{path.name}: {len(bullets)} bullets in 小结"
    chars = sum(len(b.strip()) for b in bullets)
    assert chars <= 600, f"{path.name}: the 小结's bullets hold {chars} characters"


def test_the_appendix_is_short():
    appendix = next(NOTEBOOK_DIR.glob("10_*.ipynb"))
    assert len(cells(appendix)) <= 25, f"{appendix.name}: {len(cells(appendix))} cells; the full tables live in lab/"
