"""The ``data`` and ``prepare`` sections of lib/configs/denoise.yaml, checked."""

from __future__ import annotations

from lib.config import ConfigError, checked_section

from .layout import TRACK
from .photos import PHOTOS

DATA_KEYS = {
    "train_photos",
    "test_photos",
    "short_side",
    "scenes_per_photo",
    "crop",
    "iso_range",
    "test_isos",
    "exposure",
    "channel_shuffle",
}

PREPARE_KEYS = {"ps", "num_patches", "val_patches", "val_scenes", "num_cores"}


def data_options(profile: str, overrides: dict | None = None) -> dict:
    """The ``data`` section of lib/configs/denoise.yaml for ``profile`` (with ``overrides``), checked."""
    opts, where = checked_section(TRACK, "data", DATA_KEYS, profile, overrides)
    unknown = [p for p in list(opts["train_photos"]) + list(opts["test_photos"]) if p not in PHOTOS]
    if unknown:
        raise ConfigError(f"{where}: unknown photo(s) {unknown}; known: {', '.join(PHOTOS)}")
    shared = sorted(set(opts["train_photos"]) & set(opts["test_photos"]))
    if shared:
        raise ConfigError(f"{where}: photo(s) {shared} are both training and test photos")
    lo, hi = opts["crop"]
    if not (16 <= lo <= hi <= opts["short_side"]):
        raise ConfigError(
            f"{where}: crop [{lo}, {hi}] must satisfy 16 <= low <= high <= short_side ({opts['short_side']})"
        )
    iso_lo, iso_hi = opts["iso_range"]
    if not 0 < iso_lo <= iso_hi:
        raise ConfigError(f"{where}: iso_range must be [low, high] with 0 < low <= high, got {opts['iso_range']}")
    e_lo, e_hi = opts["exposure"]
    if not 0 < e_lo <= e_hi <= 1:
        raise ConfigError(f"{where}: exposure must be [low, high] with 0 < low <= high <= 1, got {opts['exposure']}")
    if not 0 <= opts["channel_shuffle"] <= 1:
        raise ConfigError(f"{where}: channel_shuffle is a probability, got {opts['channel_shuffle']}")
    if not opts["test_isos"] or min(opts["test_isos"]) <= 0:
        raise ConfigError(f"{where}: test_isos must be positive ISO levels, got {opts['test_isos']}")
    return opts


def prepare_options(profile: str, overrides: dict | None = None) -> dict:
    """The ``prepare`` section (the solution's ``--ps --num_patches --num_cores`` and the validation hold-out)."""
    opts, where = checked_section(TRACK, "prepare", PREPARE_KEYS, profile, overrides)
    for key in PREPARE_KEYS:
        value = opts[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < (0 if key == "val_scenes" else 1):
            raise ConfigError(f"{where}: {key} must be a positive integer, got {value!r}")
    return opts
