"""Run the training CLI in several data-parallel processes with ``paddle.distributed.launch``.

On a GPU machine that is one process per card; on a 2-core CPU machine, two processes keep both
cores busy (Paddle's dygraph training runs each step on one core) and the gradients are averaged
over the gloo backend.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAIN = Path(__file__).resolve().parent / "__main__.py"


def launch_command(args: list[str], nproc: int, log_dir: Path) -> list[str]:
    args = [a for a in _strip_nproc(args)]
    return [sys.executable, "-m", "paddle.distributed.launch", "--nproc_per_node", str(nproc),
            "--log_dir", str(log_dir), str(MAIN), *args]


def _strip_nproc(args: list[str]):
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "--nproc":
            skip = True
            continue
        if a.startswith("--nproc="):
            continue
        yield a


def relaunch(args: list[str], nproc: int, log_dir: Path | None = None) -> int:
    """Run ``python -m lib.train ARGS`` in ``nproc`` processes; stream rank 0's log; return the exit code."""
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="train-launch-"))
    cmd = launch_command(args, nproc, log_dir)
    print(f"launching {nproc} processes (logs in {log_dir})", flush=True)
    launcher_log = open(log_dir / "launcher.log", "w")
    proc = subprocess.Popen(cmd, stdout=launcher_log, stderr=subprocess.STDOUT)
    rank0, shown = log_dir / "workerlog.0", 0
    while True:  # follow rank 0's log while the processes run
        done = proc.poll() is not None
        if rank0.exists():
            text = rank0.read_text(errors="replace")
            if len(text) > shown:
                print(text[shown:], end="", flush=True)
                shown = len(text)
        if done:
            break
        time.sleep(2)
    launcher_log.close()
    if proc.returncode:
        print((log_dir / "launcher.log").read_text(errors="replace")[-3000:], file=sys.stderr)
    return proc.returncode
