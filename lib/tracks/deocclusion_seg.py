"""Track ``deocclusion_seg``: the de-occlusion seed's segmenter (DeepLabV3), defined with its
inpainting track in :mod:`lib.tracks.deocclusion` (one data set, one options file)."""
from .deocclusion import SEG_TRACK as TRACK

__all__ = ["TRACK"]
