"""lab.fidelity: the write-ups' numbers beside the full profile. The engine (key paths, comparison,
row checks, exit codes) on made-up configs and on a probe track; then every real track's table
passes, and a probe row that changes one real number without a reason makes it fail."""

import copy
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import lab.fidelity
import lib.tracks
from lab.fidelity import (
    COLUMNS,
    DIFFERS,
    FAIL,
    NOT_CONFIG,
    NOT_SET,
    OK,
    FidelityError,
    check_rows,
    evaluate_row,
    format_table,
    load_rows,
    lookup,
    main,
    notebook_table,
    same,
    table_path,
    track_results,
)
from lib.tracks import KNOWN_TRACKS, Track, get_track

ROOT = Path(__file__).resolve().parents[1]

CONFIG = {
    "train": {
        "stages": [
            {"batch_size": 8, "patch_size": 192, "iters": 184000},
            {"batch_size": 5, "patch_size": 256, "iters": 128000},
            {"batch_size": 4, "patch_size": 320, "iters": 96000},
        ],
        "optimizer": {"lr": 2.0e-4, "betas": [0.9, 0.9]},
        "scheduler": {"periods": [184000, 232000, 184000]},
        "amp": False,
    },
    "model": {"width": 32},
}


def row(**fields):
    return {"quote": "学习率我们采用2e-4", "source": "README.md", **fields}


# ---------------------------------------------------------------- key paths
@pytest.mark.parametrize(
    "key, expected",
    [
        ("model.width", 32),
        ("train.stages[1].batch_size", 5),
        ("train.stages[-1].patch_size", 320),
        ("train.stages[*].batch_size", [8, 5, 4]),
        ("train.scheduler.periods[0:2]", [184000, 232000]),
        ("sum(train.stages[*].iters)", 408000),
        ("sum(train.scheduler.periods[0:2])", 416000),
        ("train.stages[0]", {"batch_size": 8, "patch_size": 192, "iters": 184000}),
        ("train.amp", False),
    ],
)
def test_lookup_reads_the_value_at_a_key_path(key, expected):
    assert lookup(CONFIG, key) == expected


def test_a_missing_last_part_reads_as_not_set():
    assert lookup(CONFIG, "train.grad_clip") is NOT_SET
    assert lookup(CONFIG, "train.stages[0].lr") is NOT_SET


@pytest.mark.parametrize(
    "key, message",
    [
        ("train.optimzer.lr", r"key 'train.optimzer.lr': train.optimzer does not exist \(found \['amp', 'optimizer'"),
        ("train.stages[3].iters", r"train.stages has 3 items, no \[3\]"),
        ("model.width.depth", r"model.width is not a mapping \(it holds 32\)"),
        ("model[0]", r"model is not a list \(it holds dict \{'width': 32\}\)"),
        ("train.stages[x]", r"cannot read '\[x\]'"),
        ("sum(train.amp)", r"sum\(\) needs numbers"),
    ],
)
def test_a_key_that_leads_nowhere_is_an_error_naming_it(key, message):
    with pytest.raises(FidelityError, match=message):
        lookup(CONFIG, key)


def test_same_compares_numbers_to_1e9_and_containers_item_by_item():
    assert same(2e-4, 0.0002) and same(600000, 600000.0) and same(1800 / 600, 3)
    assert not same(2e-4, 2.1e-4) and not same(1, True) and not same(0, False)
    assert same([0.9, 0.999], [0.9, 0.999]) and not same([0.9, 0.9], [0.9, 0.999]) and not same([1, 2], [1, 2, 3])
    assert same({"a": 1, "b": [2]}, {"b": [2.0], "a": 1}) and not same({"a": 1}, {"a": 1, "b": 2})
    assert same("l1", "l1") and not same("l1", "charbonnier") and not same(NOT_SET, 0)


# ---------------------------------------------------------------- rows
def test_a_row_as_stated_passes():
    result = evaluate_row(row(stated=2.0e-4, key="train.optimizer.lr"), CONFIG)
    assert (result.status, result.full) == (OK, 2.0e-4)


