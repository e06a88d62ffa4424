"""Pieces the course's networks share: convolutions initialised as the PyTorch reference code
initialises them, NAFNet's channel LayerNorm, and the parameter count.

Why the PyTorch initialisation: every reference implementation the course ports trains from
PyTorch's default ``Conv2d`` init, weight and bias ~ U(-b, b) with b = 1 / sqrt(fan_in) and
fan_in = in_channels / groups * k * k. Paddle's default (weight ~ Normal(0, sqrt(2 / fan_in)),
bias 0) compounds through a deep residual network: a fresh net's output would sit far from its
global residual instead of near it, and the first training steps would be spent undoing that.
"""

from __future__ import annotations

import math

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from lib.models.channel_ops import Conv2D, add_channel_bias

__all__ = ["torch_uniform", "torch_conv2d", "TransposedFormConv2D", "LayerNorm2d", "count_parameters"]


def torch_uniform(fan_in: int) -> nn.initializer.Uniform:
    """PyTorch's default initialiser of a conv weight and bias: U(-b, b), b = 1 / sqrt(fan_in)."""
    bound = 1.0 / math.sqrt(fan_in)
    return nn.initializer.Uniform(-bound, bound)


def torch_conv2d(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    groups: int = 1,
    bias: bool = True,
    padding_mode: str = "zeros",
    zero_init: bool = False,
    transposed_form: bool = False,
) -> nn.Conv2D:
    """A Conv2D (lib.models.channel_ops) with PyTorch's default initialisation, weight and bias
    ~ :func:`torch_uniform` (``zero_init``: both 0). ``padding_mode`` applies only where there is
    padding: with none, no separate pad op is run. ``transposed_form``: a :class:`TransposedFormConv2D`
    (the same convolution, trained faster where it has far fewer output than input channels)."""
    fan_in = in_channels // groups * kernel_size * kernel_size

    def param_attr():  # a fresh one per parameter
        init = nn.initializer.Constant(0.0) if zero_init else torch_uniform(fan_in)
        return paddle.ParamAttr(initializer=init)

    return (TransposedFormConv2D if transposed_form else Conv2D)(
        in_channels,
        out_channels,
        kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode if padding else "zeros",
        weight_attr=param_attr(),
        bias_attr=param_attr() if bias else False,
    )


class TransposedFormConv2D(Conv2D):
    """A stride-1, ungrouped Conv2D (same arguments, parameters and names) that dygraph computes as the
    transposed convolution of its kernel flipped and with in/out swapped: the same sums, but Paddle's CPU
    kernels then unfold (im2col / col2im) the few output channels instead of the many input channels. For a
    conv with far fewer outputs than inputs (SDWNet's 7d -> 8 heads) forward and backward cost far less
    (lab/bench/results/sdwnet_step_profile.json); with as many outputs as inputs it is slower. Traced for
    export it is the plain convolution (tests/test_sdwnet.py checks both against ``F.conv2d``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self._stride != [1, 1] or self._groups != 1 or not isinstance(self._padding, int):
            raise ValueError(
                "TransposedFormConv2D: stride 1, groups 1 and one integer padding only, got "
                f"stride {self._stride}, groups {self._groups}, padding {self._padding}"
            )

    def forward(self, x):
        if not paddle.in_dynamic_mode():
            return super().forward(x)
        padding = self._padding
        if self._padding_mode != "zeros":
            x = F.pad(x, self._reversed_padding_repeated_twice, mode=self._padding_mode, data_format=self._data_format)
            padding = 0
        # conv2d(x, w, p)[o, i] = sum_c,u x[c, i - p + d u] w[o, c, u]; conv2d_transpose(x, v, q)[o, i] =
        # sum_c,u x[c, i + q - d u] v[c, o, u]: equal with v[c, o, u] = w[o, c, k - 1 - u], q = d (k - 1) - p.
        k, d = self._kernel_size, self._dilation
        flipped = self.weight.transpose([1, 0, 2, 3]).flip([2, 3])
        out = F.conv2d_transpose(
            x,
            flipped,
            padding=[d[0] * (k[0] - 1) - padding, d[1] * (k[1] - 1) - padding],
            dilation=d,
            data_format=self._data_format,
        )
        return out if self.bias is None else add_channel_bias(out, self.bias)


class LayerNorm2d(nn.Layer):
    """LayerNorm over the channel axis of an NCHW map (each pixel normalised on its own), eps 1e-6.

    ``y = (x - mean_c(x)) / sqrt(var_c(x) + eps) * weight + bias``, population variance. Computed
    with Paddle's fused ``layer_norm`` on an NHWC view, faster on CPU than the formula written out
    with tensor ops (tests/test_nafnet.py checks it against the formula in NumPy).
    """

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.weight = self.create_parameter([channels], default_initializer=nn.initializer.Constant(1.0))
        self.bias = self.create_parameter([channels], default_initializer=nn.initializer.Constant(0.0))
        self.channels = channels
        self.eps = eps

    def forward(self, x):
        y = F.layer_norm(
            x.transpose([0, 2, 3, 1]), [self.channels], weight=self.weight, bias=self.bias, epsilon=self.eps
        )
        return y.transpose([0, 3, 1, 2])


def count_parameters(model: nn.Layer, trainable_only: bool = False) -> int:
    """Number of parameters (all, or only those with ``stop_gradient=False``).

    Reads shapes only, so it also works on a model built under ``paddle.LazyGuard()`` (no weights
    allocated, so even the largest configurations are counted at once).
    """
    return int(sum(math.prod(p.shape) for p in model.parameters() if not (trainable_only and p.stop_gradient)))
