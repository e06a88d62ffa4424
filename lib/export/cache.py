"""Exported models kept on disk, one folder per source: keyed by the sha256 of the checkpoint(s) a model
came from and the settings it was exported with (TLC's window, the variant), so a changed checkpoint is
exported again and an unchanged one never is.

A folder is written under a temporary name and renamed into place when complete (with its ``export.json``
last inside it): a reader never loads half an export, and two processes exporting the same key at once
both end up using one complete folder. Folders of older checkpoints stay until removed by hand.

Read-only folders of the same layout come first (``shipped``): the copies a bundle of the app carries, found by the
same key, so a hosted app never needs the export chain for the shipped models.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path

EXPORT_RECORD = "export.json"  # written last inside a complete folder: what it was exported from


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_key(checkpoints, settings: dict | None = None) -> dict:
    """What an export depends on: each checkpoint's sha256 and the export ``settings``; its ``key`` (16 hex
    digits) names the folder."""
    sources = {str(name): file_sha256(path) for name, path in checkpoints.items()}
    settings = settings or {}
    text = json.dumps({"sources": sources, "settings": settings}, sort_keys=True, default=str)
    return {"key": hashlib.sha256(text.encode()).hexdigest()[:16], "sources": sources, "settings": settings}


def cached_export(root, name: str, key: dict, export, shipped=()) -> tuple[Path, bool]:
    """The folder ``<name>-<key>`` of the first of ``shipped`` (read-only folders) that holds it complete, else
    ``root/<name>-<key>``: ``export(folder)`` writes it the first time (into a temporary folder renamed into place),
    later calls find it. Returns (folder, whether it was exported now)."""
    for ready in shipped:
        if (Path(ready) / f"{name}-{key['key']}" / EXPORT_RECORD).is_file():
            return Path(ready) / f"{name}-{key['key']}", False
    root = Path(root)
    folder = root / f"{name}-{key['key']}"
    if (folder / EXPORT_RECORD).is_file():
        return folder, False
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{name}-{key['key']}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    try:
        start = time.perf_counter()
        export(tmp)
        record = {**key, "name": name, "export_seconds": round(time.perf_counter() - start, 2)}
        (tmp / EXPORT_RECORD).write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
        try:
            os.rename(tmp, folder)  # only complete folders are renamed into place
        except OSError:  # another process renamed its complete copy first
            if not (folder / EXPORT_RECORD).is_file():
                raise
            return folder, False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder, True
