"""An experiment's options: its overlay YAML merged over the track's options file.

An overlay, ``lab/tracks/<track>/overlays/<name>.yaml``, has the sections and profiles of
``lib/configs/<track>.yaml`` but
only the keys that differ, plus a ``candidate:`` block that says what the experiment is (its labels, the seeds it was
trained with, their bench files and recorded runs, the command that trains it). Merging: a mapping is merged key by
key, anything else (a number, a list such as ``phases``) replaces the track's value.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from lib.config import PROFILES, ConfigError, load_track_file

ROOT = Path(__file__).resolve().parents[1] / "tracks"  # lab/tracks/<track>/overlays/<name>.yaml
CANDIDATE_KEY = "candidate"
# the modules that teach the product an experiment's extra options (page switches, losses), imported with the options
EXTENSIONS = {"deblur": ["lab.tracks.deblur.data", "lab.tracks.deblur.losses"]}


def overlay_path(name: str) -> Path:
    """``"deblur/02_wide"`` -> ``lab/tracks/deblur/overlays/02_wide.yaml``; a ConfigError listing the track's
    experiments."""
    track, _, stem = name.partition("/")
    path = ROOT / track / "overlays" / f"{stem}.yaml"
    if not stem or not path.is_file():
        known = sorted(f"{p.parents[1].name}/{p.stem}" for p in ROOT.glob("*/overlays/*.yaml"))
        raise ConfigError(f"no experiment {name!r} ({path}); experiments: {', '.join(known)}")
    return path


def load_overlay(name: str) -> dict:
    with open(overlay_path(name), encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def merge(base, overlay, where: str = ""):
    """``overlay`` over ``base``: mappings merged key by key, any other value replacing the base's."""
    if not isinstance(overlay, dict) or not isinstance(base, dict):
        return copy.deepcopy(overlay)
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        merged[key] = merge(base.get(key), value, f"{where}.{key}" if where else str(key))
    return merged


def merged_options(name: str, seed: int | None = None) -> dict:
    """The track's whole options file (every section and profile) with experiment ``name``'s overlay merged over it,
    ``train.seed`` set in every profile when ``seed`` is given, and the modules the product imports for it
    (``extensions``). Every overlay section and profile must exist in the track's file (a typo is an error)."""
    track = name.partition("/")[0]
    overlay = {k: v for k, v in load_overlay(name).items() if k != CANDIDATE_KEY}
    base = load_track_file(track)
    for section, per_profile in overlay.items():
        if section not in base:
            raise ConfigError(f"{overlay_path(name)}: section {section!r} is not in lib/configs/{track}.yaml")
        if not isinstance(per_profile, dict) or not set(per_profile) <= set(PROFILES):
            raise ConfigError(f"{overlay_path(name)}: section {section!r} must map some of {list(PROFILES)} to options")
    options = merge(base, overlay)
    if seed is not None:
        for profile in PROFILES:
            options["train"][profile]["seed"] = int(seed)
    options["extensions"] = {profile: list(EXTENSIONS.get(track, [])) for profile in PROFILES}
    return options


def write_options(name: str, path, seed: int | None = None) -> Path:
    """:func:`merged_options` written to ``path`` (what ``python -m lib.train --options`` reads)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(merged_options(name, seed), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
