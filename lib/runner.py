"""Run the course's notebooks in order and summarise: ``python -m lib.runner [NAMES...]``.

Executed copies go to ``runs/`` (the sources stay untouched); the run ends with a table of
notebook, track, seconds, status and key figure (see ``lib.report.key_figure``), with the seconds
of each track added up and the wall time of the whole run, also written to ``runs/summary.md``. Exit status is 1
if any notebook failed, naming the notebook and the cell.

``--jobs N`` (``make run``: 2) runs up to N notebooks at a time, each in its own kernel: the notebooks of one track
run one after another in the course's order (03 trains the model that 04 and 05 use), different tracks side by
side. A notebook's training already uses both cores for much of its time; the rest (data, evaluation, figures,
a training in one process) leaves a core idle that the other track's notebook uses.

Each kernel talks to the runner over local IPC sockets (no TCP, so no transport warning), and its
own console output (Paddle's C++ messages, e.g. its report of the SIGTERM that ends the kernel
at shutdown) goes to ``runs/logs/<notebook>.kernel.log`` instead of the terminal; a failure
names that log.

The notebooks in ``notebooks/`` are stored executed, with the outputs of the ``demo`` run, so that a reader sees
every figure and number without running anything (on a code host, or after importing the project into AI Studio).
Each executed copy records in its metadata (``course``) the profile and a digest of what its outputs came from:
what its code cells compute and its tracks' config files (:func:`sources_digest`; prose, comments, imports and
layout do not count). ``python -m lib.runner --store`` (``make notebooks``) copies the executed copies of the last
run into ``notebooks/``, only those of a ``demo`` run that succeeded and whose digest still matches the sources;
``tests/test_notebooks_stored.py`` fails when a stored notebook is older than its sources. A change to a code cell
therefore shows as a readable diff of its source, and the refreshed outputs come in their own commit.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from .config import active_profile
from .paths import REPO_ROOT, RUNS_DIR
from .report import NOTEBOOK_ENV, RUN_DIR_ENV

NOTEBOOK_DIR = REPO_ROOT / "notebooks"


def find_notebooks(names=None) -> list[Path]:
    notebooks = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if names:
        chosen = [p for p in notebooks if any(p.name.startswith(n) or p.stem == n for n in names)]
        missing = [n for n in names if not any(p.name.startswith(n) or p.stem == n for p in notebooks)]
        if missing:
            raise SystemExit(f"no notebook matches {missing}; notebooks: {[p.name for p in notebooks]}")
        return chosen
    return notebooks


def notebook_tracks() -> dict:
    """Notebook stem -> the track that teaches it (lib.tracks); a notebook of two tracks (09: the
    de-occlusion pair) goes to the first one listed."""
    from .tracks import all_tracks

    tracks: dict = {}
    for track in all_tracks():
        for stem in track.notebooks:
            tracks.setdefault(stem, track.name)
    return tracks


STORED_PROFILE = "demo"  # the profile whose outputs the stored notebooks show


def notebook_config_files(stem: str) -> list[Path]:
    """The config files of the tracks that teach notebook ``stem`` (none for a notebook of no track)."""
    from .tracks import all_tracks

    files = []
    for track in all_tracks():
        if stem in track.notebooks:
            files.append(Path(track.config_file or REPO_ROOT / "lib" / "configs" / f"{track.name}.yaml"))
    return sorted(set(files))


IMPORT = re.compile(r"^\s*(from\s+[\w.]+\s+import\b|import\s+[\w.])")


def as_run(text: str, moved=()) -> str:
    """``text`` with each name of ``moved`` (pairs: where it is now, where it was when the notebook ran) put back."""
    for now, then in moved:
        text = text.replace(now, then)
    return text


def what_a_cell_computes(cell, moved=()) -> str:
    """A code cell as the digest reads it: its statements, without its imports, its comments and its formatting
    (``ast.unparse``). Like lib's code, which the digest leaves out too, where a name is imported from is not what
    the cell computes, and layout is the formatter's. A cell in IPython's own syntax (``%env``, ``!command``) is
    read as text, its import lines and blank lines left out."""
    source = as_run(cell.source, moved)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        kept, open_parens = [], 0
        for line in source.splitlines():
            if open_parens or IMPORT.match(line):
                open_parens = max(0, open_parens + line.count("(") - line.count(")"))
            elif line.strip():
                kept.append(line)
        return "\n".join(kept)
    tree.body = [node for node in tree.body if not isinstance(node, (ast.Import, ast.ImportFrom))]
    return ast.unparse(tree)


def digest_of(nb, configs, moved=()) -> str:
    """SHA-256 of notebook ``nb``'s code cells (:func:`what_a_cell_computes`) and ``configs``, pairs of a config
    file's repository path and its text; ``moved``: files and modules that moved since the notebook ran
    (:func:`as_run`)."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":  # prose changes no output
            digest.update(f"{what_a_cell_computes(cell, moved)}\0".encode())
    for name, text in configs:
        digest.update(f"{name}\0".encode() + as_run(text, moved).encode())
    return digest.hexdigest()


