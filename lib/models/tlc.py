"""TLC: Test-time Local Converter ("Improving Image Restoration by Revisiting Global Information
Aggregation", Chu, Chen, Chen, Lu, ECCV 2022), for inference.

A model trained on 256 x 256 patches learns its global statistics (here: the global average pool
of every SCA) over 256 x 256 regions. At test time on a 2K image the same pooling averages over
the whole image, a distribution it never saw in training. TLC replaces each global pooling by a
*local* average over a window of ``factor`` x the size that layer's feature map had at the
training patch size, so the statistics at test time match training again.

As in the reference (megvii-research/NAFNet, ``local_arch.py``), the window of each layer is fixed
by one forward pass at the training size, the local mean is a stride-1 box mean computed from an
integral image (two cumsums), the valid-size result is edge-replicated back to the input size,
and a window covering the whole map falls back to global pooling. In training mode the pool stays
global, so training is unchanged.
"""

from __future__ import annotations

import copy
from typing import Sequence

import paddle
import paddle.nn as nn
import paddle.nn.functional as F


def local_avg_pool(x, kernel_size: Sequence[int]):
    """Stride-1 box mean of an N x C x H x W tensor over ``kernel_size`` = (kh, kw), same size out.

    Windows are clipped to the map (``min(H, kh)``, ``min(W, kw)``); the ``(H - kh + 1) x (W - kw + 1)``
    valid means are edge-replicated (centred) back to H x W. If the window covers the whole map
    this equals global average pooling (returned as N x C x 1 x 1, which broadcasts the same way).
    """
    if len(x.shape) != 4:
        raise ValueError(f"local_avg_pool expects an N x C x H x W tensor, got shape {list(x.shape)}")
    kh, kw = int(kernel_size[0]), int(kernel_size[1])
    if kh < 1 or kw < 1:
        raise ValueError(f"local_avg_pool: kernel_size must be positive, got {kernel_size}")
    h, w = x.shape[2], x.shape[3]
    if kh >= h and kw >= w:
        return F.adaptive_avg_pool2d(x, 1)
    k1, k2 = min(h, kh), min(w, kw)
    # Integral image with a zero first row/column: window sum = s[i+k1, j+k2] - s[i, j+k2] - s[i+k1, j] + s[i, j].
    s = x.cumsum(axis=-1).cumsum(axis=-2)
    s = F.pad(s, [1, 0, 1, 0], data_format="NCHW")
    s1, s2 = s[:, :, :-k1, :-k2], s[:, :, :-k1, k2:]
    s3, s4 = s[:, :, k1:, :-k2], s[:, :, k1:, k2:]
    out = (s4 + s1 - s2 - s3) / (k1 * k2)
    _h, _w = out.shape[2], out.shape[3]
    pad = [(w - _w) // 2, (w - _w + 1) // 2, (h - _h) // 2, (h - _h + 1) // 2]
    if any(pad):
        out = F.pad(out, pad, mode="replicate", data_format="NCHW")
    return out


class LocalAvgPool2d(nn.Layer):
    """Drop-in replacement of ``AdaptiveAvgPool2D(1)``: a local mean at test time, global in training.

    ``base_size`` is the window at the training size (``factor`` x train H, W). The window of this
    layer is set on its first forward, which ``to_tlc`` runs at the training size:
    ``kernel = feature_size * base_size // train_size`` (the reference's integer arithmetic).
    """

    def __init__(self, base_size: Sequence[int], train_size: Sequence[int]):
        super().__init__()
        self.base_size = (int(base_size[0]), int(base_size[1]))
        self.train_size = tuple(int(s) for s in train_size)
        self.kernel_size = None

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, base_size={self.base_size}"

    def forward(self, x):
        if self.kernel_size is None:
            self.kernel_size = (
                x.shape[2] * self.base_size[0] // self.train_size[-2],
                x.shape[3] * self.base_size[1] // self.train_size[-1],
            )
        if self.training:
            return F.adaptive_avg_pool2d(x, 1)
        return local_avg_pool(x, self.kernel_size)


def _replace_global_pools(layer: nn.Layer, base_size, train_size) -> int:
    """Swap every ``AdaptiveAvgPool2D`` with output size 1 below ``layer``; returns how many."""
    replaced = 0
    for name, child in layer.named_children():
        if isinstance(child, nn.AdaptiveAvgPool2D):
            output_size = child._output_size
            if output_size not in (1, [1, 1], (1, 1)):
                raise ValueError(f"TLC converts global pooling only; layer {name!r} pools to {output_size}")
            setattr(layer, name, LocalAvgPool2d(base_size, train_size))
            replaced += 1
        else:
            replaced += _replace_global_pools(child, base_size, train_size)
    return replaced


def to_tlc(
    model: nn.Layer, train_size: Sequence[int] = (1, 3, 256, 256), factor: float = 1.5, inplace: bool = False
) -> nn.Layer:
    """Return ``model`` with every global average pooling turned into TLC's local pooling.

    Args:
        model: a trained model (e.g. lib.models.nafnet.NAFNet); copied unless ``inplace``.
        train_size: N, C, H, W of the training patches (NAFNet reference: 256; the winner: 256).
        factor: window / training size. The TLC paper uses 1.5; the 1st-place solution used 2.5.

    The returned model is in eval mode. Its windows were fixed by one forward on a random
    ``train_size`` input, as in the reference.
    """
    if len(train_size) != 4:
        raise ValueError(f"to_tlc: train_size must be (N, C, H, W), got {tuple(train_size)}")
    if factor <= 0:
        raise ValueError(f"to_tlc: factor must be positive, got {factor}")
    converted = model if inplace else copy.deepcopy(model)
    _, _, H, W = (int(s) for s in train_size)
    base_size = (int(H * factor), int(W * factor))
    if _replace_global_pools(converted, base_size, train_size) == 0:
        raise ValueError(f"to_tlc: {type(model).__name__} has no AdaptiveAvgPool2D(1) to convert")
    converted.eval()
    with paddle.no_grad():
        converted(paddle.rand([int(s) for s in train_size]))
    return converted


def tlc_kernel_sizes(model: nn.Layer) -> list:
    """The windows of a converted model's local pools, in layer order (None if not fixed yet)."""
    return [m.kernel_size for m in model.sublayers() if isinstance(m, LocalAvgPool2d)]
