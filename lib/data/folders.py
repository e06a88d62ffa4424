"""Generated data folders, shared by every track's generator and preparation step.

* A folder is built whole in a hidden temporary folder beside it and renamed into place; its
  ``manifest.json`` is written last, so a folder without one is never taken as complete, and a
  crash leaves the previous folder (or nothing) in place. Temporaries of dead processes are
  removed on the next run.
* A manifest that matches the parameters (and lists files that all exist) makes a second call
  return at once.
* Per-item work runs in worker processes (spawned, not forked: a forked child deadlocks in OpenCV
  when the parent already used OpenCV's thread pool, and a notebook kernel always has).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2

from ..report import progress

MANIFEST = "manifest.json"
MIN_JOBS_PER_WORKER = 4  # fewer jobs run inline: a spawned worker costs a second or two to start


def write_files(out_dir, outputs: dict[str, bytes]) -> dict[str, str]:
    """Write ``outputs`` (path relative to ``out_dir`` -> bytes), making folders; the SHA-256 of
    each, for a generator's manifest (same seed, same bytes)."""
    hashes = {}
    for rel, data in outputs.items():
        path = Path(out_dir) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        hashes[rel] = hashlib.sha256(data).hexdigest()
    return hashes


def read_manifest(root) -> dict | None:
    try:
        return json.loads((Path(root) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_up_to_date(root, key: dict, required=()) -> bool:
    """``root`` has a manifest whose entries equal ``key``'s, and every file it lists (``files``)
    and every ``required`` file exists."""
    manifest = read_manifest(root)
    if not manifest or any(manifest.get(k) != v for k, v in key.items()):
        return False
    names = list(manifest.get("files", {})) + list(required)
    return all((Path(root) / name).is_file() for name in names)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(root) -> None:
    """Delete half-built folders of ``root`` left by interrupted runs whose process is gone."""
    root = Path(root)
    for pattern in (f".{root.name}.tmp-*", f".{root.name}.old-*"):
        for tmp in root.parent.glob(pattern):
            pid = tmp.name.rsplit("-", 1)[-1]
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                shutil.rmtree(tmp, ignore_errors=True)


def build_atomically(root, build) -> dict:
    """``build(tmp)`` writes the folder's content into ``tmp`` and returns its manifest; the
    manifest is written last and the folder renamed into place at ``root``. Returns the manifest."""
    root = Path(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(root)
    tmp = root.parent / f".{root.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        manifest = build(tmp)
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        old = root.parent / f".{root.name}.old-{os.getpid()}"
        if root.exists():
            os.replace(root, old)
        os.replace(tmp, root)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _init_worker() -> None:
    cv2.setNumThreads(1)  # one process per core already; OpenCV threads would only compete


def run_jobs(function, jobs: list, workers: int, desc: str, unit: str = "it") -> list:
    """``function`` over ``jobs`` in order, in up to ``workers`` spawned processes, with a
    progress bar; inline when ``workers`` is 1 or there are too few jobs to pay for the processes.
    ``function`` must be importable (a module-level function) and its results picklable."""
    workers = max(1, min(workers, os.cpu_count() or 1, len(jobs)))
    if workers == 1 or len(jobs) < MIN_JOBS_PER_WORKER * workers:
        return [function(job) for job in progress(jobs, desc=desc, total=len(jobs), unit=unit)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker) as pool:
        return list(progress(pool.map(function, jobs, chunksize=1), desc=desc, total=len(jobs), unit=unit))


def data_root(track: str, profile: str, root, holds: str) -> tuple[Path, bool]:
    """Where a generator's data lives, and whether it is a real download: with ``root`` None and
    ``$COURSE_DATA`` set, that download (to be read, never written; ``holds`` says what it should
    hold); else ``root``, by default the generated folder of ``track`` and ``profile``."""
    from ..paths import generated_data_root

    if root is None:
        real = real_download(holds)
        if real is not None:
            return real, True
        root = generated_data_root(track, profile)
    return Path(root).expanduser().resolve(), False


def real_download(holds: str) -> Path | None:
    """The real download that ``$COURSE_DATA`` names, or None when it is unset; a DataError saying
    what the folder should hold (``holds``) when it does not exist."""
    from ..paths import DATA_ENV
    from .pairs import DataError

    real = os.environ.get(DATA_ENV, "").strip()
    if not real:
        return None
    path = Path(real).expanduser()
    if not path.is_dir():
        raise DataError(
            f"${DATA_ENV}={real}: folder not found (it should hold {holds}); unset {DATA_ENV} to use generated data"
        )
    print(f"using the data in ${DATA_ENV} = {path}")
    return path


def ensure_generated(root, params: dict, generate, summary=lambda manifest: "", force: bool = False) -> Path:
    """The end of :func:`ensure_dataset` and of every other generated folder: ``root`` as it is
    when its manifest matches ``params`` (nothing written, unless ``force``); else ``generate()``,
    which builds ``root`` with :func:`build_atomically` and returns the manifest. A non-empty folder
    without a manifest (a real download?) is never replaced unless ``force``. ``summary(manifest)``
    describes the set."""
    from ..paths import shown_path
    from .pairs import DataError

    root = Path(root)
    if not force and is_up_to_date(root, params):
        print(f"{shown_path(root)}：已是最新（{summary(read_manifest(root))}）")
        return root
    if root.is_dir() and any(root.iterdir()) and read_manifest(root) is None and not force:
        raise DataError(
            f"{root}: exists, is not empty and has no {MANIFEST}, so it was not written by "
            f"this generator (a real download?); refusing to replace it. Choose another "
            f"folder, or pass --force / force=True to overwrite it."
        )
    start = time.perf_counter()
    manifest = generate()
    print(f"{shown_path(root)}：已生成（{summary(manifest)}），用时 {time.perf_counter() - start:.1f} 秒")
    return root


def _no_summary(manifest: dict) -> str:
    return ""


def _no_resources(opts: dict) -> tuple:
    return ()


@dataclass(frozen=True)
class SampleData:
    """A track's generated sample data, as :func:`ensure_dataset` makes it.

    ``track``: its folder name under data/; ``holds``: what a real download of it holds (for the
    error when ``$COURSE_DATA`` names no folder); ``options(profile, overrides)``: the checked
    ``data`` options; ``params(profile, seed, opts, *resources)``: what the manifest must match;
    ``generate(root, profile, seed, opts, *resources, workers)``: builds ``root`` and returns the
    manifest; ``summary(manifest)``: one line describing the set; ``resources(opts)``: what
    ``params`` and ``generate`` share that is costly to find, found once (e.g. the fonts).
    """

    track: str
    holds: str
    options: Callable[..., dict]
    params: Callable[..., dict]
    generate: Callable[..., dict]
    summary: Callable[[dict], str] = _no_summary
    resources: Callable[[dict], tuple] = _no_resources


def ensure_dataset(
    data: SampleData,
    profile: str,
    root=None,
    *,
    seed: int = 0,
    force: bool = False,
    workers: int | None = None,
    options: dict | None = None,
) -> Path:
    """Make sure ``data``'s sample set exists and return its root folder; ``profile`` is required
    (the track's own ``ensure_dataset``, a notebook's entry point, resolves it).

    * ``root=None`` and ``$COURSE_DATA`` set: a real download, returned as is (nothing is
      generated; an error if the folder does not exist).
    * otherwise the set is generated under ``root`` (default ``lib.paths.generated_data_root``:
      ``data/<track>`` for the demo profile) unless a manifest there already matches the profile,
      seed, options (and resources), in which case this returns at once. ``force=True`` regenerates.
    * ``options`` overrides keys of the track's ``data`` options (e.g. tiny sizes for tests);
      ``workers`` defaults to the options' ``workers``, else the number of CPU cores.
    """
    from ..config import check_profile

    profile = check_profile(profile)
    root, real = data_root(data.track, profile, root, data.holds)
    if real:
        return root
    opts = data.options(profile, options)
    found = data.resources(opts)
    workers = workers or int(opts.get("workers") or os.cpu_count() or 1)
    return ensure_generated(
        root,
        data.params(profile, seed, opts, *found),
        lambda: data.generate(root, profile, seed, opts, *found, workers),
        data.summary,
        force,
    )


def link_files(pairs, dst_root) -> Path:
    """A folder made of files that exist elsewhere: each ``(source file, path relative to
    dst_root)`` of ``pairs`` hard-linked there (copied where a link cannot be made); ``dst_root`` is
    emptied first. Used to lay generated data out as a real download has it (test boards without
    ground truth, the download's folder names) without copying the pixels."""
    dst_root = Path(dst_root)
    if dst_root.exists():
        shutil.rmtree(dst_root)
    for src, rel in pairs:
        dst = dst_root / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
    return dst_root


def tree_files(root, skip=()) -> list[tuple[Path, str]]:
    """``(file, its path relative to root)`` for every file under ``root`` except those under a
    relative path of ``skip`` (e.g. ``"test_A/gt_image"``) and the manifest: :func:`link_files`' input."""
    root = Path(root)
    skipped = [Path(s) for s in skip]
    files = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and rel.name != "manifest.json" and not any(rel.is_relative_to(s) for s in skipped):
            files.append((path, rel.as_posix()))
    return files