def sources_digest(path: Path, nb=None, moved=()) -> str:
    """The digest of what notebook ``path``'s outputs come from: its code cells and the config files of its tracks
    (:func:`digest_of`). Prose, outputs, execution counts and metadata do not count."""
    nb = nb if nb is not None else nbformat.read(path, as_version=4)
    configs = [
        (config.relative_to(REPO_ROOT).as_posix(), config.read_text(encoding="utf-8"))
        for config in notebook_config_files(Path(path).stem)
    ]
    return digest_of(nb, configs, moved)


def stored_run_is_current(path: Path) -> bool:
    """Whether the stored run of notebook ``path`` is the run of its sources as they are. Its metadata may list files
    and modules that only moved since it ran (``course.moved``: pairs of where a name is now and where it was):
    what a cell computes does not change with a move, so such a run stays current; the next store drops the list."""
    meta = nbformat.read(path, as_version=4).metadata.get("course") or {}
    return bool(meta) and meta["sources"] == sources_digest(path, moved=[tuple(p) for p in meta.get("moved", [])])


def stamp(nb, source: Path, profile: str, status: str) -> None:
    nb.metadata["course"] = {"profile": profile, "status": status, "sources": sources_digest(source)}


def not_storable(meta: dict, path: Path) -> str:
    """Why an executed copy with metadata ``meta`` may not replace notebook ``path`` ("" if it may)."""
    if not meta:
        return "it was not run by this version of the runner"
    if meta["profile"] != STORED_PROFILE:
        return f"it ran under {meta['profile']!r}, the stored results are {STORED_PROFILE!r}'s"
    if meta["status"] != "ok":
        return f"its run {meta['status']}"
    if meta["sources"] != sources_digest(path):
        return "the notebook or its config changed since it ran"
    return ""


def store(run_dir: Path, names=None) -> list[str]:
    """Copy the executed copies in ``run_dir`` over the notebooks they came from, when they are of a successful
    ``demo`` run of the notebooks as they are now. Returns one line per notebook: stored, or why not."""
    lines = []
    for path in find_notebooks(names):
        executed = run_dir / path.name
        if not executed.exists():
            lines.append(f"{path.name}: not stored, no executed copy in {run_dir} (run make run first)")
            continue
        why = not_storable(nbformat.read(executed, as_version=4).metadata.get("course", {}), path)
        if why:
            lines.append(f"{path.name}: not stored, {why}")
            continue
        tmp = path.with_suffix(".ipynb.tmp")
        shutil.copyfile(executed, tmp)
        os.replace(tmp, path)
        lines.append(f"{path.name}: stored")
    return lines


