"""SIDD's names: scene folders (instance, scene, phone, ISO, shutter, temperature, brightness) and
the noisy / clean files inside them."""

from __future__ import annotations

import re

from lib.data.pairs import DataError

PHONE = "SY"

FILE_RE = re.compile(r"^(?:(?P<prefix>\d+)_)?(?P<kind>NOISY|GT)_SRGB_(?P<capture>\d+)\.png$", re.IGNORECASE)

SCENE_RE = re.compile(
    r"^(?P<instance>\d+)_(?P<scene>\d+)_(?P<phone>[A-Za-z0-9]+)_(?P<iso>\d+)_(?P<shutter>\d+)_"
    r"(?P<temperature>\d+)_(?P<brightness>[A-Za-z])$"
)


def scene_name(instance: int, scene: int, iso: int, brightness: str = "N") -> str:
    """A SIDD-style scene folder name (shutter and temperature fixed placeholders; brightness L
    for an under-exposed scene, N otherwise, as SIDD codes its low / normal light)."""
    return f"{instance:04d}_{scene:03d}_{PHONE}_{int(iso):05d}_00100_5500_{brightness}"


def parse_scene_name(name: str) -> dict:
    """Fields of a SIDD scene folder name (``0001_001_S6_00100_00060_3200_L``): instance, scene,
    phone, iso, shutter, temperature (ints except phone and brightness). A DataError otherwise."""
    match = SCENE_RE.match(name)
    if not match:
        raise DataError(
            f"{name!r} is not a SIDD scene folder name "
            f"(<instance>_<scene>_<phone>_<ISO>_<shutter>_<temperature>_<brightness>)"
        )
    fields = match.groupdict()
    for key in ("instance", "scene", "iso", "shutter", "temperature"):
        fields[key] = int(fields[key])
    return fields


def scene_iso(name: str) -> int | None:
    """The ISO of a ``<scene>/<capture>`` or scene name, or None if the name is not SIDD-style."""
    try:
        return parse_scene_name(name.split("/")[0])["iso"]
    except DataError:
        return None
