"""The course's tracks: one source solution each (lib.tracks.sources), found by name.

    >>> from lib.tracks import get_deployment, get_track, load_model
    >>> track = get_track("deblur")           # lib.tracks.deblur.track.DeblurTrack: the recipe
    >>> model = load_model("deblur")          # your own run of the profile, else the shipped demo model
    >>> get_deployment("deblur")              # track.deployment: what it ships (model, submission, app tab)

Each solution is one package here, ``lib/tracks/<folder>/``, whose ``TRACKS`` lists the tracks it
defines (the de-occlusion folder holds two: the inpainter and its segmenter). Track packages are
imported on first use, so ``import lib.tracks`` stays light; shared layers reach a track only through
this registry, by name. Tests and experiments add their own with :func:`register_track`.
lib/README.md maps every track to its folder, notebooks and models.
"""

from __future__ import annotations

import importlib

from ..config import ConfigError
from .base import Track
from .deployment import Deployment

# name -> the track's package, whose TRACKS holds it (imported on first use)
KNOWN_TRACKS = {
    "deblur": "lib.tracks.deblur",
    "deocclusion": "lib.tracks.deocclusion",
    "deocclusion_seg": "lib.tracks.deocclusion",
    "denoise": "lib.tracks.denoise",
    "retouch": "lib.tracks.retouch",
    "sdwnet": "lib.tracks.sdwnet",
}
_loaded: dict[str, Track] = {}


class UnknownTrackError(ConfigError):
    """A track name that is not registered."""


def track_names() -> list[str]:
    return sorted(set(KNOWN_TRACKS) | set(_loaded))


def register_track(track: Track) -> Track:
    """Make ``track`` (an instance) available by its name to every entry point in this process."""
    if not track.name:
        raise ValueError("a track needs a name")
    _loaded[track.name] = track
    return track


def get_track(name) -> Track:
    """The track called ``name`` (a Track is returned as is); an error listing the known ones."""
    if isinstance(name, Track):
        return name
    if name not in _loaded:
        if name not in KNOWN_TRACKS:
            raise UnknownTrackError(f"unknown track {name!r}; known tracks: {', '.join(track_names())}")
        package = importlib.import_module(KNOWN_TRACKS[name])
        _loaded[name] = next(track for track in package.TRACKS if track.name == name)
    return _loaded[name]


def all_tracks() -> list[Track]:
    return [get_track(name) for name in track_names()]


def get_deployment(name) -> Deployment:
    """What the track called ``name`` ships (``get_track(name).deployment``, lib.tracks.deployment)."""
    return get_track(name).deployment


def load_model(track, path=None, profile: str | None = None, network: str | None = None):
    """A trained network of ``track`` in eval mode: ``path`` if given, else the learner's own best
    checkpoint of the profile (``runs/train/<track>-<profile>/best.pdparams``), else the shipped
    ``checkpoints/<track>_<model>_demo/``. See :meth:`Track.load_model`."""
    return get_track(track).load_model(path, profile=profile, network=network)


__all__ = [
    "KNOWN_TRACKS",
    "Deployment",
    "Track",
    "UnknownTrackError",
    "all_tracks",
    "get_deployment",
    "get_track",
    "load_model",
    "register_track",
    "track_names",
]
