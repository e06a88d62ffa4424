"""Run the training CLI in one or several data-parallel processes, following its progress.

On a GPU machine that is one process per card; on a 2-core CPU machine, two processes keep both
cores busy (Paddle's dygraph training runs each step on one core) and the gradients are averaged
over the gloo backend. :func:`train_track` is what notebooks call: the profile's number of
processes (``launch: nproc`` in ``lib/configs/<track>.yaml``), a live progress bar fed by rank 0's
``iter N/T`` lines, and the run folder back.
"""

from __future__ import annotations

import fcntl
import re
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

MAIN = Path(__file__).resolve().parent / "__main__.py"
ITER_LINE = re.compile(r"^iter (\d+)/(\d+) ")
# the banner each Paddle worker prints at start when flags differ from their defaults (the course sets a few)
PADDLE_FLAGS_BANNER = re.compile(r"^(=+( Modified FLAGS detected =+)?|FLAGS\(name='\w+', current_value=.*\))$")


def launch_command(args: list[str], nproc: int, log_dir: Path) -> list[str]:
    args = [a for a in _strip_nproc(args)]
    return [
        sys.executable,
        "-m",
        "paddle.distributed.launch",
        "--nproc_per_node",
        str(nproc),
        "--log_dir",
        str(log_dir),
        str(MAIN),
        *args,
    ]


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


class _Follower:
    """Shows a training process's output: ``iter N/T`` lines move a progress bar (when one is
    wanted), Paddle's flags banner is dropped, every other line is printed."""

    def __init__(self, bar: bool):
        self.bar, self.want_bar = None, bar

    def line(self, text: str) -> None:
        if PADDLE_FLAGS_BANNER.match(text.strip()):
            return
        match = ITER_LINE.match(text)
        if match and self.want_bar:
            from ..report import progress

            done, total = int(match.group(1)), int(match.group(2))
            if self.bar is None:
                self.bar = progress(total=total, initial=done, desc="train", unit="it")
            self.bar.update(done - self.bar.n)
            self.bar.set_postfix_str(text.split(" ", 3)[-1][:80], refresh=False)
            if not self.bar.disable:
                return
        print(text, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def relaunch(args: list[str], nproc: int, log_dir: Path | None = None, bar: bool = False) -> int:
    """Run ``python -m lib.train ARGS`` in ``nproc`` processes; follow rank 0's log; return the exit code."""
    from ..paths import RUNS_DIR, shown_path

    if log_dir is None:  # beside the runs, so that the line below names it relative to the repository
        (RUNS_DIR / "launch").mkdir(parents=True, exist_ok=True)
        log_dir = tempfile.mkdtemp(prefix="train-launch-", dir=RUNS_DIR / "launch")
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)  # a caller's folder may not exist yet (the launcher.log opens here)
    cmd = launch_command(args, nproc, log_dir)
    print(f"启动 {nproc} 个进程（日志在 {shown_path(log_dir)}）", flush=True)
    follower, pending = _Follower(bar), ""
    with open(log_dir / "launcher.log", "w") as launcher_log:
        proc = subprocess.Popen(cmd, stdout=launcher_log, stderr=subprocess.STDOUT)
        rank0, shown = log_dir / "workerlog.0", 0
        while True:  # follow rank 0's log while the processes run
            done = proc.poll() is not None
            if rank0.exists():
                text = rank0.read_text(errors="replace")
                if len(text) > shown:
                    pending += text[shown:]
                    shown = len(text)
                    *lines, pending = pending.split("\n")
                    for line in lines:
                        follower.line(line)
            if done:
                break
            time.sleep(2)
    if pending:
        follower.line(pending)
    follower.close()
    if proc.returncode:
        print((log_dir / "launcher.log").read_text(errors="replace")[-3000:], file=sys.stderr)
    return proc.returncode


def run_single(args: list[str], bar: bool = False) -> int:
    """Run ``python -m lib.train ARGS`` in one child process, following its output."""
    follower = _Follower(bar)
    proc = subprocess.Popen(
        [sys.executable, str(MAIN), *_strip_nproc(args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    for line in proc.stdout:
        follower.line(line.rstrip("\n"))
    follower.close()
    return proc.wait()


PREPARE_LOCK = ".prepare.lock"  # in the data folder (lib.paths.DATA_DIR)
OTHER_RANKS_DELAY = 3.0  # seconds the ranks > 0 let rank 0 take the lock first (its log is the one shown)


@contextmanager
def data_lock(lock_dir=None, wait_message: str | None = None):
    """An exclusive lock on ``<data folder>/.prepare.lock`` (``fcntl.flock``, released when the process
    ends, however it ends): one process at a time generates or prepares data on this machine."""
    from ..paths import DATA_DIR

    path = Path(lock_dir or DATA_DIR) / PREPARE_LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if wait_message:
                print(wait_message.format(lock=path), flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_once(track, profile: str, source=None, rank: int = 0, lock_dir=None):
    """``track.prepare(profile, source)`` with the data lock held. Every preparation skips work a
    manifest says is done, so with N training processes the first to take the lock generates and
    prepares the data while the others wait, then each finds it ready: the data is made once, not N
    times side by side into the same folders. Rank 0 goes first when the ranks start together (its
    output is what the launchers show). Call it before ``init_parallel_env``: waiting here is not a
    collective operation, so an hour of preparation cannot time one out."""
    if rank:
        time.sleep(OTHER_RANKS_DELAY)
    with data_lock(lock_dir, f"rank {rank}: waiting for another process to prepare the data ({{lock}})"):
        return track.prepare(profile, source=source)


def default_nproc(track: str, profile: str) -> int:
    """The profile's number of training processes: ``launch: nproc`` of the track's options (1 if absent).
    Read through the track, whose options may live in another track's file (``deocclusion_seg``)."""
    from ..config import check_profile
    from ..tracks import get_track

    return int((get_track(track).config(check_profile(profile)).get("launch") or {}).get("nproc", 1))


def train_track(track: str, profile: str, nproc: int | None = None, extra: tuple = ()) -> Path:
    """Train (or resume) the track's model in ``nproc`` processes (default :func:`default_nproc`)
    with a live progress bar; returns the run folder (``runs/train/<track>-<profile>``). A failed
    run raises RuntimeError; what was saved is kept and the next call resumes from it. With the
    instructor's switch ``COURSE_SHIPPED=1`` it trains nothing and returns the shipped model's
    folder (``checkpoints/<track>_<model>_demo``, with its ``log.csv``). ``profile`` is required: the
    notebook names the one it runs."""
    from ..config import check_profile
    from ..paths import SHIPPED_ENV, shipped_only, shown_path
    from ..tracks import get_track

    profile = check_profile(profile)
    if shipped_only():
        shipped = get_track(track).shipped_dir
        print(f"{SHIPPED_ENV}=1：不训练，直接用附带模型 {shown_path(shipped)}（及其 log.csv 与 metrics.json）")
        return shipped
    nproc = default_nproc(track, profile) if nproc is None else int(nproc)
    args = ["--config", track, "--profile", profile, *extra]
    code = relaunch(args, nproc, bar=True) if nproc > 1 else run_single(args, bar=True)
    if code:
        raise RuntimeError(
            f"training {track} ({profile}, {nproc} process(es)) failed with exit code {code}; "
            f"the output above says why; run again to resume from the last checkpoint"
        )
    return get_track(track).run_dir(profile)