def test_a_difference_without_a_reason_fails_and_with_one_passes():
    failed = evaluate_row(row(stated=[0.9, 0.999], key="train.optimizer.betas"), CONFIG)
    assert failed.failed and failed.status == FAIL
    assert failed.note == "full has [0.9, 0.9], the write-up [0.9, 0.999], and no reason"
    explained = evaluate_row(row(stated=[0.9, 0.999], key="train.optimizer.betas", reason="NAFNet's own betas"), CONFIG)
    assert (explained.status, explained.note, explained.failed) == (DIFFERS, "NAFNet's own betas", False)


def test_a_key_full_does_not_set_is_a_difference():
    assert evaluate_row(row(stated=0.01, key="train.grad_clip"), CONFIG).status == FAIL
    assert evaluate_row(row(stated=0.01, key="train.grad_clip", reason="no clipping"), CONFIG).status == DIFFERS


def test_per_turns_iterations_into_epochs():
    result = evaluate_row(row(stated=3, key="train.scheduler.periods[0]", per=184000 / 3), CONFIG)
    assert (result.status, result.full) == (OK, 3)
    assert evaluate_row(row(stated=2, key="train.scheduler.periods[0]", per=184000 / 3), CONFIG).failed


def test_a_key_that_does_not_exist_fails_even_with_a_reason():
    result = evaluate_row(row(stated=1, key="train.optimzer.lr", reason="typo"), CONFIG)
    assert result.failed and "train.optimzer does not exist" in result.note


def test_a_number_that_is_no_config_value_is_shown_with_its_reason():
    result = evaluate_row(row(stated=39.5286, key=None, reason="a SIDD score: needs the data"), CONFIG)
    assert (result.status, result.full, result.failed) == (NOT_CONFIG, None, False)


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"source": "README.md", "stated": 1, "key": "a"}, r"row 1 \(''\): missing \['quote'\]"),
        ({**row(stated=1, key="a"), "why": "x"}, r"unknown field\(s\) \['why'\]"),
        (row(stated=1, key=None), r"key null needs a reason"),
        (row(stated="2e-4", key="train.optimizer.lr"), r"stated '2e-4' is a string \(YAML reads 2e-4 as text"),
        (row(stated=1, key="a", per=0), r"per must be a positive number"),
        (row(stated=1, key="a", reason=""), r"reason must be a non-empty string"),
        ({**row(stated=1, key="a"), "quote": ""}, r"quote must be a non-empty string"),
        (row(stated=1, key=None, reason="a SIDD score"), r"reason must be Chinese"),
        ({**row(stated=1, key="a"), "source": "README.md (the config)"}, r"its note must be Chinese"),
    ],
)
def test_a_malformed_row_is_an_error_naming_the_file_and_row(bad, message):
    with pytest.raises(FidelityError, match=r"^rows.yaml: .*" + message):
        check_rows([bad], "rows.yaml")


def test_a_reason_and_a_source_note_in_chinese_pass_and_bare_file_names_need_no_note():
    rows = [
        row(stated=1, key=None, reason="SIDD 上实测的分数"),
        {**row(stated=1, key="a"), "source": "code/configs/NAFNet_phase1.yml, NAFNet_phase2.yml"},
        {**row(stated=1, key="a"), "source": "README.md（代码 code/train.py：三次运行）"},
    ]
    assert check_rows(rows, "rows.yaml") == rows


def test_load_rows_names_the_file_when_it_is_missing_empty_or_not_yaml(tmp_path):
    with pytest.raises(FidelityError, match="no fidelity file"):
        load_rows(tmp_path / "nope.yaml")
    (tmp_path / "empty.yaml").write_text("")
    with pytest.raises(FidelityError, match=r"empty.yaml: expected a non-empty list of rows"):
        load_rows(tmp_path / "empty.yaml")
    (tmp_path / "bad.yaml").write_text("- quote: a: b\n")
    with pytest.raises(FidelityError, match=r"bad.yaml: not valid YAML"):
        load_rows(tmp_path / "bad.yaml")


# ---------------------------------------------------------------- a probe track through the CLI
class ProbeTrack(Track):
    name = "fidelity_probe"
    sections = ("train",)


