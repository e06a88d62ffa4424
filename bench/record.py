"""What every benchmark records beside its numbers, and how it writes them: the machine, the date
and the command (``stamp``), written atomically to its JSON under bench/results/ (``write_json``)."""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from pathlib import Path


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    import paddle

    return {
        "cpu_count": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu_name(),
        "paddle": paddle.__version__,
        "python": platform.python_version(),
    }


def stamp(argv=None) -> dict:
    """The date and the command line that made a result."""
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:])),
    }


def write_json(out: Path, result: dict) -> None:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out)


def run_child(argv: list, log: Path, cwd: Path) -> tuple[dict | None, int]:
    """Run a benchmark's own ``--run`` mode in a child process (one measurement per process: its own
    memory and threads), stderr to ``log``; returns (the JSON of its last ``RESULT `` line or None,
    the exit code)."""
    import subprocess

    log = Path(log)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as f:
        proc = subprocess.run([sys.executable, *map(str, argv)], stdout=subprocess.PIPE, stderr=f, text=True, cwd=cwd)
    found = [line[len("RESULT ") :] for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    return (json.loads(found[-1]) if found and not proc.returncode else None), proc.returncode
