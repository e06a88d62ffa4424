"""Layer swaps that make a trained model exportable with dynamic shapes and faithful in ONNX.

* TLC's local pooling (lib.models.tlc) decides with Python ``if``/``min`` on the feature-map size,
  which is unknown (-1) when tracing a dynamic shape, so it does not trace. Here each
  ``LocalAvgPool2d`` is swapped for :class:`ExportableLocalAvgPool2d`, the same clipped,
  edge-replicated box mean written with tensor ops only (per axis: a cumulative sum, then two
  gathers at clamped window starts), numerically equal to ``local_avg_pool``. Exported, TLC
  adds 0-20 % to the demo model's time on a test page with ONNX Runtime (lab/bench/README.md).
* paddle2onnx 2.1.0 exported ``nn.LeakyReLU`` as a ReLU in some graphs: each becomes an
  :class:`ExportableLeakyReLU`.

Each has a test in tests/test_export.py.
"""

from __future__ import annotations

import copy

import paddle
import paddle.nn as nn

from ..models.tlc import LocalAvgPool2d


def _box_mean_axis(x, kernel: int, axis: int):
    """Window sums along ``axis`` (2 or 3) with windows clipped to the axis and placed as in
    lib.models.tlc.local_avg_pool: output i sums ``[s, s + k)`` with ``k = min(n, kernel)`` and
    ``s = clip(i - (k - 1) // 2, 0, n - k)``. Returns (sums, k as a tensor)."""
    cumulative = x.cumsum(axis=axis)
    zero = paddle.zeros_like(paddle.slice(cumulative, [axis], [0], [1]))
    padded = paddle.concat([zero, cumulative], axis=axis)  # s[j] = sum of the first j values
    n = paddle.shape(x)[axis]
    k = paddle.minimum(n, paddle.full_like(n, kernel))
    i = paddle.arange(0, n, dtype=n.dtype)
    # maximum/minimum, not clip: clip on int64 tensors gave wrong results in Paddle Inference.
    start = paddle.minimum(paddle.maximum(i - (k - 1) // 2, paddle.zeros_like(i)), n - k)
    return paddle.gather(padded, start + k, axis=axis) - paddle.gather(padded, start, axis=axis), k


class ExportableLocalAvgPool2d(nn.Layer):
    """TLC's local mean with a fixed window, traceable with dynamic H and W (see module doc).

    Equal to ``local_avg_pool(x, kernel_size)`` (broadcast to x's shape when that returns the
    global mean): a window covering the map clips to the whole map, i.e. global pooling."""

    def __init__(self, kernel_size):
        super().__init__()
        self.kernel_size = (int(kernel_size[0]), int(kernel_size[1]))

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}"

    def forward(self, x):
        rows, kh = _box_mean_axis(x, self.kernel_size[0], axis=2)
        # The width axis through a transpose: ONNX Runtime gathers whole rows along axis 2 but
        # single values along axis 3, which made the pooling slower (lab/bench/README.md).
        sums, kw = _box_mean_axis(rows.transpose([0, 1, 3, 2]), self.kernel_size[1], axis=2)
        return sums.transpose([0, 1, 3, 2]) / (kh * kw).astype(x.dtype)


class ExportableLeakyReLU(nn.Layer):
    """``max(x, slope * x)``: LeakyReLU for 0 <= slope <= 1, written so paddle2onnx keeps the slope.
    paddle2onnx 2.1.0 exported a conv + ``nn.LeakyReLU(0.2)`` as an ONNX LeakyRelu with ``alpha = 0``
    (a ReLU) in some graphs (the DeepFillv2 generator's ONNX output then differed from dygraph; the
    MIRNetV2 export did not), so every LeakyReLU is written out (tests/test_export.py)."""

    def __init__(self, slope: float):
        super().__init__()
        if not 0.0 <= slope <= 1.0:
            raise ValueError(f"ExportableLeakyReLU needs a slope in [0, 1], got {slope}")
        self.slope = float(slope)

    def forward(self, x):
        return paddle.maximum(x, x * self.slope)


def exportable(model: nn.Layer) -> nn.Layer:
    """A copy of ``model`` in eval mode that ``paddle.jit.save`` can trace with dynamic shapes and
    paddle2onnx converts faithfully: each TLC ``LocalAvgPool2d`` (windows already fixed by
    ``to_tlc``) becomes an :class:`ExportableLocalAvgPool2d`, each ``nn.LeakyReLU`` an
    :class:`ExportableLeakyReLU`."""
    clone = copy.deepcopy(model)

    def swap(layer):
        for name, child in layer.named_children():
            if isinstance(child, LocalAvgPool2d):
                if child.kernel_size is None:
                    raise ValueError(f"TLC layer {name!r} has no window yet: convert with lib.models.tlc.to_tlc")
                setattr(layer, name, ExportableLocalAvgPool2d(child.kernel_size))
            elif isinstance(child, nn.LeakyReLU):
                setattr(layer, name, ExportableLeakyReLU(child._negative_slope))
            else:
                swap(child)

    swap(clone)
    clone.eval()
    return clone
