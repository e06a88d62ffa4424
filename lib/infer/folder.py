"""Restore every file of a folder into another, one bad file reported and skipped.

Standalone (see :mod:`lib.infer`): each submission zip carries this file as ``infer/folder.py``.
"""

from __future__ import annotations

import time
from pathlib import Path

from .blend import restore_array
from .errors import first_line
from .image_files import list_inputs, prepare_save_dir, read_image_file, write_image_file
from .tiling import DEFAULT_MULTIPLE, DEFAULT_OVERLAP, DEFAULT_TILE_PIXELS


def restore_folder(
    run,
    src_dir,
    save_dir,
    *,
    tile_pixels: int = DEFAULT_TILE_PIXELS,
    overlap: int = DEFAULT_OVERLAP,
    multiple: int = DEFAULT_MULTIPLE,
    tiling: str = "overlap",
    wrap=None,
    log=print,
    restore=None,
) -> dict:
    """Restore every file of ``src_dir`` into ``save_dir`` (same names); one failure never stops
    the rest. ``wrap`` wraps the file list (a progress bar); ``log`` prints each failure.
    ``restore``: image -> restored image, instead of :func:`restore_array` with ``run`` (a
    pipeline of several networks, e.g. the de-occlusion submission, or :class:`Backends`).
    Returns {"restored": [...], "failed": [(name, reason)], "timings": [{name, seconds, pixels}]}.
    """
    src_dir, save_dir = Path(src_dir), Path(save_dir)
    if not src_dir.is_dir():
        raise FileNotFoundError(f"source folder not found: {src_dir}")
    prepare_save_dir(save_dir, src_dir)
    files = list_inputs(src_dir)
    report = {"restored": [], "failed": [], "timings": [], "files": len(files)}
    for path in wrap(files) if wrap else files:
        start = time.perf_counter()
        try:
            image, info = read_image_file(path)
            restored = (
                restore(image)
                if restore
                else restore_array(
                    run, image, tile_pixels=tile_pixels, overlap=overlap, multiple=multiple, tiling=tiling
                )
            )
            write_image_file(save_dir / path.name, restored, info)
        except Exception as exc:  # noqa: BLE001 -- one bad file must not stop the others
            report["failed"].append((path.name, first_line(exc)))
            log(f"FAILED {path.name}: {first_line(exc)}")
            continue
        report["restored"].append(path.name)
        report["timings"].append(
            {"name": path.name, "seconds": time.perf_counter() - start, "pixels": int(image.shape[0] * image.shape[1])}
        )
    return report
