"""What a learner reads on a figure is Chinese: every literal text given to a figure's title, axis label, tick
labels, legend or annotation, where the figures are made (the notebooks' code cells and lib's plotting modules).

A text passes if it holds a Chinese character, or no English word at all: identifiers (``psnr_db``, ``NAFNet``,
``TLC``), units, numbers and format fields are not words to translate. An English word is a run of three or more
lower-case letters (after a capital, e.g. "Blurred") that is not part of an identifier or a format field.
"""

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PLOTTING_MODULES = sorted(
    p for p in (ROOT / "lib").rglob("*.py") if re.search(r"\bplt\.|matplotlib|\.set_title\(", p.read_text("utf-8"))
)
# calls whose text arguments a figure shows, and the keywords that carry text
LABEL_CALLS = {
    "title", "set_title", "suptitle", "xlabel", "ylabel", "set_xlabel", "set_ylabel", "text", "annotate",
    "legend", "set_xticklabels", "set_yticklabels", "xticks", "yticks", "colorbar", "set_label", "figtext",
}  # fmt: skip
LABEL_KEYWORDS = {"label", "title", "xlabel", "ylabel", "labels", "tick_label", "titles"}
CJK = re.compile(r"[\u4e00-\u9fff]")
FORMAT_FIELD = re.compile(r"\{[^{}]*\}")
IDENTIFIER = re.compile(r"\w+\(\)|[A-Za-z0-9]*[_.][A-Za-z0-9_.]*|[A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*|[A-Z]{2,}[a-z]?")
ENGLISH_WORD = re.compile(r"\b[A-Za-z]?[a-z]{3,}\b")
ALLOWED = {"dB", "px", "log", "max", "min", "std", "vs"}  # units and mathematical abbreviations


def english_words(text: str) -> list[str]:
    """The English words a learner would read in ``text`` (empty when it holds Chinese)."""
    if CJK.search(text):
        return []
    text = FORMAT_FIELD.sub(" ", text)
    text = IDENTIFIER.sub(" ", text)
    return [w for w in ENGLISH_WORD.findall(text) if w not in ALLOWED]


def literal_texts(node) -> list[str]:
    """String constants inside an argument: plain strings, f-strings' constant parts, lists and tuples of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [t for item in node.elts for t in literal_texts(item)]
    return []


def label_texts(source: str) -> list[tuple[int, str]]:
    """(line, text) of every literal text that a plotting call in ``source`` gives to a figure."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in LABEL_CALLS:
            for arg in node.args[:2]:
                found += [(node.lineno, t) for t in literal_texts(arg)]
        found += [(node.lineno, t) for kw in node.keywords if kw.arg in LABEL_KEYWORDS for t in literal_texts(kw.value)]
    return found


def test_the_word_finder_tells_english_from_identifiers_and_chinese():
    assert english_words("Blurred input") == ["Blurred", "input"]
    assert english_words("PSNR (dB)") == english_words("NAFNet x TLC") == english_words("psnr_db {value:.2f}") == []
    assert english_words("模糊输入 blurred") == []  # Chinese with an English term is read as Chinese
    assert label_texts('ax.set_title("restored")\nplt.plot(x, label=f"seed {s}")') == [(1, "restored"), (2, "seed {}")]


def cells_source(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    lines = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            lines += [line if not line.lstrip().startswith(("%", "!")) else "" for line in cell.source.splitlines()]
    return "\n".join(lines)


@pytest.mark.parametrize("path", NOTEBOOKS + PLOTTING_MODULES, ids=lambda p: p.name)
def test_figure_labels_are_chinese(path):
    source = cells_source(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
    english = [(line, text) for line, text in label_texts(source) if english_words(text)]
    assert not english, f"{path.relative_to(ROOT)}: English on a figure: {english}"
