"""The one harness of the benchmarks: how a bench runs, what its record holds, how the record is written.

Contract: a benchmark is a function that measures and returns its figures (a dict). The script's ``main``
parses its command line and hands that function to :func:`run`, which calls it, adds the record's metadata
and writes the record atomically to ``lab/bench/results/<name>.json`` (or the script's ``--out``). Benches
that measure in child processes (one measurement per process: its own memory and threads) start them with
:func:`run_child`.

The record (schema version ``SCHEMA``), one JSON object:

==========  =====================================================================================
``schema``  the schema version, an int (``SCHEMA``)
``bench``   the bench's name: its script without ``bench_`` and ``.py`` (``bench_depthwise.py`` ->
            ``depthwise``)
``command`` the command line that made the record
``commit``  the git commit (short hash) the bench ran at, or ``"unknown"`` outside a checkout
``machine`` ``cpu`` (model name), ``cpu_count``, ``usable_cores``, ``paddle``, ``python``
``date``    ISO date and time of the measurement, ``YYYY-MM-DDTHH:MM:SS``
figures     everything else, at the top level under the bench's own keys (``runs``, ``rows``, ...)
==========  =====================================================================================

Records written before the harness were migrated: a key that could not be known says
``NOT_RECORDED`` ("recorded before the harness"); their ``commit`` is the last commit that wrote the file.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

SCHEMA = 1
RESULTS = Path(__file__).resolve().parent / "results"
NOT_RECORDED = "recorded before the harness"
METADATA = ("schema", "bench", "command", "commit", "machine", "date")
MACHINE_KEYS = ("cpu", "cpu_count", "paddle", "python")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?")


class RecordError(ValueError):
    """A record that does not follow the schema; the message names the file and the key."""


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


SIMD_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_tile")  # what oneDNN's kernels (and so float rounding) follow


def simd_flags(cpuinfo: str | Path = "/proc/cpuinfo") -> list[str]:
    """The vector extensions of :data:`SIMD_FLAGS` this CPU has (its ``cpuinfo``'s first ``flags`` line): two machines
    of the same name can differ there, and a training run's trajectory with them. None known: ``[]``."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return []
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return [flag for flag in SIMD_FLAGS if flag in flags]


def machine() -> dict:
    import paddle

    return {
        "cpu": cpu_name(),
        "simd": simd_flags(),
        "cpu_count": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "paddle": paddle.__version__,
        "python": platform.python_version(),
    }


def git_commit(cwd: Path | None = None) -> str:
    """The short hash of HEAD of the checkout this file is in, or "unknown" (no git, not a checkout)."""
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=cwd or Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else "unknown"


def bench_name(script: str | Path) -> str:
    """``lab/bench/bench_depthwise.py`` -> ``depthwise``."""
    return Path(script).stem.removeprefix("bench_")


def stamp(argv: list | None = None) -> dict:
    """The date and the command line that made a result."""
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name] + [str(a) for a in (argv if argv is not None else sys.argv[1:])]),
    }


def metadata(bench: str, argv: list | None = None) -> dict:
    """Every metadata key of a new record."""
    when = stamp(argv)
    return {
        "schema": SCHEMA,
        "bench": bench,
        "command": when["command"],
        "commit": git_commit(),
        "machine": machine(),
        "date": when["date"],
    }


def make_record(meta: dict, figures: dict) -> dict:
    """The figures after the metadata; a figure may not reuse a metadata key (it would hide the metadata)."""
    clash = sorted(set(figures) & set(METADATA))
    if clash:
        raise RecordError(f"{meta['bench']}: the figures use metadata key(s) {clash}")
    return {**meta, **figures}


def validate(record: object, path: str | Path = "<record>") -> dict:
    """The record itself when it follows the schema, else a RecordError naming ``path`` and the key."""
    if not isinstance(record, dict):
        raise RecordError(f"{path}: a record is a JSON object, not {type(record).__name__}")
    for key in METADATA:
        if key not in record:
            raise RecordError(f"{path}: missing key '{key}'")
    if record["schema"] != SCHEMA or isinstance(record["schema"], bool):
        raise RecordError(f"{path}: key 'schema' is {record['schema']!r}, expected {SCHEMA}")
    for key in ("bench", "command", "commit", "date"):
        if not isinstance(record[key], str) or not record[key].strip():
            raise RecordError(f"{path}: key '{key}' must be a non-empty string, not {record[key]!r}")
    if not DATE.match(record["date"]):
        raise RecordError(f"{path}: key 'date' is {record['date']!r}, not an ISO date (YYYY-MM-DD...)")
    if not isinstance(record["machine"], dict):
        raise RecordError(f"{path}: key 'machine' must be an object with {list(MACHINE_KEYS)}")
    for key in MACHINE_KEYS:
        if record["machine"].get(key) in (None, ""):
            raise RecordError(f"{path}: missing key 'machine.{key}'")
    return record


def _plain(value):
    """JSON for what a bench commonly returns besides plain types: numpy scalars and arrays, paths, tuples."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"a record holds plain JSON values, not {type(value).__name__}")


def write_json(out: Path, result: dict) -> None:
    """Write through a temporary file and rename it: a reader never sees half a file."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    try:
        tmp.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=_plain) + "\n", encoding="utf-8")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def write_record(out: Path, record: dict) -> dict:
    """Validate a complete record, then write it atomically."""
    write_json(out, validate(record, out))
    return record


def load(path: Path) -> dict:
    """A record from its file, validated."""
    return validate(json.loads(Path(path).read_text(encoding="utf-8")), path)


def record_paths(results: Path = RESULTS) -> list[Path]:
    """Every record: the JSON files directly in lab/bench/results. Not records: the run folders inside it (a
    retrained model's options.json, metrics.json, log.csv) and a training's ``*_metrics.json`` kept beside."""
    return sorted(p for p in Path(results).glob("*.json") if not p.name.endswith("_metrics.json"))


def run(bench: str, measure: Callable[[], dict], out: Path | None = None, argv: list | None = None) -> dict:
    """Measure, add the metadata, validate and write ``out`` (default ``lab/bench/results/<bench>.json``).
    The date is the start of the measurement."""
    meta = metadata(bench, argv)
    record = make_record(meta, measure())
    return write_record(Path(out) if out is not None else RESULTS / f"{bench}.json", record)


def run_child(argv: list, log: Path, cwd: Path) -> tuple[dict | None, int]:
    """Run a benchmark's own ``--run`` mode in a child process (one measurement per process: its own
    memory and threads), stderr to ``log``; returns (the JSON of its last ``RESULT `` line or None,
    the exit code)."""
    log = Path(log)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as f:
        proc = subprocess.run([sys.executable, *map(str, argv)], stdout=subprocess.PIPE, stderr=f, text=True, cwd=cwd)
    found = [line[len("RESULT ") :] for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    return (json.loads(found[-1]) if found and not proc.returncode else None), proc.returncode
