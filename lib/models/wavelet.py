"""One-level 2-D Haar wavelet transform (DWT) and its inverse (IDWT) in Paddle, no learnable weights.

Written after the transform used by SDWNet's wavelet branch (FlyEgle/SDWNet,
``model/NTIRE2021_Deblur/uniA_ELU/model_stage1_dual_branch_tail.py``, ``dwt_init`` / ``iwt_init``),
with the same sub-band order and scaling. For each 2x2 block of the input

    a = x[2i, 2j]      b = x[2i, 2j+1]
    c = x[2i+1, 2j]    d = x[2i+1, 2j+1]

the four half-size sub-bands are, in the reference's order:

    LL = ( a + b + c + d) / 2
    HL = (-a + b - c + d) / 2      right column minus left column
    LH = (-a - b + c + d) / 2      bottom row minus top row
    HH = ( a - b - c + d) / 2

This is the orthonormal Haar transform (1/2 = 1/sqrt(2) per axis, so the energy is kept), and in
terms of PyWavelets' ``cA, (cH, cV, cD) = pywt.dwt2(x, "haar")`` (tests/test_wavelet.py asserts it):

    LL = cA     HL = -cV     LH = -cH     HH = cD

i.e. same scale, but the two single-direction details have the opposite sign (pywt's Haar
high-pass is (first - second) / sqrt(2), the reference takes second - first).

The reference stacks the four sub-bands along the *batch* axis (N x C x H x W -> 4N x C x H/2 x
W/2, order LL, HL, LH, HH) so that one set of convolutions processes every sub-band with the same
weights; ``haar_dwt`` / ``haar_idwt`` (and the ``DWT`` / ``IDWT`` layers) keep that layout.
``haar_dwt_bands`` / ``haar_idwt_bands`` work on the four sub-bands as separate tensors.

Height and width must be even (the reference has no padding of its own); an odd side raises a
ValueError, as does an input that is not 4-D. All functions work under ``paddle.jit.to_static``
with dynamic batch, height and width (they use slicing, stack, flatten, concat and split only).
"""

from __future__ import annotations

import paddle
import paddle.nn as nn

SUBBANDS = ("LL", "HL", "LH", "HH")


def _check_image(x, what: str) -> None:
    shape = list(x.shape)
    if len(shape) != 4:
        raise ValueError(f"{what} expects an N x C x H x W tensor, got shape {shape} ({len(shape)}-D)")
    # H and W are tensors when traced with a dynamic size: checked in dygraph only.
    if not paddle.in_dynamic_mode():
        return
    odd = [name for name, n in (("height", shape[2]), ("width", shape[3])) if n % 2 != 0]
    if odd:
        raise ValueError(
            f"{what}: the Haar DWT halves each side, so {' and '.join(odd)} must be even; "
            f"got shape {shape} (pad the image first)"
        )


def haar_dwt_bands(x):
    """The four sub-bands (LL, HL, LH, HH) of a one-level Haar DWT, each N x C x H/2 x W/2."""
    _check_image(x, "haar_dwt")
    # Halve first, as the reference does, so the sums below are already scaled by 1/2.
    top = x[:, :, 0::2, :] / 2
    bottom = x[:, :, 1::2, :] / 2
    a, b = top[:, :, :, 0::2], top[:, :, :, 1::2]
    c, d = bottom[:, :, :, 0::2], bottom[:, :, :, 1::2]
    ll = a + b + c + d
    hl = -a + b - c + d
    lh = -a - b + c + d
    hh = a - b - c + d
    return ll, hl, lh, hh


def haar_idwt_bands(ll, hl, lh, hh):
    """Inverse of ``haar_dwt_bands``: four N x C x h x w sub-bands -> N x C x 2h x 2w."""
    for band in (ll, hl, lh, hh):
        if len(band.shape) != 4:
            raise ValueError(f"haar_idwt expects N x C x H x W sub-bands, got shape {list(band.shape)}")
    ll, hl, lh, hh = ll / 2, hl / 2, lh / 2, hh / 2
    a = ll - hl - lh + hh
    b = ll + hl - lh - hh
    c = ll - hl + lh - hh
    d = ll + hl + lh + hh
    # Interleave columns (a b / c d), then rows: stack + flatten keeps every size dynamic for jit.
    top = paddle.stack([a, b], axis=-1).flatten(start_axis=3, stop_axis=4)  # N, C, h, 2w
    bottom = paddle.stack([c, d], axis=-1).flatten(start_axis=3, stop_axis=4)
    return paddle.stack([top, bottom], axis=3).flatten(start_axis=2, stop_axis=3)  # N, C, 2h, 2w


def haar_dwt(x):
    """Haar DWT in the reference's layout: N x C x H x W -> 4N x C x H/2 x W/2 (LL, HL, LH, HH)."""
    return paddle.concat(haar_dwt_bands(x), axis=0)


def haar_idwt(x):
    """Inverse of ``haar_dwt``: 4N x C x h x w (LL, HL, LH, HH stacked on the batch) -> N x C x 2h x 2w."""
    shape = list(x.shape)
    if len(shape) != 4:
        raise ValueError(f"haar_idwt expects a 4N x C x H x W tensor, got shape {shape} ({len(shape)}-D)")
    if paddle.in_dynamic_mode() and shape[0] % 4 != 0:
        raise ValueError(
            f"haar_idwt: the batch holds the 4 sub-bands of each image, so it must be a "
            f"multiple of 4; got shape {shape}"
        )
    # Slices rather than paddle.split: paddle2onnx cannot convert a split of a dynamic axis.
    n = shape[0] // 4 if paddle.in_dynamic_mode() else paddle.shape(x)[0] // 4
    return haar_idwt_bands(*(x[i * n : (i + 1) * n] for i in range(4)))


class DWT(nn.Layer):
    """Layer form of ``haar_dwt`` (no parameters)."""

    def forward(self, x):
        return haar_dwt(x)


class IDWT(nn.Layer):
    """Layer form of ``haar_idwt`` (no parameters)."""

    def forward(self, x):
        return haar_idwt(x)
