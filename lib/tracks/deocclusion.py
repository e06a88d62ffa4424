"""Track ``deocclusion``: document de-occlusion (5th A board / 7th B board, Baidu Netdisk "document
image de-occlusion"): DeepLabV3 (PaddleSeg) segments what covers the page on the photo shrunk to
1/6, DeepFillv2 (gated convolutions, coarse + refine, SN-PatchGAN) repairs a local crop around each
covered area shrunk by r = 6, and only the masked pixels are pasted back.

Data: :mod:`lib.data.deocclusion` (rendered pages photographed with procedural occluders,
:mod:`lib.data.occluders`), in the competition's layout ``<split>/gt/``, ``<split>/{hand,head}/``
and ``annotation.txt``.
"""
from __future__ import annotations

from pathlib import Path

from .base import Track


class DeocclusionTrack(Track):
    name = "deocclusion"
    title = "Document de-occlusion: DeepLabV3 masks at 1/6 scale, DeepFillv2 repairs local crops"
    model_name = "deepfillv2"
    notebooks = ()                     # notebook 09 is not written yet
    modules = ("lib.tracks.deocclusion", "lib.data.deocclusion", "lib.data.occluders", "lib.deocclusion",
               "lib.models.deepfillv2", "lib.models.deeplab")
    sections = ("data",)

    def generate_data(self, profile=None, out=None, *, seed=0, force=False, workers=None) -> Path:
        from ..data.deocclusion import ensure_dataset

        return ensure_dataset(profile, out, seed=seed, force=force, workers=workers)

    def check_data(self, root) -> list[str]:
        from ..data.deocclusion import check_root

        return check_root(root)


TRACK = DeocclusionTrack()
