"""Fidelity tables: every number a track's write-up publishes, in its own words, beside the config
key and the ``full`` profile's value; a difference without a stated reason fails.

    python -m lab.fidelity                 # every track
    python -m lab.fidelity deblur sdwnet   # some

Each track keeps its rows in a table of this folder named after it (``lab/fidelity/deblur.yaml``;
the de-occlusion segmenter's ``deocclusion_seg.yaml``). A row::

    - quote: "学习率我们采用2e-4，优化器为AdamW"      # the write-up's words (Chinese where it is)
      source: "README.md（AlexZou14/BaiduDiskAI_DocRestoration_top1 仓库）"
      stated: 2.0e-4                                 # the number it gives, in the config's units
      key: train.optimizer.lr                        # where full keeps it; null: not a config value
      per: 600                                       # optional: compare full / per (iterations -> epochs)
      reason: "..."                                  # why full differs, or (key null) where it is checked

``key`` is a dotted path with list indices (``train.stages[0].batch_size``), ``[*]`` for every item
(``train.stages[*].batch_size`` -> a list) and slices (``[0:2]``); ``sum(<path>)`` adds the numbers it
finds. A key whose last part is absent from ``full`` reads as "not set": a difference. Numbers are
compared to 1e-9 relative, lists and mappings item by item. Rows with ``key: null`` (a measured
score, a rule of the competition) must say in ``reason`` where the course checks them or why it
cannot. A learner reads ``reason`` and ``source`` in the notebooks' tables, so both are Chinese
(identifiers, file names and values stay as they are): a ``reason`` must contain Chinese, and so must a
``source`` that says more than file names (its note, e.g. ``README.md（code/train.py：三次运行……）``).
Exit code 1 when any row of the tracks asked for fails.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROW_FIELDS = {"quote", "source", "stated", "key", "reason", "per"}
REQUIRED_FIELDS = ("quote", "source", "stated", "key")
PROFILE = "full"
TABLES = Path(__file__).resolve().parent  # <track>.yaml, one table per track
ROOT = TABLES.parents[1]  # the repository: tables name files relative to it
NUMBER_LIKE = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
PATH_PART = re.compile(r"\.?([A-Za-z_%][\w%-]*)|\[(\*|-?\d+|-?\d*:-?\d*)\]")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
FILE_NAMES = re.compile(r"^[\w.\-/]+(, [\w.\-/]+)*$")  # a source that is file names only needs no note

# row outcomes
OK, DIFFERS, NOT_CONFIG, FAIL = "ok", "differs", "not config", "FAIL"

# the notebooks' table (Chinese; `python -m lab.fidelity`, the developer's check, prints the English words)
COLUMNS = {
    "en": ("#", "write-up says", "source", "stated", "key", "full", "check", "reason"),
    "zh": ("#", "原文", "出处", "原值", "配置键", "full 取值", "核对", "说明"),
}
STATUS_WORDS = {
    "en": {OK: OK, DIFFERS: DIFFERS, NOT_CONFIG: NOT_CONFIG, FAIL: FAIL},
    "zh": {OK: "一致", DIFFERS: "有意不同", NOT_CONFIG: "非配置项", FAIL: "失败"},
}
NOT_SET_WORDS = {"en": "not set", "zh": "未设置"}


class FidelityError(ValueError):
    """A fidelity file or one of its rows is malformed, or a key does not lead to a value."""


class NotSet:
    """The value of a key whose last part is absent from the profile (shown as "not set")."""

    def __repr__(self) -> str:
        return "not set"


NOT_SET = NotSet()


# ---------------------------------------------------------------------- config values
def _parse_path(path: str) -> list:
    parts, pos = [], 0
    while pos < len(path):
        match = PATH_PART.match(path, pos)
        if not match or (pos == 0 and path.startswith(".")):
            raise FidelityError(f"key {path!r}: cannot read {path[pos:]!r} (write a.b[0].c, [*] or [i:j])")
        name, index = match.groups()
        if name is not None:
            parts.append(name)
        elif index == "*":
            parts.append(slice(None))
        elif ":" in index:
            start, stop = index.split(":")
            parts.append(slice(int(start) if start else None, int(stop) if stop else None))
        else:
            parts.append(int(index))
        pos = match.end()
    if not parts or not isinstance(parts[0], str):
        raise FidelityError(f"key {path!r}: must start with a section name")
    return parts


def _walk(value, parts: list, path: str, done: str):
    if not parts:
        return value
    part, rest = parts[0], parts[1:]
    if isinstance(part, str):
        if not isinstance(value, dict):
            raise FidelityError(f"key {path!r}: {done or 'the config'} is not a mapping (it holds {value!r})")
        if part not in value:
            if not rest:
                return NOT_SET
            raise FidelityError(
                f"key {path!r}: {done + '.' if done else ''}{part} does not exist (found {sorted(value)})"
            )
        return _walk(value[part], rest, path, f"{done}.{part}" if done else part)
    if not isinstance(value, list):
        raise FidelityError(f"key {path!r}: {done} is not a list (it holds {type(value).__name__} {value!r})")
    if isinstance(part, slice):
        return [_walk(item, rest, path, f"{done}[{i}]") for i, item in zip(range(len(value))[part], value[part])]
    if not -len(value) <= part < len(value):
        raise FidelityError(f"key {path!r}: {done} has {len(value)} items, no [{part}]")
    return _walk(value[part], rest, path, f"{done}[{part}]")


def lookup(config: dict, key: str):
    """The value at ``key`` in ``config`` (see the module docstring); ``NOT_SET`` when only the
    last part is absent; a FidelityError naming the key and where it broke otherwise."""
    key = key.strip()
    total = key.startswith("sum(") and key.endswith(")")
    value = _walk(config, _parse_path(key[4:-1] if total else key), key, "")
    if not total:
        return value
    numbers = list(_flatten(value))
    if not numbers or not all(_is_number(v) for v in numbers):
        raise FidelityError(f"key {key!r}: sum() needs numbers, found {value!r}")
    return sum(numbers)


def _flatten(value):
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    else:
        yield value


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def same(full, stated) -> bool:
    """Whether the ``full`` value is the stated one: numbers to 1e-9 relative, lists and mappings
    item by item, everything else by equality."""
    if _is_number(full) and _is_number(stated):
        return math.isclose(full, stated, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(full, (list, tuple)) and isinstance(stated, (list, tuple)):
        return len(full) == len(stated) and all(same(a, b) for a, b in zip(full, stated))
    if isinstance(full, dict) and isinstance(stated, dict):
        return set(full) == set(stated) and all(same(full[k], stated[k]) for k in full)
    return type(full) is type(stated) and full == stated


# ---------------------------------------------------------------------- rows
def check_rows(rows, where: str) -> list[dict]:
    """The rows of a fidelity file, each with the fields it needs; a FidelityError naming the file,
    the row and every problem otherwise."""
    if not isinstance(rows, list) or not rows:
        raise FidelityError(f"{where}: expected a non-empty list of rows, found {type(rows).__name__}")
    problems = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            problems.append(f"row {i}: expected a mapping, found {type(row).__name__}")
            continue
        name = f"row {i} ({str(row.get('quote', ''))[:30]!r})"
        unknown = sorted(set(row) - ROW_FIELDS)
        if unknown:
            problems.append(f"{name}: unknown field(s) {unknown}; allowed: {sorted(ROW_FIELDS)}")
        missing = [f for f in REQUIRED_FIELDS if f not in row]
        if missing:
            problems.append(f"{name}: missing {missing}")
        for field in ("quote", "source"):
            if field in row and (not isinstance(row[field], str) or not row[field].strip()):
                problems.append(f"{name}: {field} must be a non-empty string")
        if isinstance(row.get("stated"), str) and NUMBER_LIKE.match(row["stated"].strip()):
            problems.append(f"{name}: stated {row['stated']!r} is a string (YAML reads 2e-4 as text: write 2.0e-4)")
        if "key" in row and row["key"] is not None and not isinstance(row["key"], str):
            problems.append(f"{name}: key must be a dotted path or null")
        if row.get("key") is None and not str(row.get("reason") or "").strip():
            problems.append(f"{name}: key null needs a reason (where the course checks the number, or why it cannot)")
        if "reason" in row and (not isinstance(row["reason"], str) or not row["reason"].strip()):
            problems.append(f"{name}: reason must be a non-empty string (or leave it out)")
        elif "reason" in row and not CHINESE.search(row["reason"]):
            problems.append(f"{name}: reason must be Chinese (a learner reads it in the notebook's table)")
        source = row.get("source")
        if (
            isinstance(source, str)
            and source.strip()
            and not (FILE_NAMES.match(source.strip()) or CHINESE.search(source))
        ):
            problems.append(f"{name}: source says more than file names, so its note must be Chinese")
        if "per" in row and (not _is_number(row["per"]) or row["per"] <= 0):
            problems.append(f"{name}: per must be a positive number")
    if problems:
        raise FidelityError(f"{where}: " + "; ".join(problems))
    return rows


def load_rows(path) -> list[dict]:
    """The checked rows of the fidelity file at ``path``."""
    path = Path(path)
    if not path.is_file():
        raise FidelityError(f"{path}: no fidelity file")
    try:
        rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise FidelityError(f"{path}: not valid YAML ({err})") from None
    return check_rows(rows, str(path))


@dataclass
class Result:
    row: dict
    full: Any = None  # the full profile's value (after ``per``), NOT_SET, or None for key null
    status: str = OK
    note: str = ""  # the reason, or what went wrong

    @property
    def failed(self) -> bool:
        return self.status == FAIL


def evaluate_row(row: dict, config: dict) -> Result:
    reason = str(row.get("reason") or "").strip()
    if row["key"] is None:
        return Result(row, None, NOT_CONFIG, reason)
    try:
        full = lookup(config, row["key"])
    except FidelityError as err:
        return Result(row, None, FAIL, str(err))
    if "per" in row and full is not NOT_SET:
        if not _is_number(full):
            return Result(row, full, FAIL, f"key {row['key']!r}: per needs a number, found {full!r}")
        full = full / row["per"]
    if same(full, row["stated"]):
        return Result(row, full, OK, reason)
    if reason:
        return Result(row, full, DIFFERS, reason)
    return Result(row, full, FAIL, f"full has {_show(full)}, the write-up {_show(row['stated'])}, and no reason")


def evaluate(rows: list[dict], config: dict) -> list[Result]:
    return [evaluate_row(row, config) for row in rows]


# ---------------------------------------------------------------------- tracks
def table_path(name: str) -> Path:
    """Track ``name``'s fidelity table: ``lab/fidelity/<name>.yaml``."""
    return TABLES / f"{name}.yaml"