@pytest.fixture
def probe(tmp_path, monkeypatch):
    """A track with its own options file and fidelity file in tmp_path, registered for this test only."""
    config = {"train": {p: copy.deepcopy(CONFIG["train"]) for p in ("smoke", "demo", "full")}}
    (tmp_path / "probe.yaml").write_text(yaml.safe_dump(config))
    track = ProbeTrack()
    track.config_file = tmp_path / "probe.yaml"
    monkeypatch.setattr(lab.fidelity, "TABLES", tmp_path)  # its table: tmp_path/fidelity_probe.yaml
    monkeypatch.setitem(lib.tracks._loaded, track.name, track)

    def write(rows):
        (tmp_path / f"{track.name}.yaml").write_text(yaml.safe_dump(rows, allow_unicode=True), encoding="utf-8")

    return write


def test_the_cli_exits_1_on_an_unexplained_difference_and_0_once_it_has_a_reason(probe, capsys):
    rows = [row(stated=2.0e-4, key="train.optimizer.lr"), row(stated=[0.9, 0.999], key="train.optimizer.betas")]
    probe(rows)
    assert main(["fidelity_probe"]) == 1
    out, err = capsys.readouterr()
    assert "| 2 | 学习率我们采用2e-4 | README.md | [0.9, 0.999] | train.optimizer.betas | [0.9, 0.9] | FAIL |" in out
    assert "fidelity_probe row 2 (学习率我们采用2e-4): full has [0.9, 0.9], the write-up [0.9, 0.999]" in err
    rows[1]["reason"] = "NAFNet 自己的 betas"
    probe(rows)
    assert main(["fidelity_probe"]) == 0
    out, _ = capsys.readouterr()
    assert "| differs | NAFNet 自己的 betas |" in out
    assert "fidelity_probe: 2 rows: 1 as stated, 1 differ with a reason, 0 not config values, 0 failed" in out


def test_the_cli_exits_1_on_a_malformed_file_or_an_unknown_track(probe, capsys):
    probe([row(stated=1, key=None)])
    assert main(["fidelity_probe"]) == 1
    assert "key null needs a reason" in capsys.readouterr().err
    assert main(["nope"]) == 1
    assert "unknown track 'nope'; known tracks:" in capsys.readouterr().err


# ---------------------------------------------------------------- the real tracks
@pytest.mark.parametrize("name", sorted(KNOWN_TRACKS))
def test_every_track_states_its_write_up_and_passes(name, capsys):
    assert main([name]) == 0, capsys.readouterr().err
    assert f"## {name} (lab/fidelity/" in (out := capsys.readouterr().out) and " 0 failed" in out


