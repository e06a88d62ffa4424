"""Where the course reads data and writes outputs.

Data root, in order: ``$COURSE_DATA`` (a real competition download, in its own layout), else the
course's generated sample data under ``data/``: ``data/deblur`` for the default ``demo`` profile,
``data/deblur-smoke`` and ``data/deblur-full`` for the others, so profiles never overwrite each other.
"""
from __future__ import annotations

import os
from pathlib import Path

from .config import DEFAULT_PROFILE, active_profile

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
RUNS_DIR = REPO_ROOT / "runs"
CHECKPOINT_DIR = REPO_ROOT / "checkpoints"
DATA_ENV = "COURSE_DATA"


def generated_data_root(track: str, profile: str | None = None) -> Path:
    """Folder of the generated sample data of ``track`` for ``profile``."""
    profile = active_profile(profile)
    suffix = "" if profile == DEFAULT_PROFILE else f"-{profile}"
    return DATA_DIR / f"{track}{suffix}"


def data_root(track: str, profile: str | None = None) -> Path:
    """The data a notebook should read: ``$COURSE_DATA`` if set, else the generated sample data."""
    real = os.environ.get(DATA_ENV, "").strip()
    if real:
        return Path(real).expanduser()
    return generated_data_root(track, profile)
