"""TLC (lib.models.tlc) is a property of the model: :func:`tlc_model` converts a trained model with
the training size and factor of the profile's ``tlc`` section (lib/configs/deblur.yaml; full: the
winner's predict.py: NAFNetLocal's default 256 px x 2.5 = 640 px), not a training stage's patch (its training
patches reach 384 px, whose 960-px window would cover nearly a whole 1024 x 724 tile and leave TLC little to do)."""

from __future__ import annotations

from .options import tlc_options

TLC_FACTOR = 2.5  # the 1st-place solution's factor (the paper used 1.5); profiles set theirs in `tlc:`


def tlc_model(model, factor: float | None = None, train_size: int | None = None, *, profile: str | None = None):
    """``to_tlc(model, train_size=(1, C, T, T), factor)``; T and the factor, unless given, from
    :func:`tlc_options` of ``profile`` for the model's track (``model.track``, else the one track whose
    options configure TLC). The original model is left unchanged."""
    from ..models.tlc import to_tlc

    if factor is None or train_size is None:
        configured = tlc_options(profile, getattr(model, "track", None))
        factor = configured["factor"] if factor is None else factor
        train_size = configured["train_size"] if train_size is None else train_size
    size = int(train_size)
    channels = int(getattr(model, "img_channel", 3))
    converted = to_tlc(model, train_size=(1, channels, size, size), factor=factor)
    converted.checkpoint_path = getattr(model, "checkpoint_path", None)
    converted.track = getattr(model, "track", None)
    converted.tlc = {"factor": float(factor), "train_size": size}
    return converted
