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

``haar_dwt`` / ``haar_idwt`` compute the same numbers as the formulas below (tests/test_wavelet.py), but
as one stride-2 convolution (and one stride-2 transposed convolution) with the fixed 2 x 2 Haar filters
over every channel folded into the batch: on the CPU the strided slices of the formulas and their
gradients are several times slower in a training step (lab/bench/results/sdwnet_step_profile.json).

Height and width must be even (the reference has no padding of its own); an odd side raises a
ValueError, as does an input that is not 4-D. All functions work under ``paddle.jit.to_static``
with dynamic batch, height and width (static channels).
"""

from __future__ import annotations

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

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


def _haar_filters():
    """The four 2 x 2 Haar filters (LL, HL, LH, HH over a b / c d), 4 x 1 x 2 x 2, as the formulas above."""
    return (
        paddle.to_tensor(
            [[[[1, 1], [1, 1]]], [[[-1, 1], [-1, 1]]], [[[-1, -1], [1, 1]]], [[[1, -1], [-1, 1]]]], dtype="float32"
        )
        / 2
    )


def haar_dwt(x):
    """Haar DWT in the reference's layout: N x C x H x W -> 4N x C x H/2 x W/2 (LL, HL, LH, HH).

    The channels are folded into the batch (NC x 1 x H x W) and one stride-2 convolution with the four Haar
    filters gives NC x 4 x H/2 x W/2; the band axis is then moved first. Equal to
    ``concat(haar_dwt_bands(x))``; reshapes keep H and W dynamic for jit (0 copies an axis)."""
    _check_image(x, "haar_dwt")
    c = x.shape[1]
    bands = F.conv2d(x.reshape([-1, 1, 0, 0]), _haar_filters().astype(x.dtype), stride=2)
    return bands.transpose([1, 0, 2, 3]).reshape([-1, c, 0, 0])


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
    # The transpose of haar_dwt (the Haar filters are orthonormal): 4 x NC x h x w -> NC x 4 x h x w, one
    # stride-2 transposed convolution back to NC x 1 x 2h x 2w. Equal to haar_idwt_bands on the four blocks.
    c = shape[1]
    bands = x.reshape([4, -1, 0, 0]).transpose([1, 0, 2, 3])
    return F.conv2d_transpose(bands, _haar_filters().astype(x.dtype), stride=2).reshape([-1, c, 0, 0])


class DWT(nn.Layer):
    """Layer form of ``haar_dwt`` (no parameters)."""

    def forward(self, x):
        return haar_dwt(x)


class IDWT(nn.Layer):
    """Layer form of ``haar_idwt`` (no parameters)."""

    def forward(self, x):
        return haar_idwt(x)