def track_results(name, path=None) -> tuple[Path, list[Result]]:
    """A track's fidelity table (``path``, default :func:`table_path`) and each of its rows checked against the
    track's ``full`` options."""
    from lib.tracks import get_track

    track = get_track(name)
    path = Path(path) if path else table_path(track.name)
    return path, evaluate(load_rows(path), track.config(PROFILE))


def _show(value, language: str = "en") -> str:
    if value is None:
        return ""
    if value is NOT_SET:
        return NOT_SET_WORDS[language]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, float) and 0 < abs(value) < 1e-3:  # 2e-4, not 0.0002
        mantissa, exponent = f"{value:.6e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, dict)):
        return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=10_000).strip()
    return str(value)


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def format_table(name: str, path, results: list[Result], language: str = "en") -> str:
    """A Markdown table: #, the write-up's words, source, stated, key, full, check, reason.
    ``language="zh"`` is the notebooks' table: Chinese headers, check words and summary line (the
    rows' ``reason`` and ``source`` are Chinese already; a failed row's English message gets a
    Chinese label)."""
    path = Path(path)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    words = STATUS_WORDS[language]
    title = f"## {name} ({shown})" if language == "en" else f"## {name}：原文数字与 full 对照（{shown}）"
    lines = [title, "", "| " + " | ".join(COLUMNS[language]) + " |", "|---" * len(COLUMNS[language]) + "|"]
    for i, r in enumerate(results, 1):
        key = r.row["key"] or "—"
        if r.row["key"] and "per" in r.row:
            key = f"{key} / {_show(r.row['per'])}"
        note = r.note
        if r.failed and language == "zh":
            note = f"核对失败（开发者信息）：{note}"
        cells = (i, r.row["quote"], r.row["source"], _show(r.row["stated"]), key, _show(r.full, language))
        lines.append("| " + " | ".join(_cell(c) for c in (*cells, words[r.status], note)) + " |")
    counts = {status: sum(r.status == status for r in results) for status in (OK, DIFFERS, NOT_CONFIG, FAIL)}
    if language == "en":
        summary = (
            f"{name}: {len(results)} rows: {counts[OK]} as stated, {counts[DIFFERS]} differ with a reason, "
            f"{counts[NOT_CONFIG]} not config values, {counts[FAIL]} failed"
        )
    else:
        summary = (
            f"{name}：共 {len(results)} 行，{counts[OK]} 行与原文一致，{counts[DIFFERS]} 行有意不同（见说明），"
            f"{counts[NOT_CONFIG]} 行不是配置项，{counts[FAIL]} 行核对失败"
        )
    return "\n".join([*lines, "", summary])


