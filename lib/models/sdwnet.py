"""SDWNet: "A Straight Dilated Network with Wavelet Transformation for Image Deblurring" (Zou, Jiang,
Zhang, Chen, Lu, Wu; ICCV 2021 workshops) in Paddle.

Structure, layer order and parameter names follow the authors' code (FlyEgle/SDWNet, class
``AtrousNet_SRCNN_tail`` in ``model/NTIRE2021_Deblur/uniA_ELU/model_stage1_dual_branch_tail.py``,
with ``AtrousBlockPad2`` and ``Conv2D_ReflectPad`` from its ``layerlib_stage1``), so a reference
state dict maps one-to-one: ``downsampling_layers.0.conv.weight``, ``SRCNN.conv1.weight`` /
``.bias``, ``blocks.0.projection.conv.weight``, ``blocks.3.atrous_layers.2.conv.weight``,
``blocks.3.conv1.conv.weight``, ``output_layer.1.conv.weight`` (Paddle and PyTorch both store conv
weights as [out, in, kh, kw]).

A "straight" network: one downsampling, then a stack of dilated blocks at half resolution, with
no further pooling. With d = ``d_mult`` (the width) and ELU(1.0) after every conv but the last:

    x (N, 3, H, W)
    -> down0: 7x7 conv 3 -> d                      (full resolution)
    -> down1: 3x3 stride-2 conv d -> 2d            (half resolution)
    -> blocks: num_blocks dilated blocks, 4d channels (the first projects 2d -> 4d with a 1x1 conv)
    -> concat down1 (6d) -> bilinear x2 (align_corners=True) -> concat down0 (7d) -> ELU   = f
    spatial:  f -> 3x3 conv 7d -> d -> 3x3 conv d -> 3 (no activation)
    wavelet:  f -> Haar DWT -> [9x9 conv 7d -> 64, ReLU, 5x5 conv 64 -> 32, ReLU, 5x5 conv 32 -> 3]
              on each sub-band -> inverse DWT
    output = x + spatial + wavelet

Dilated block (``AtrousBlock``): four parallel 3x3 convs C -> C/2 with dilations [1, 2, 4, 8]
(the last block: [1, 3, 5, 7]), concatenated (2C), fused by a 3x3 conv 2C -> C, plus the block
input. Every conv of the main path pads by reflection and has no bias (the reference's
``ConvAftermath`` declares a bias and a scale but never creates them); only the wavelet branch's
three convs (the reference calls it ``SRCNN``) have biases and zero padding. Every conv starts from
PyTorch's default initialisation, as the reference trains from (:func:`lib.models.layers.torch_conv2d`).

What the wavelet branch sees: the same full-resolution 7d-channel features as the spatial head
(upsampled block output, the half-resolution stem and the full-resolution stem, after ELU). The
DWT turns them into four half-resolution sub-bands (LL, HL, LH, HH; lib.models.wavelet) that are
stacked on the batch axis, so the *same* three convs process each sub-band; the inverse DWT puts
the four 3-channel results back together at full resolution.

Parameter counts (measured with the reference code; tests/test_sdwnet.py asserts them): 16 blocks
of width 32, the paper's model (the repo's ``wavelet_wide_32_block_16`` configs), 10,748,803;
10 blocks of width 32, the class's default, 7,209,859. The wavelet branch's convs have fixed
widths (64, 32) in the reference: 1,214,915 of the parameters at width 32.

Course options (defaults = the reference): ``wavelet=False`` drops the branch (the paper's ablation),
``wavelet_widths`` sets its two hidden widths (a CPU-sized model). For deployment the upsampling is
written with gathers (:class:`BilinearUp2x`, equal to Paddle's bilinear op, which Paddle Inference's
oneDNN cannot run exported) and :class:`EdgePadded` edge-pads any input by ``min_size`` first.

Left out of the reference class: its unused ``max_global_stride`` / ``pad_to_fit_global_stride``
arguments, and the ``efficientattention`` / ``gcattention`` options (off in the paper's configs).
The activation is the reference's ELU. The reference trains on pixel values in [0, 255]
(``INPUT.RANGE: 255``); the network itself does not care about the range.

Added here: ``forward`` reflect-pads an odd height or width to even (the stride-2 conv and the
DWT need it) and crops back, and raises a ValueError for a wrong rank, channel count or an image
too small for the reflection padding of the dilated convs (a side must be at least
2 * max dilation + 1, 17 px for the default dilations). Every ``forward`` takes ``self`` first
(``paddle.jit.to_static`` needs it).
"""

from __future__ import annotations

from typing import Any, Sequence

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from lib.config import check_keys, named_or_given
from lib.models.layers import torch_conv2d
from lib.models.wavelet import haar_dwt, haar_idwt

