"""Names of DeepFillv2's (lib.models.deepfillv2) parameters and buffers in a state dict of the
reference PyTorch implementation (zhaoyuzhi/deepfillv2), for converting its checkpoints.

Every name is the same in both but those of a spectrally normalised conv: the reference wraps the
conv (``<conv>.module.weight_bar`` / ``weight_u`` / ``weight_v``), Paddle's hook keeps them on the
conv (``<conv>.weight_orig`` / ``weight_u`` / ``weight_v``). Conv weights are [out, in, kh, kw] in
both frameworks, so a converter looks each Paddle key ``k`` up as ``reference_key(k)`` in the
reference's state dict and takes the tensor as it is.
"""

from __future__ import annotations

__all__ = ["reference_key"]

_SPECTRAL_NORM_SUFFIXES = (
    (".weight_orig", ".module.weight_bar"),
    (".weight_u", ".module.weight_u"),
    (".weight_v", ".module.weight_v"),
)


def reference_key(paddle_key: str) -> str:
    """Name of a Paddle parameter / buffer in a reference PyTorch state dict: spectral norm stores
    ``<conv>.module.weight_bar`` / ``weight_u`` / ``weight_v`` / ``bias`` there, ``<conv>.weight_orig``
    / ``weight_u`` / ``weight_v`` / ``bias`` here; every other name is identical."""
    for suffix, ref in _SPECTRAL_NORM_SUFFIXES:
        if paddle_key.endswith(suffix):
            return paddle_key[: -len(suffix)] + ref
    return paddle_key