def notebook_table(name: str, sections: tuple = ()) -> str:
    """The table a notebook's first section shows: the track's rows whose key lies in one of the
    config ``sections`` (all rows when none is given; rows that are no config value go with
    every selection of their track only when ``sections`` is empty), in Chinese."""
    path, results = track_results(name)
    if sections:
        results = [
            r for r in results if r.row["key"] and re.split(r"[.\[(]", r.row["key"].removeprefix("sum("))[0] in sections
        ]
    return format_table(name, path, results, language="zh")


def check_full_record(name: str) -> dict | None:
    """The track's row of ``make check-full``'s recorded run (lab/records/check_full.json), if any."""
    import json

    path = ROOT / "lab" / "records" / "check_full.json"
    if not path.is_file():
        return None
    recorded = json.loads(path.read_text(encoding="utf-8"))
    track = next((t for t in recorded.get("tracks", []) if t.get("track") == name), None)
    return (
        {**track, "gpu": recorded.get("gpu", {}), "date": recorded.get("machine", {}).get("date", "")}
        if track
        else None
    )


def full_profile_markdown(name: str, sections: tuple = ()) -> str:
    """A notebook's first section on the ``full`` profile (Chinese): how to run it on a GPU with the
    real data, its cost measured by ``make check-full``, and the fidelity table of ``sections``."""
    lines = [
        f"**在 GPU 上运行 `full`（{name}）**：在 notebook 第一格之前执行 `%env COURSE_PROFILE=full` 和 "
        "`%env COURSE_DATA=/home/aistudio/data/<解压后的比赛数据目录>`（目录结构见 data/README.md）。"
    ]
    record = check_full_record(name)
    if record:
        gpu = record["gpu"]
        lines.append(
            "`make check-full` 在 CPU 上以 full 尺寸跑了第一个和最后一个阶段的训练步、评估与提交："
            f"峰值内存 {record['peak_rss_gib']:.1f} GiB；"
            f"按 {gpu.get('name', 'GPU')} 估算，完整训练约 {record['cost']['gpu_hours']:.0f} GPU 小时"
            f"（{record['cost']['iterations']:,} 次迭代；"
            f"假设：峰值算力 × {gpu.get('efficiency', '?')}，未在 GPU 上实测）。"
        )
    else:
        lines.append("`make check-full` 还没有记录这个赛道（lab/records/check_full.json）。")
    return "\n\n".join(lines + [notebook_table(name, sections)])


def main(argv=None) -> int:
    from lib.tracks import KNOWN_TRACKS, UnknownTrackError

    parser = argparse.ArgumentParser(prog="python -m lab.fidelity", description=__doc__.split("\n\n")[0])
    parser.add_argument("tracks", nargs="*", help=f"tracks (default: all of {', '.join(sorted(KNOWN_TRACKS))})")
    args = parser.parse_args(argv)
    failed = []
    for name in args.tracks or sorted(KNOWN_TRACKS):
        try:
            path, results = track_results(name)
        except (FidelityError, UnknownTrackError) as err:
            print(f"{name}: {err}", file=sys.stderr)
            failed.append(name)
            continue
        print(format_table(name, path, results), end="\n\n")
        for i, r in enumerate(results, 1):
            if r.failed:
                print(f"{name} row {i} ({r.row['quote'][:40]}): {r.note}", file=sys.stderr)
        if any(r.failed for r in results):
            failed.append(name)
    if failed:
        print(f"fidelity check failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
