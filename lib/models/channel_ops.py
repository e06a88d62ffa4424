"""Per-channel adds and products (conv biases, per-channel weights): the same sums as NCHW broadcasting, faster on CPU.

Paddle's CPU kernels broadcast a per-channel vector over the middle axes of an NCHW map slowly:
adding a conv bias could take longer than the 1x1 convolution itself, and a demo NAFNet training
step spent much of its time there (lab/bench/README.md, "the per-channel fix", has the measurements).
Biases are therefore added over an (N, C, H*W) view, and a per-channel parameter shared by the
batch is expanded to the batch first (the modes below; lab/bench/bench_channel_ops.py). The arithmetic
is unchanged, so every network of the course uses these for its conv biases and per-channel weights.
"""

from __future__ import annotations

import contextlib

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

__all__ = [
    "CHANNEL_OPS_MODES",
    "channel_ops_mode",
    "broadcast_channel_ops",
    "add_channel_bias",
    "add_channels",
    "scale_channels",
    "Conv2D",
]

# How the ops below compute (the same numbers in every mode; tests/test_channel_ops.py):
#   "broadcast": plain NCHW broadcasting, the slow path (for the benches and the tests);
#   "view":      every per-channel add and product over an (N, C, H*W) view (the first fix, 2026-11-22);
#   "expand":    the default. Conv biases over the view; a per-channel *parameter* shared by the batch
#                (NAFNet's beta and gamma) expanded to N x C x 1 x 1 first, so the product's backward reduces
#                each sample over its pixels and only the expand's backward sums over the batch (faster than
#                either of the others); per-sample weights (SCA, selective-kernel fusion, context vectors)
#                broadcast plainly, which ran faster than over the view.
CHANNEL_OPS_MODES = ("broadcast", "view", "expand")
_MODE = "expand"


@contextlib.contextmanager
def channel_ops_mode(mode: str):
    """Within the block, the functions here compute the way ``mode`` (one of :data:`CHANNEL_OPS_MODES`) says."""
    global _MODE
    if mode not in CHANNEL_OPS_MODES:
        raise ValueError(f"channel_ops_mode: unknown mode {mode!r}; known: {', '.join(CHANNEL_OPS_MODES)}")
    before, _MODE = _MODE, mode
    try:
        yield
    finally:
        _MODE = before


def broadcast_channel_ops(plain: bool = True):
    """Plain NCHW broadcasting within the block (``plain=False``: the default mode), to compare the two."""
    return channel_ops_mode("broadcast" if plain else "expand")


def _flat(x):
    """``x`` with its last two (spatial) axes merged; static-shape friendly for ``paddle.jit``."""
    return x.reshape([0] * (x.ndim - 2) + [-1])


def _per_channel(t) -> bool:
    return t.shape[-1] == 1 and t.shape[-2] == 1


def add_channel_bias(x, bias):
    """``x + bias[None, :, None, None]`` for an N x C x H x W ``x`` and a 1-D ``bias`` of C."""
    if _MODE == "broadcast":
        return x + bias.reshape([1, -1, 1, 1])
    return (_flat(x) + bias.reshape([-1, 1])).reshape(paddle.shape(x))


def add_channels(x, term):
    """``x + term`` for a per-channel ``term`` of shape (1 or N) x C x 1 x 1 (e.g. a global context vector)."""
    if _MODE == "view" and _per_channel(term):
        return (_flat(x) + _flat(term)).reshape(paddle.shape(x))
    return x + term


def scale_channels(x, scale):
    """``x * scale`` for a per-channel ``scale`` whose last two axes are 1 (1 or N x C x 1 x 1, or
    N x streams x C x 1 x 1 for selective-kernel fusion); any other shape (TLC's local SCA weights
    are N x C x H x W) multiplies as is."""
    if _MODE == "broadcast" or not _per_channel(scale):
        return x * scale
    if _MODE == "view":
        return (_flat(x) * _flat(scale)).reshape(paddle.shape(x))
    if scale.shape[0] == 1 and x.shape[0] != 1:  # a parameter shared by the batch
        return x * scale.expand([x.shape[0]] + [-1] * (scale.ndim - 1))
    return x * scale


class Conv2D(nn.Conv2D):
    """``paddle.nn.Conv2D`` (same arguments, parameters and names) whose bias is added by
    :func:`add_channel_bias`. A padding mode other than zeros pads first, as Paddle's layer does."""

    def forward(self, x):
        padding = self._padding
        if self._padding_mode != "zeros":
            x = F.pad(x, self._reversed_padding_repeated_twice, mode=self._padding_mode, data_format=self._data_format)
            padding = 0
        out = F.conv2d(
            x,
            self.weight,
            None,
            stride=self._stride,
            padding=padding,
            dilation=self._dilation,
            groups=self._groups,
            data_format=self._data_format,
        )
        return out if self.bias is None else add_channel_bias(out, self.bias)
