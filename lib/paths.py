"""Where the course reads data and writes outputs.

Data root, in order: ``$COURSE_DATA`` (a real competition download, in its own layout), else the
course's generated sample data under ``data/``: ``data/deblur`` for the default ``demo`` profile,
``data/deblur-smoke`` and ``data/deblur-full`` for the others, so profiles never overwrite each other.
``$COURSE_DATA_DIR`` and ``$COURSE_RUNS_DIR`` move the generated data and the run outputs elsewhere
(the notebook tests run each notebook alone in empty ones).
"""

from __future__ import annotations

import os
from pathlib import Path

from .config import DEFAULT_PROFILE, active_profile, check_profile

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("COURSE_DATA_DIR") or REPO_ROOT / "data")
RUNS_DIR = Path(os.environ.get("COURSE_RUNS_DIR") or REPO_ROOT / "runs")
CHECKPOINT_DIR = (
    REPO_ROOT / "checkpoints"
)  # the shipped models: rebuilt only by `make ship` (python -m lib.train --ship)
PUBLISHED_DIR = RUNS_DIR / "published"  # a learner's published models (`make train`, --publish): never the shipped ones
DATA_ENV = "COURSE_DATA"
SHIPPED_ENV = "COURSE_SHIPPED"


def shown_path(path) -> str:
    """``path`` as a reader should see it: relative to the repository when inside it (no trace of the
    machine that ran it in a stored notebook), else as it is."""
    path = Path(path).resolve()
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def shipped_only() -> bool:
    """The instructor's switch, ``COURSE_SHIPPED=1``: every notebook's training cell loads the
    shipped demo model instead of training, so any notebook runs in a few minutes."""
    return os.environ.get(SHIPPED_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def generated_data_root(track: str, profile: str) -> Path:
    """Folder of the generated sample data of ``track`` for ``profile`` (required: a ConfigError for None)."""
    profile = check_profile(profile)
    suffix = "" if profile == DEFAULT_PROFILE else f"-{profile}"
    return DATA_DIR / f"{track}{suffix}"


def data_root(track: str, profile: str | None = None) -> Path:
    """The data a notebook should read: ``$COURSE_DATA`` if set, else the generated sample data of
    ``profile`` (None: the course's; a notebook's entry point)."""
    profile = active_profile(profile)
    real = os.environ.get(DATA_ENV, "").strip()
    if real:
        return Path(real).expanduser()
    return generated_data_root(track, profile)
