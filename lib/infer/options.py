"""What inference reads from a track's config and a model's training options: TLC's training size
and factor, the submission's tiling, the last stage's patch size."""

from __future__ import annotations

import paddle

from .tiling import TILINGS


def training_options(model_or_path) -> dict:
    """The training options of a model from ``lib.tracks.load_model`` (or of a checkpoint path):
    saved inside a training checkpoint, or as options.json beside a published model."""
    from ..checkpoints import read_options

    path = getattr(model_or_path, "checkpoint_path", model_or_path)
    if path is None or isinstance(path, paddle.nn.Layer):
        raise ValueError("the model has no checkpoint_path: pass patch_size explicitly")
    return read_options(path)


def training_patch_size(model_or_path) -> int:
    """The patch size of the last training stage. Not TLC's training size: see :func:`tlc_options`."""
    stages = training_options(model_or_path).get("stages") or []
    if not stages or "patch_size" not in stages[-1]:
        raise ValueError(f"no stages with a patch_size in the options of {model_or_path}")
    return int(stages[-1]["patch_size"])


def tlc_options(profile: str | None = None, track: str | None = None) -> dict:
    """The ``tlc`` section of lib/configs/<track>.yaml for ``profile`` ($COURSE_PROFILE, else demo):
    ``{"train_size": T, "factor": f}``, TLC's window being f x each pooled map's size at T x T.
    ``track`` None: the one track whose options have a ``tlc`` section (a ConfigError if not exactly one)."""
    from ..config import ConfigError, active_profile, checked_section, tracks_with_section

    profile = active_profile(profile)  # a notebook's entry point (tlc_options())
    if track is None:
        configured = tracks_with_section("tlc")
        if len(configured) != 1:
            raise ConfigError(f"tlc_options: name the track; options files with a tlc section: {configured}")
        track = configured[0]
    options, where = checked_section(track, "tlc", {"train_size", "factor"}, profile)
    size, factor = options["train_size"], options["factor"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ConfigError(f"{where}: train_size must be a positive integer, got {size!r}")
    if not isinstance(factor, (int, float)) or isinstance(factor, bool) or factor <= 0:
        raise ConfigError(f"{where}: factor must be a positive number, got {factor!r}")
    return {"train_size": size, "factor": float(factor)}


def submission_tiling(profile: str | None = None, track: str | None = None) -> str:
    """How ``track``'s submission cuts a test image for ``profile`` ($COURSE_PROFILE, else demo): the
    ``tiling`` of its config's ``submission`` section, "overlap" when the track has none (or no
    track is named)."""
    from ..config import CONFIG_DIR, ConfigError, active_profile, checked_section, load_track_file

    profile = active_profile(profile)  # a notebook's entry point (submission_tiling(PROFILE, track))
    if not track or not (CONFIG_DIR / f"{track}.yaml").is_file() or "submission" not in load_track_file(track):
        return "overlap"
    options, where = checked_section(track, "submission", {"tiling"}, profile)
    if options["tiling"] not in TILINGS:
        raise ConfigError(f"{where}: tiling must be one of {', '.join(TILINGS)}, got {options['tiling']!r}")
    return options["tiling"]