@pytest.mark.slow
def test_the_command_checks_every_track():
    """``python -m lab.fidelity``, as the README runs it: every track's table, exit 0 (in-process above)."""
    proc = subprocess.run([sys.executable, "-m", "lab.fidelity"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert all(f"## {name} (lab/fidelity/" in proc.stdout for name in KNOWN_TRACKS), proc.stdout[-2000:]


def test_a_probe_row_that_changes_a_real_number_without_a_reason_fails():
    """deblur's real rows against its real full profile: the README's first stage (batch 8) passes;
    stated as batch 9 with no reason it fails, naming both values."""
    path, results = track_results("deblur")
    stage = next(r.row for r in results if r.row["key"] == "train.stages[0]")
    assert evaluate_row(stage, get_track("deblur").config("full")).status == OK
    probe = {**stage, "stated": {**stage["stated"], "batch_size": 9}}
    result = evaluate_row(probe, get_track("deblur").config("full"))
    assert result.failed and "batch_size: 8" in result.note and "batch_size: 9" in result.note
    assert "| FAIL |" in format_table("deblur", path, [result])


def test_the_two_deocclusion_tracks_keep_their_rows_apart_in_one_folder():
    inpainter, segmenter = table_path("deocclusion"), table_path("deocclusion_seg")
    assert inpainter.parent == segmenter.parent == ROOT / "lab" / "fidelity"
    assert (inpainter.name, segmenter.name) == ("deocclusion.yaml", "deocclusion_seg.yaml")
    keys = {r["key"] for r in load_rows(segmenter) if r["key"]}
    assert keys and all(k.startswith(("seg_", "prepare.")) for k in keys)


def test_notebook_table_keeps_the_rows_of_the_sections_asked_for():
    whole, tlc = notebook_table("deblur"), notebook_table("deblur", ("tlc", "submission"))
    assert "tlc.train_size" in tlc and "submission.tiling" in tlc and "train.stages" not in tlc
    assert "train.stages[0]" in whole and "sum(train.stages[*].iters)" in whole
    assert notebook_table("deblur", ("train",)).count("\n| ") > 10  # sum(...) keys count as their section


# ---------------------------------------------------------------- what a learner reads: Chinese
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORDS = ("write-up says", "| stated |", "| check |", "| reason |", "| ok |", "| differs |", "not config")
ENGLISH_WORDS += ("| FAIL |", "not set", " rows: ", " as stated", " failed")


def cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


@pytest.mark.parametrize("name", sorted(KNOWN_TRACKS))
def test_the_notebook_table_of_every_track_is_chinese(name):
    """Headers, check words and summary are Chinese; every reason is Chinese, and so is every
    source that says more than file names (identifiers, file names and values stay as they are)."""
    table = notebook_table(name)
    lines = table.splitlines()
    assert lines[0].startswith(f"## {name}：") and CJK.search(lines[0])
    assert (
        cells(lines[2]) == list(COLUMNS["zh"]) == ["#", "原文", "出处", "原值", "配置键", "full 取值", "核对", "说明"]
    )
    assert not [word for word in ENGLISH_WORDS if word in table]
    rows = [cells(line) for line in lines[4:] if line.startswith("| ")]
    assert len(rows) == len(load_rows(table_path(name))) > 0
    assert {r[6] for r in rows} <= {"一致", "有意不同", "非配置项"}  # no 失败: the table passes
    for number, _, source, _, _, _, _, note in rows:
        assert not note or CJK.search(note), f"row {number}: the note a learner reads is not Chinese: {note!r}"
        assert re.fullmatch(r"[\w./-]+(, [\w./-]+)*", source) or CJK.search(source), f"row {number}: {source!r}"
    summary = lines[-1]
    assert summary.startswith(f"{name}：共 {len(rows)} 行，") and summary.endswith(" 行核对失败")
    assert re.fullmatch(r"[^A-Za-z]*", summary.removeprefix(name).replace("full", ""))


def test_a_failed_row_reads_as_失败_with_a_chinese_label_in_the_notebook_table():
    failed = evaluate_row(row(stated=[0.9, 0.999], key="train.optimizer.betas"), CONFIG)
    unset = evaluate_row(row(stated=0.01, key="train.grad_clip", reason="full 不裁剪梯度"), CONFIG)
    table = format_table("probe", "rows.yaml", [failed, unset], language="zh")
    assert "| 失败 | 核对失败（开发者信息）：full has [0.9, 0.9], the write-up [0.9, 0.999], and no reason |" in table
    assert "| train.grad_clip | 未设置 | 有意不同 | full 不裁剪梯度 |" in table
    assert table.endswith("probe：共 2 行，0 行与原文一致，1 行有意不同（见说明），0 行不是配置项，1 行核对失败")
    english = format_table("probe", "rows.yaml", [failed, unset])  # the developer's check keeps its words
    assert "| FAIL |" in english and "| not set | differs |" in english


def test_every_table_cites_the_solutions_own_material_never_a_course_notebook():
    """A row's source is the write-up or the solution's code: a notebook of this course that quotes them is no
    source of its own (it would cite itself in its closing section)."""
    tables = sorted(lab.fidelity.TABLES.glob("*.yaml"))
    assert len(tables) >= 6
    citing = [
        f"{path.name} row {i}: {r['source']}"
        for path in tables
        for i, r in enumerate(load_rows(path), 1)
        if re.search(r"notebooks/|\b\d\d_[a-z0-9_]+\.ipynb", str(r.get("source", "")))
    ]
    assert not citing, citing
