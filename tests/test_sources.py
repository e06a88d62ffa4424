"""Every solution named by what it was, from one place (lib/tracks/sources.py): its coverage of the
tracks, Track.source, the first-section line, the README's solution lines, and "冠军方案" only in the
blurred-document notebooks."""

import json
import re
from pathlib import Path

import pytest

from lib.tracks import KNOWN_TRACKS, Track, get_track
from lib.tracks.sources import SOURCES, Source

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CHAMPION = "冠军方案"
DEBLUR_NOTEBOOKS = {"00", "01", "02", "03", "04", "05", "10"}  # the blurred-document solution's, which won
# track -> the notebook that teaches it and must show its source line in its first code cell
FIRST_SECTION = {"06": "sdwnet", "07": "denoise", "08": "retouch", "09": "deocclusion"}


def notebook(number: str) -> dict:
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    return json.loads(path.read_text(encoding="utf-8"))


def cell_text(cell: dict) -> str:
    """A cell's source and the text of its stored outputs (the notebooks are stored executed)."""
    texts = ["".join(cell["source"])]
    for out in cell.get("outputs", []):
        texts.append("".join(out.get("text", "")))
        texts += ["".join(v) for k, v in out.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(texts)


def cells_naming(nb: dict, phrase: str) -> list[int]:
    """Indexes of the cells (markdown and code) whose source or stored output contains ``phrase``."""
    return [i for i, cell in enumerate(nb["cells"]) if phrase in cell_text(cell)]


def first_code_cell(nb: dict) -> str:
    return next("".join(cell["source"]) for cell in nb["cells"] if cell["cell_type"] == "code")


def readme_standings() -> dict:
    """``- `track` (notebook NN): standing`` lines of README.md's introduction, by track."""
    found = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"- `(\w+)` \(notebooks? [^)]*\): (.+)", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


# ---------------------------------------------------------------- the one place
def test_every_known_track_has_a_source_and_only_deblur_is_the_champion():
    assert set(SOURCES) == set(KNOWN_TRACKS)
    names = {track: source.name_zh for track, source in SOURCES.items()}
    assert names.pop("deblur") == CHAMPION
    assert set(names.values()) == {"原方案"}
    for source in SOURCES.values():
        assert CHAMPION not in source.standing_zh or source is SOURCES["deblur"]


def test_the_segmenter_shares_the_de_occlusion_solution():
    assert SOURCES["deocclusion_seg"] is SOURCES["deocclusion"]


@pytest.mark.parametrize("track", sorted(SOURCES))
def test_each_source_has_a_one_line_standing_and_https_links(track):
    source = SOURCES[track]
    assert source.standing_zh and "\n" not in source.standing_zh
    assert source.links, f"{track}: no links"
    urls = [url for _, url in source.links]
    assert len(set(urls)) == len(urls), f"{track}: a link given twice"
    for label, url in source.links:
        assert label.strip(), f"{track}: a link without a label"
        assert re.fullmatch(r"https://(github\.com|arxiv\.org|aistudio\.baidu\.com)/\S+", url), url


def test_track_source_is_the_registry_entry_and_none_for_a_track_without_one():
    for name in KNOWN_TRACKS:
        assert get_track(name).source is SOURCES[name]

    class NoSource(Track):
        name = "tiny_without_source"

    assert NoSource().source is None


def test_sources_are_frozen():
    with pytest.raises(AttributeError):
        SOURCES["sdwnet"].name_zh = "冠军方案"


# ---------------------------------------------------------------- the first-section line
def test_markdown_line_gives_name_standing_and_every_link():
    source = Source(
        "原方案",
        "某比赛的参赛方案，A 榜第 5 名。",
        (("仓库", "https://github.com/a/b"), ("论文", "https://arxiv.org/abs/1")),
    )
    line = source.markdown_zh()
    assert "\n" not in line
    assert line.startswith("**原方案**：某比赛的参赛方案，A 榜第 5 名。")
    assert re.findall(r"\[([^\]]+)\]\((\S+?)\)", line) == [
        ("仓库", "https://github.com/a/b"),
        ("论文", "https://arxiv.org/abs/1"),
    ]
    assert Source("原方案", "无链接。").markdown_zh() == "**原方案**：无链接。"


@pytest.mark.parametrize("track", sorted(SOURCES))
def test_every_source_line_carries_its_links(track):
    line = SOURCES[track].markdown_zh()
    assert line.startswith(f"**{SOURCES[track].name_zh}**：{SOURCES[track].standing_zh}")
    assert re.findall(r"\[([^\]]+)\]\((\S+?)\)", line) == list(SOURCES[track].links)


# ---------------------------------------------------------------- the README
def test_readme_lines_equal_the_standings():
    expected = {track: source.standing_zh for track, source in SOURCES.items() if track != "deocclusion_seg"}
    assert readme_standings() == expected


# ---------------------------------------------------------------- the notebooks
def test_the_scan_finds_the_phrase_in_markdown_and_code():
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["# 标题\n", "下文称冠军方案。"]},
            {"cell_type": "code", "source": ["print('原方案')"]},
            {"cell_type": "code", "source": ["label = '冠军方案配方'"]},
        ]
    }
    assert cells_naming(nb, CHAMPION) == [0, 2]


@pytest.mark.parametrize(
    "number", sorted(p.name[:2] for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb") if p.name[:2] not in DEBLUR_NOTEBOOKS)
)
def test_only_the_blurred_document_notebooks_say_champion(number):
    cells = cells_naming(notebook(number), CHAMPION)
    assert not cells, f"notebook {number}: {CHAMPION} in cells {cells}; its solution is not the blurred-document one"


@pytest.mark.parametrize("number", sorted(FIRST_SECTION))
def test_the_first_code_cell_shows_the_source_line(number):
    cell = first_code_cell(notebook(number))
    assert f'get_track("{FIRST_SECTION[number]}")' in cell
    assert "display(Markdown(track.source.markdown_zh()))" in cell