def failing_cell(nb) -> tuple[int, str]:
    """Index (1-based, code cells counted with markdown) and first line of the cell that failed."""
    for i, cell in enumerate(nb.cells, start=1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                return i, f"{out.get('ename')}: {out.get('evalue')}"[:200] + f" (cell starts: {first[:60]!r})"
    return 0, "unknown cell"


def run_notebook(path: Path, run_dir: Path, timeout: int | None, profile: str) -> dict:
    """Execute one notebook under ``profile`` (resolved once by :func:`main`, which also exports it to the kernel)."""
    nb = nbformat.read(path, as_version=4)
    env = {**os.environ, RUN_DIR_ENV: str(run_dir), NOTEBOOK_ENV: path.stem}  # this kernel's, not the runner's
    figure_file = run_dir / "key_figures" / f"{path.stem}.json"
    figure_file.unlink(missing_ok=True)
    log_path = run_dir / "logs" / f"{path.stem}.kernel.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger("traitlets").setLevel(logging.WARNING)  # nbclient's "Executing notebook ..." lines
    start = time.perf_counter()
    status, detail = "ok", ""
    with tempfile.TemporaryDirectory(prefix="kernel-") as sockets, open(log_path, "w") as kernel_log:
        km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "ipc"))
        client = NotebookClient(nb, km=km, timeout=timeout, resources={"metadata": {"path": str(path.parent)}})
        try:
            client.execute(cleanup_kc=True, env=env, stdout=kernel_log, stderr=kernel_log)  # shut it down after
        except CellExecutionError:
            cell, message = failing_cell(nb)
            status, detail = "FAILED", f"cell {cell}: {message}"
        except Exception as exc:  # noqa: BLE001 -- kernel died, timeout
            status, detail = "FAILED", f"{type(exc).__name__}: {exc}"[:300] + f" (kernel output: {log_path})"
    seconds = time.perf_counter() - start
    stamp(nb, path, profile, status)
    out = run_dir / path.name
    tmp = out.with_suffix(".tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, out)
    figure = json.loads(figure_file.read_text(encoding="utf-8"))["text"] if figure_file.exists() else ""
    return {
        "notebook": path.name,
        "track": notebook_tracks().get(path.stem, ""),
        "seconds": seconds,
        "status": status,
        "key_figure": figure,
        "detail": detail,
    }


def ready(pending: list[Path], running: set[str], tracks: dict) -> Path | None:
    """The first pending notebook whose track has none running and no earlier notebook still pending: a
    track's notebooks in the course's order, one at a time (a notebook of no track counts as the track "")."""
    for i, path in enumerate(pending):
        track = tracks.get(path.stem, "")
        if track not in running and all(tracks.get(p.stem, "") != track for p in pending[:i]):
            return path
    return None


def run_all(paths: list[Path], run_dir: Path, timeout: int | None, profile: str, jobs: int) -> list[dict]:
    """Run ``paths``, up to ``jobs`` at a time (:func:`ready` picks the next); the rows in the course's order."""

    def started(path):
        print(f"[{profile}] running {path.name} ...", flush=True)

    def finished(row):
        print(f"    {row['notebook']}: {row['status']} in {row['seconds']:.0f} s {row['detail']}", flush=True)
        return row

    if jobs <= 1:
        rows = []
        for path in paths:
            started(path)
            rows.append(finished(run_notebook(path, run_dir, timeout, profile)))
        return rows
    tracks, pending, rows, running = notebook_tracks(), list(paths), {}, {}
    # spawn: a fresh interpreter per worker, nothing of this process's state (Paddle, sockets) inherited
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        while pending or running:
            while len(running) < jobs and (path := ready(pending, set(running.values()), tracks)) is not None:
                pending.remove(path)
                started(path)
                running[pool.submit(run_notebook, path, run_dir, timeout, profile)] = tracks.get(path.stem, "")
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                row = finished(future.result())
                rows[row["notebook"]] = row
                del running[future]
    return [rows[p.name] for p in paths]


def format_table(rows: list[dict], wall: float | None = None) -> str:
    """The summary: one row per notebook, the seconds of each track added up, and the whole run's (``wall``, its
    wall time when notebooks ran side by side; else the sum)."""
    header = ["notebook", "track", "seconds", "status", "key figure"]
    body = [[r["notebook"], r.get("track", ""), f"{r['seconds']:.0f}", r["status"], r["key_figure"]] for r in rows]
    totals = {}
    for r in rows:
        totals[r.get("track", "")] = totals.get(r.get("track", ""), 0.0) + r["seconds"]
    body += [
        [f"(all of {track})" if track else "(other)", track, f"{sec:.0f}", "", ""] for track, sec in totals.items()
    ]
    course = sum(r["seconds"] for r in rows) if wall is None else wall
    body.append(["(course)", "", f"{course:.0f}", "", "" if wall is None else "wall time, tracks side by side"])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep] + [line(b) for b in body])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook names or prefixes (default: all, in order)")
    parser.add_argument("--out", type=Path, default=RUNS_DIR, help="folder for executed copies")
    parser.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: none)")
    parser.add_argument(
        "--store",
        action="store_true",
        help="run nothing: copy the executed copies of the last demo run (in --out) into notebooks/ (make notebooks)",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="notebooks at a time, of different tracks (make run: JOBS, default 2)"
    )
    args = parser.parse_args(argv)
    if args.store:
        lines = store(args.out, args.names)
        print("\n".join(lines))
        return 0 if all(line.endswith(": stored") for line in lines) else 1
    profile = active_profile()
    os.environ["COURSE_PROFILE"] = profile
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rows = run_all(find_notebooks(args.names), args.out, args.timeout, profile, args.jobs)
    wall = time.perf_counter() - start
    table = format_table(rows, wall if args.jobs > 1 else None)
    how = f"{args.jobs} notebooks at a time" if args.jobs > 1 else "one notebook at a time"
    (args.out / "summary.md").write_text(f"Profile: {profile}; {how}\n\n{table}\n", encoding="utf-8")
    print(f"\nProfile {profile}; {how}; executed notebooks in {args.out}/\n{table}")
    failed = [r for r in rows if r["status"] != "ok"]
    for r in failed:
        print(f"FAILED: {r['notebook']} {r['detail']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
