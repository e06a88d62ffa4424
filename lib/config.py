"""Profiles and per-track options.

A profile scales every experiment of the course:

* ``smoke``: CI; every notebook in seconds to a minute, every code path still exercised;
* ``demo``: the default; minutes per notebook on 2 CPU cores, with real, visible results;
* ``full``: what each solution's own code ran (lab.fidelity checks it against its sources), for a GPU on AI Studio.

Each track keeps its three profiles side by side in one YAML file, ``lib/configs/<track>.yaml``:
every top-level section (``data``, ``prepare``, ``train`` ...) maps each profile to its options. How each shipped
demo model in ``checkpoints/`` was trained is its recipe, ``lib/configs/shipped/<track>.yaml`` (:func:`ship_recipe`).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml

PROFILES = ("smoke", "demo", "full")
DEFAULT_PROFILE = "demo"
PROFILE_ENV = "COURSE_PROFILE"
CONFIG_DIR = Path(__file__).resolve().parent / "configs"


class ConfigError(ValueError):
    """An option file, profile name or option key is wrong."""


def check_profile(name: str) -> str:
    """Return ``name`` if it is a known profile, else raise a ConfigError listing the valid ones."""
    if name is None:  # a shared helper reached without the profile its entry point resolved
        raise ConfigError("no profile given: the caller must pass the one its entry point resolved (active_profile)")
    if name not in PROFILES:
        raise ConfigError(
            f"unknown profile {name!r}: valid profiles are {', '.join(PROFILES)} (set {PROFILE_ENV} or pass --profile)"
        )
    return name


def active_profile(name: str | None = None) -> str:
    """The profile to use: ``name`` if given, else ``$COURSE_PROFILE``, else ``demo``.

    Called only at the entry points (the command lines and the public functions a notebook calls,
    listed in tests/test_profile_resolution.py), which pass the resolved name down: the shared layers
    below them take the profile as a required argument and never read the environment."""
    if name is None:
        name = os.environ.get(PROFILE_ENV, "").strip() or DEFAULT_PROFILE
    return check_profile(name)


def track_names() -> list[str]:
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def load_track_file(track: str, path: str | Path | None = None) -> dict[str, Any]:
    """The raw YAML of a track (``lib/configs/<track>.yaml`` unless ``path``), every section with
    its three profiles."""
    path = Path(path) if path else CONFIG_DIR / f"{track}.yaml"
    if not path.is_file():
        raise ConfigError(f"no options for track {track!r} ({path}); tracks: {', '.join(track_names())}")
    with open(path, encoding="utf-8") as f:
        raw = yaml.safe_load(f) or {}
    for section, per_profile in raw.items():
        if not isinstance(per_profile, dict) or set(per_profile) != set(PROFILES):
            found = sorted(per_profile) if isinstance(per_profile, dict) else type(per_profile).__name__
            raise ConfigError(
                f"{path}: section {section!r} must give exactly the profiles {list(PROFILES)}, found {found}"
            )
    return raw


def tracks_with_section(section: str) -> list[str]:
    """The tracks whose options file (``lib/configs/<track>.yaml``) has ``section``, e.g. ``tlc``: the one
    solution deployed with TLC, found by what its options say rather than by its name."""
    return [track for track in track_names() if section in load_track_file(track)]


def load_config(track: str, profile: str | None = None, path: str | Path | None = None) -> dict[str, Any]:
    """Options of ``track`` for one profile (None: the course's, :func:`active_profile`):
    ``{section: options}``, e.g. ``cfg["data"]["n_train"]``. A notebook's entry point; code below the
    entry points calls :func:`profile_config` with the profile it was given."""
    return profile_config(track, active_profile(profile), path)


def profile_config(track: str, profile: str, path: str | Path | None = None) -> dict[str, Any]:
    """:func:`load_config` for a profile already resolved (a ConfigError for None or an unknown name)."""
    profile = check_profile(profile)
    raw = load_track_file(track, path)
    cfg = {section: copy.deepcopy(per_profile[profile]) for section, per_profile in raw.items()}
    cfg["profile"] = profile
    cfg["track"] = track
    return cfg


def as_setting_value(value) -> str:
    """``value`` as the one-line YAML of a ``--set`` setting, which :func:`parse_setting` reads back equal (YAML, not
    JSON: PyYAML reads JSON's ``8e-05`` as a string)."""
    return yaml.safe_dump(value, default_flow_style=True, width=1 << 20).removesuffix("\n...\n").strip()


SHIP_DIR = CONFIG_DIR / "shipped"  # lib/configs/shipped/<track>.yaml: how each shipped demo model was trained
SHIP_KEYS = {"schedule_scale", "nproc", "set"}


def ship_recipe(track: str, path: str | Path | None = None) -> dict[str, Any]:
    """How the shipped demo model of ``track`` (``checkpoints/<track>_<model>_demo/``) was trained, from
    ``lib/configs/shipped/<track>.yaml`` (``make ship``, ``python -m lib.train --ship``): the demo profile with the
    options of ``set`` changed (``section.key: value``, as ``--set`` changes them), its whole schedule
    ``schedule_scale`` times longer, in ``nproc`` training processes. Returns ``{"settings": ["section.key=value",
    ...], "schedule_scale": float or None, "nproc": int or None, "path": Path}``; a ConfigError naming the file for
    a missing recipe or a wrong key."""
    path = Path(path) if path else SHIP_DIR / f"{track}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in SHIP_DIR.glob("*.yaml"))
        raise ConfigError(f"no shipped recipe for track {track!r} ({path}); recipes: {', '.join(known)}")
    with open(path, encoding="utf-8") as f:
        raw = yaml.safe_load(f) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of {sorted(SHIP_KEYS)}, found {type(raw).__name__}")
    check_keys(raw, SHIP_KEYS, str(path))
    changes = raw.get("set") or {}
    if not isinstance(changes, dict) or not all(isinstance(k, str) and "." in k for k in changes):
        raise ConfigError(f"{path}: 'set' must map options (section.key, e.g. model.width) to their values")
    scale, nproc = raw.get("schedule_scale"), raw.get("nproc")
    if scale is not None and (not isinstance(scale, (int, float)) or isinstance(scale, bool) or scale <= 0):
        raise ConfigError(f"{path}: schedule_scale must be a positive number, found {scale!r}")
    if nproc is not None and (not isinstance(nproc, int) or isinstance(nproc, bool) or nproc < 1):
        raise ConfigError(f"{path}: nproc must be a whole number of processes (1 or more), found {nproc!r}")
    settings = [f"{key}={as_setting_value(value)}" for key, value in changes.items()]
    scale = None if scale is None else float(scale)
    return {"settings": settings, "schedule_scale": scale, "nproc": nproc, "path": path}


def parse_setting(setting: str) -> tuple[list[str], Any]:
    """``"model.width=32"`` -> ``(["model", "width"], 32)``: a dotted option path and a YAML value
    (``32``, ``1.0e-3``, ``[1, 1, 1, 2]``, ``true``); a ConfigError for anything else."""
    path, sep, text = setting.partition("=")
    keys = path.strip().split(".")
    if not sep or len(keys) < 2 or not all(keys):
        raise ConfigError(f"setting {setting!r}: expected section.key=value, e.g. model.width=32")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"setting {setting!r}: the value is not YAML ({err.__class__.__name__})") from None
    return keys, value


def apply_settings(cfg: dict[str, Any], settings, sections) -> dict[str, Any]:
    """A copy of a profile's options ``cfg`` with ``settings`` (``"section.key=value"``) applied,
    only inside ``sections``. The path up to the last key must exist; a new last key is allowed
    (the section's own checks name typos: a model's builder, the engine's ``check_keys``)."""
    cfg = copy.deepcopy(cfg)
    for setting in settings:
        keys, value = parse_setting(setting)
        if keys[0] not in sections:
            raise ConfigError(
                f"setting {setting!r}: only the sections {list(sections)} can be set here, not {keys[0]!r}"
            )
        node = cfg
        for depth, key in enumerate(keys[:-1]):
            node = node.get(key) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                raise ConfigError(
                    f"setting {setting!r}: {'.'.join(keys[: depth + 1])} is not a section of "
                    f"options (profile {cfg.get('profile')!r})"
                )
        node[keys[-1]] = value
    return cfg


def check_keys(options: dict[str, Any], allowed: set[str] | dict, where: str) -> None:
    """Raise a ConfigError naming every unknown key (typos), with the keys that are allowed."""
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: unknown option(s) {unknown}; allowed: {sorted(allowed)}")


def checked_section(
    track: str,
    section: str,
    keys: set[str],
    profile: str,
    overrides: dict | None = None,
    defaults: dict | None = None,
) -> tuple[dict, str]:
    """A copy of ``section`` of ``lib/configs/<track>.yaml`` for ``profile`` with ``overrides``,
    every key known and none missing (ConfigError naming them); and where it came from.
    ``defaults``: optional keys and their values when neither the section nor ``overrides`` sets them."""
    options = {**(defaults or {}), **profile_config(track, profile)[section], **(overrides or {})}
    where = f"lib/configs/{track}.yaml {section}"
    check_keys(options, set(keys) | set(defaults or {}), where)
    missing = sorted(set(keys) - set(options))
    if missing:
        raise ConfigError(f"{where}: missing option(s) {missing}")
    return options, where


def named_or_given(
    config, named: dict, family: str, overrides: dict | None = None, section: str = "model: section"
) -> tuple[dict, str]:
    """A copy of the options of a model family: ``named[config]`` for a configuration name (an
    error listing the known ones otherwise) or the ``config`` dict itself, with ``overrides``; and
    where they came from, for error messages (e.g. ``"SDWNet config 'paper'"``)."""
    if isinstance(config, str):
        if config not in named:
            raise ValueError(f"unknown {family} config {config!r}; known: {', '.join(named)}")
        options, where = copy.deepcopy(named[config]), f"{family} config {config!r}"
    elif isinstance(config, dict):
        options, where = copy.deepcopy(config), f"{family} options ({section})"
    else:
        raise TypeError(f"expected a {family} config name or an options dict, got {type(config).__name__}")
    options.update(overrides or {})
    return options, where