# The paper's model, the reference class's default depth, and the course's CPU-sized model.
# Counts of the first two were measured with the reference code; tests/test_sdwnet.py asserts all.
# Few parameters but much compute: no pooling below half resolution (lab.complexity.conv_macs counts
# it); in "demo" the wavelet branch's fixed-width 9x9 conv is most of it.
SDWNET_CONFIGS: dict[str, dict[str, Any]] = {
    "paper": dict(num_blocks=16, d_mult=32),
    "blocks10": dict(num_blocks=10, d_mult=32),
    "demo": dict(num_blocks=6, d_mult=16),
}
SDWNET_PARAM_COUNTS = {
    "paper": 10_748_803,
    "blocks10": 7_209_859,
    "demo": 1_544_611,
}
SDWNET_OPTIONS = (
    "in_channels",
    "out_channels",
    "num_blocks",
    "d_mult",
    "atrousDim",
    "wavelet",
    "wavelet_widths",
    "zero_heads",
)
DEFAULT_WAVELET_WIDTHS = (64, 32)  # the reference SRCNN's fixed widths
DEFAULT_ATROUS_DIM = ((1, 2, 4, 8), (1, 3, 5, 7))


class ConvReflect(nn.Layer):
    """The reference's ``Conv2D_ReflectPad`` / ``AtrousConv2D_ReflectPad``: a bias-free conv with
    reflection padding, then ELU (or nothing). The conv is the sublayer ``conv``, as in the
    reference, so its weight is ``<name>.conv.weight``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int | None = None,
        dilation: int = 1,
        act: bool = True,
        transposed_form: bool = False,
        zero_init: bool = False,
    ):
        super().__init__()
        if padding is None:  # "same" for stride 1; the dilated convs pad by their dilation
            padding = dilation * (kernel_size // 2)
        self.conv = torch_conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            bias=False,
            padding_mode="reflect",
            transposed_form=transposed_form,
            zero_init=zero_init,
        )
        self.act = nn.ELU(alpha=1.0) if act else nn.Identity()

    def forward(self, x):
        return self.act(self.conv(x))


class AtrousBlock(nn.Layer):
    """The reference's ``AtrousBlockPad2``: four parallel dilated 3x3 convs (C -> C/2 each),
    concatenated to 2C, fused by a 3x3 conv back to C, plus the block's input.

    The first block of the network first projects its input (1x1 conv + ELU, 2d -> 4d); the
    residual is then taken around the projected input, as in the reference.
    """

    def __init__(self, in_channels: int, out_channels: int, dilations: Sequence[int], needs_projection: bool = False):
        super().__init__()
        if len(dilations) != 4:
            raise ValueError(f"an atrous block has 4 parallel convs, got dilations {list(dilations)}")
        if not needs_projection and in_channels != out_channels:
            raise ValueError(f"AtrousBlock {in_channels} -> {out_channels} channels needs the projection")
        self.needs_projection = needs_projection
        if needs_projection:
            self.projection = ConvReflect(in_channels, out_channels, kernel_size=1)
        self.atrous_layers = nn.LayerList(
            [ConvReflect(out_channels, out_channels // 2, kernel_size=3, dilation=d) for d in dilations]
        )
        self.conv1 = ConvReflect(out_channels * 2, out_channels, kernel_size=3)

    def forward(self, x):
        if self.needs_projection:
            x = self.projection(x)
        branches = [layer(x) for layer in self.atrous_layers]
        return x + self.conv1(paddle.concat(branches, axis=1))


class WaveletBranch(nn.Layer):
    """The reference's ``SRCNN``: Haar DWT, three convs shared by the four sub-bands, inverse DWT.

    9x9 conv in -> 64, ReLU, 5x5 conv 64 -> 32, ReLU, 5x5 conv 32 -> out (zero padding, biases).
    The sub-bands travel on the batch axis (4N), so the convs see each of them with the same weights.
    """

    def __init__(
        self,
        num_channels: int,
        out_channels: int,
        widths: Sequence[int] = DEFAULT_WAVELET_WIDTHS,
        zero_head: bool = False,
    ):
        super().__init__()
        if len(widths) != 2 or any(int(w) < 1 for w in widths):
            raise ValueError(f"WaveletBranch: widths must be two positive channel counts, got {list(widths)}")
        w1, w2 = (int(w) for w in widths)
        # 7d -> w1: computed in its transposed form in training (lib.models.layers.TransposedFormConv2D)
        self.conv1 = torch_conv2d(num_channels, w1, 9, padding=4, bias=True, transposed_form=True)
        self.conv2 = torch_conv2d(w1, w2, 5, padding=2, bias=True)
        self.conv3 = torch_conv2d(w2, out_channels, 5, padding=2, bias=True, zero_init=zero_head)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = haar_dwt(x)
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.conv3(x)
        return haar_idwt(x)


def _upsample2x_axis(x, axis: int):
    """Bilinear (align_corners=True) doubling of one axis with gathers: output position i reads
    ``i * (n - 1) / (2n - 1)`` of the input."""
    n = paddle.shape(x)[axis]
    pos = paddle.arange(0, 2 * n, dtype="float32") * (n - 1).astype("float32") / (2 * n - 1).astype("float32")
    i0 = paddle.floor(pos)
    frac = pos - i0
    i0 = i0.astype("int64")
    i1 = paddle.minimum(i0 + 1, (n - 1).astype("int64"))
    lo, hi = paddle.index_select(x, i0, axis=axis), paddle.index_select(x, i1, axis=axis)
    shape = [1, 1, 1, 1]
    shape[axis] = -1
    return lo + (hi - lo) * frac.reshape(shape)


def bilinear_up2x_gathers(x):
    """``F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)`` with gathers (export form)."""
    return _upsample2x_axis(_upsample2x_axis(x, 2), 3)


class BilinearUp2x(nn.Layer):
    """``nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)``. Traced for export it is written
    with gathers (:func:`bilinear_up2x_gathers`): Paddle Inference with oneDNN on the CPU cannot run the
    exported ``bilinear_interp`` op (its double-array ``scale`` attribute is unsupported there), the gathers
    export to plain Gather / Mul / Add. In dygraph (training) it is Paddle's op, whose backward is far
    cheaper than the gathers' (an index_select gradient is a scatter; lab/bench/results/sdwnet_step_profile.json).
    The two are equal (tests/tracks/sdwnet/test_sdwnet_track.py); no parameters, so state dicts are unchanged."""

    def forward(self, x):
        if paddle.in_dynamic_mode():
            return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
        return bilinear_up2x_gathers(x)


class SDWNet(nn.Layer):
    """SDWNet (reference class ``AtrousNet_SRCNN_tail``). Input N x in_channels x H x W; odd sides
    are reflect-padded inside and cropped back; each side must be >= 2 * max dilation + 1.

    Args (the reference's names):
        in_channels / out_channels: image channels (equal: the input is added to the output).
        num_blocks: dilated blocks at half resolution (16 in the paper, 10 by default).
        d_mult: the width d (32 in the paper); the blocks run at 4d channels.
        atrousDim: the dilations of every block but the last, and of the last block.
        wavelet: with the wavelet branch (the reference); False is the ablation without it
            (output = x + spatial), as in the paper's ablation table.
        wavelet_widths: the branch's two hidden widths, (64, 32) in the reference; smaller ones make
            a CPU-sized model whose compute is not dominated by the branch's 9x9 conv (course option).
        zero_heads: the last conv of both branches starts at zero, so the untrained network is the
            identity (course option, the reference initialises them like the rest). Notebook 06's short CPU
            run trains from it, without the wavelet branch, at lr 1e-3 (at 2e-3 it stayed at the identity):
            lab/tracks/sdwnet/learner_runs.json.
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        num_blocks: int = 10,
        d_mult: int = 32,
        atrousDim: Sequence[Sequence[int]] = DEFAULT_ATROUS_DIM,
        wavelet: bool = True,
        wavelet_widths: Sequence[int] = DEFAULT_WAVELET_WIDTHS,
        zero_heads: bool = False,
    ):
        super().__init__()
        if in_channels != out_channels:
            raise ValueError(
                f"SDWNet adds its input to its output: in_channels ({in_channels}) must "
                f"equal out_channels ({out_channels})"
            )
        if num_blocks < 1 or d_mult < 1 or in_channels < 1:
            raise ValueError(
                f"SDWNet: num_blocks ({num_blocks}), d_mult ({d_mult}) and in_channels ({in_channels}) must be positive"
            )
        if len(atrousDim) != 2 or any(len(dims) != 4 for dims in atrousDim):
            raise ValueError(f"SDWNet: atrousDim must be two lists of 4 dilations, got {atrousDim}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        d = d_mult

        self.downsampling_layers = nn.LayerList(
            [
                ConvReflect(in_channels, d, kernel_size=7),
                ConvReflect(d, 2 * d, kernel_size=3, stride=2, padding=1),
            ]
        )
        # Registered before the blocks, as in the reference (state-dict order).
        self.wavelet = bool(wavelet)
        if self.wavelet:
            self.SRCNN = WaveletBranch(7 * d, out_channels, wavelet_widths, zero_head=zero_heads)

        # First block projects 2d -> 4d; the last one (if there are two or more) uses atrousDim[1].
        blocks = []
        for i in range(num_blocks):
            dims = atrousDim[1] if (i == num_blocks - 1 and i > 0) else atrousDim[0]
            blocks.append(AtrousBlock(2 * d if i == 0 else 4 * d, 4 * d, dims, needs_projection=i == 0))
        self.blocks = nn.Sequential(*blocks)

        # The reference's upsampling_layers [Upsample, ELU], applied after concatenating the skips.
        self.upsampling_layers = nn.LayerList(
            [
                BilinearUp2x(),  # = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
                nn.ELU(alpha=1.0),
            ]
        )
        self.output_layer = nn.Sequential(
            ConvReflect(7 * d, d, kernel_size=3, transposed_form=True),  # 7d -> d, as the wavelet branch's conv1
            ConvReflect(d, out_channels, kernel_size=3, act=False, zero_init=zero_heads),
        )
        # Reflection pads by less than the size: the half-resolution side must exceed the largest
        # dilation used (the last block's dilations only exist with two or more blocks).
        used = list(atrousDim[0]) + (list(atrousDim[1]) if num_blocks > 1 else [])
        self.min_size = 2 * max(used) + 1

    def forward(self, x):
        self.check_input(x)
        h, w = x.shape[2], x.shape[3]
        inp = self.pad_to_even(x)

        down0 = self.downsampling_layers[0](inp)  # d, full resolution
        down1 = self.downsampling_layers[1](down0)  # 2d, half resolution
        net = self.blocks(down1)  # 4d, half resolution

        net = self.upsampling_layers[0](paddle.concat([net, down1], axis=1))  # 6d, full
        feats = self.upsampling_layers[1](paddle.concat([net, down0], axis=1))  # 7d, full

        out = inp + self.output_layer(feats)
        if self.wavelet:
            out = out + self.SRCNN(feats)
        return out[:, :, :h, :w]

    def check_input(self, x):
        """Raise a ValueError for a non-4D input, a wrong channel count, or a too small image."""
        shape = list(x.shape)
        if len(shape) != 4:
            raise ValueError(f"SDWNet expects an N x C x H x W tensor, got shape {shape} ({len(shape)}-D)")
        # -1 / None: a dynamic dimension under paddle.jit, checked at run time by the ops.
        if shape[1] not in (-1, None) and shape[1] != self.in_channels:
            raise ValueError(
                f"SDWNet was built for in_channels={self.in_channels}, got an input with "
                f"{shape[1]} channels (shape {shape})"
            )
        # H and W are tensors when traced with a dynamic size: checked in dygraph only.
        if paddle.in_dynamic_mode() and min(shape[2:]) < self.min_size:
            raise ValueError(
                f"SDWNet needs H and W of at least {self.min_size} (reflection padding of "
                f"its dilated convs at half resolution), got shape {shape}"
            )

    def pad_to_even(self, x):
        """Reflect-pad bottom/right by one row/column where a side is odd (stride 2 and the DWT)."""
        h, w = x.shape[2], x.shape[3]
        return F.pad(x, [0, w % 2, 0, h % 2], mode="reflect", data_format="NCHW")


class EdgePadded(nn.Layer):
    """``net`` run on its input edge-padded (replicate) by a fixed ``margin`` on every side, then
    cropped back: for deployment, where an image of any size (down to 1 x 1) must go through.
    SDWNet's own reflection padding needs each side to be at least ``min_size``; a fixed margin of
    ``min_size`` pixels keeps that true for every input and traces with a dynamic size (no Python
    decision on the shape). Pages are far larger than the margin: only the outermost pixels differ
    from the plain network's output."""

    def __init__(self, net: nn.Layer, margin: int | None = None):
        super().__init__()
        self.net = net
        self.margin = int(margin if margin is not None else getattr(net, "min_size", 17))

    def forward(self, x):
        m = self.margin
        h, w = x.shape[2], x.shape[3]
        out = self.net(F.pad(x, [m, m, m, m], mode="replicate", data_format="NCHW"))
        return out[:, :, m : m + h, m : m + w]


def sdwnet_from_config(config: str | dict[str, Any], **overrides) -> SDWNet:
    """Build an SDWNet from a named config (a key of SDWNET_CONFIGS) or an options dict.

    ``sdwnet_from_config("paper")`` is the paper's 16-block model; unknown keys in a dict raise a
    ConfigError (lib.config.check_keys).
    """
    options, where = named_or_given(config, SDWNET_CONFIGS, "SDWNet", overrides)
    check_keys(options, set(SDWNET_OPTIONS), where)
    return SDWNet(**options)
