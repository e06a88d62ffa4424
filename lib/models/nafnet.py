"""NAFNet: "Simple Baselines for Image Restoration" (Chen, Chu, Zhang, Sun, ECCV 2022) in Paddle.

One file, small named blocks, the same layer order and parameter names as the reference
implementation (megvii-research/NAFNet, ``basicsr/models/archs/NAFNet_arch.py``), so a reference
state dict maps one-to-one: identical keys (``intro.weight``, ``encoders.3.9.conv2.weight``,
``encoders.0.0.sca.1.bias``, ``ups.0.0.weight``, ``middle_blks.0.beta`` ...) and identical shapes
(Paddle and PyTorch both store conv weights as [out, in / groups, kh, kw]). Converting a PyTorch
checkpoint is therefore ``model.set_state_dict({k: v.numpy() for k, v in torch_sd.items()})``.

The network is a U-Net of NAFBlocks without nonlinear activations:

    intro 3x3 conv -> [encoder blocks -> 2x2 stride-2 conv (c -> 2c)] x levels -> middle blocks
    -> [1x1 conv (c -> 2c, no bias) + PixelShuffle(2) -> + skip -> decoder blocks] x levels
    -> ending 3x3 conv -> + input (global residual)

Every conv is initialised as the reference's PyTorch layers are (:func:`lib.models.layers.torch_conv2d`);
``LayerNorm2d`` and ``count_parameters`` come from lib.models.layers too and are importable from here.
Every ``forward`` takes ``self`` as its first argument because ``paddle.jit.to_static`` needs it.
"""

from __future__ import annotations

from typing import Any, Sequence

import paddle.nn as nn
import paddle.nn.functional as F

from lib.config import check_keys, named_or_given
from lib.models.channel_ops import Conv2D, scale_channels
from lib.models.layers import LayerNorm2d, count_parameters, torch_conv2d

__all__ = [
    "NAFNET_CONFIGS",
    "NAFNET_PARAM_COUNTS",
    "NAFNET_OPTIONS",
    "LayerNorm2d",
    "SimpleGate",
    "SimplifiedChannelAttention",
    "NAFBlock",
    "NAFNet",
    "count_parameters",
    "nafnet_from_config",
]

# Configurations of the paper's released models and of the 1st-place blurred-document solution,
# with their parameter counts (measured with the reference code; tests/test_nafnet.py asserts them).
NAFNET_CONFIGS: dict[str, dict[str, Any]] = {
    "gopro-width32": dict(width=32, enc_blk_nums=[1, 1, 1, 28], middle_blk_num=1, dec_blk_nums=[1, 1, 1, 1]),
    "gopro-width64": dict(width=64, enc_blk_nums=[1, 1, 1, 28], middle_blk_num=1, dec_blk_nums=[1, 1, 1, 1]),
    "sidd-width32": dict(width=32, enc_blk_nums=[2, 2, 4, 8], middle_blk_num=12, dec_blk_nums=[2, 2, 2, 2]),
    "sidd-width64": dict(width=64, enc_blk_nums=[2, 2, 4, 8], middle_blk_num=12, dec_blk_nums=[2, 2, 2, 2]),
    # The competition's: GoPro-width32 with 10 instead of 28 blocks in the deepest encoder level.
    "competition": dict(width=32, enc_blk_nums=[1, 1, 1, 10], middle_blk_num=1, dec_blk_nums=[1, 1, 1, 1]),
}
NAFNET_PARAM_COUNTS = {
    "gopro-width32": 17_111_907,
    "gopro-width64": 67_888_835,
    "sidd-width32": 29_159_715,
    "sidd-width64": 115_982_915,
    "competition": 8_702_307,
}
NAFNET_OPTIONS = ("img_channel", "width", "middle_blk_num", "enc_blk_nums", "dec_blk_nums", "drop_out_rate", "init")
# How the convolutions start: "pytorch", U(-b, b) with b = 1 / sqrt(fan_in) for weight and bias (the reference's
# PyTorch layers); "paddle", Paddle's nn.Conv2D defaults (the deblur solution's code: its nafnet_arch.py builds
# plain nn.Conv2D), weight ~ Normal(0, sqrt(2 / (k * k * in_channels))) (in_channels whole, groups or not), bias 0.
INITS = ("pytorch", "paddle")


def conv2d(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    groups: int = 1,
    bias: bool = True,
    init: str = "pytorch",
) -> nn.Conv2D:
    """A Conv2D started as ``init`` says (:data:`INITS`): the reference's PyTorch layers by default. (Paddle's own
    default compounds through the U-Net: a fresh competition-size NAFNet's output would sit far from its input.)"""
    if init not in INITS:
        raise ValueError(f"NAFNet init must be one of {', '.join(INITS)}, got {init!r}")
    if init == "paddle":
        return Conv2D(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            groups=groups,
            bias_attr=None if bias else False,
        )
    return torch_conv2d(
        in_channels, out_channels, kernel_size, stride=stride, padding=padding, groups=groups, bias=bias
    )


class SimpleGate(nn.Layer):
    """Split the channels in two halves and multiply them: the nonlinearity of NAFNet (2c -> c)."""

    def forward(self, x):
        x1, x2 = x.chunk(2, axis=1)
        return x1 * x2


class SimplifiedChannelAttention(nn.Sequential):
    """SCA: global average pooling then a 1x1 conv, giving one weight per channel.

    A Sequential (pool, conv) so that its parameters are named ``sca.1.weight`` / ``sca.1.bias``
    as in the reference. TLC (lib.models.tlc) swaps the pool, layer ``0``, for a local one.
    """

    def __init__(self, channels: int, init: str = "pytorch"):
        super().__init__(
            nn.AdaptiveAvgPool2D(1),
            conv2d(channels, channels, kernel_size=1, init=init),
        )


class NAFBlock(nn.Layer):
    """The NAFNet block: a gated depthwise-conv branch with SCA, then a gated FFN, both residual.

    ``y = inp + beta * conv3(SCA(SG(dwconv(conv1(norm1(inp))))))`` and
    ``out = y + gamma * conv5(SG(conv4(norm2(y))))``; beta and gamma start at zero, so a fresh
    block is the identity.
    """

    def __init__(
        self, c: int, DW_Expand: int = 2, FFN_Expand: int = 2, drop_out_rate: float = 0.0, init: str = "pytorch"
    ):
        super().__init__()
        dw_channel = c * DW_Expand
        self.conv1 = conv2d(c, dw_channel, kernel_size=1, init=init)
        self.conv2 = conv2d(dw_channel, dw_channel, kernel_size=3, padding=1, groups=dw_channel, init=init)
        self.conv3 = conv2d(dw_channel // 2, c, kernel_size=1, init=init)
        self.sca = SimplifiedChannelAttention(dw_channel // 2, init=init)
        self.sg = SimpleGate()

        ffn_channel = FFN_Expand * c
        self.conv4 = conv2d(c, ffn_channel, kernel_size=1, init=init)
        self.conv5 = conv2d(ffn_channel // 2, c, kernel_size=1, init=init)

        self.norm1 = LayerNorm2d(c)
        self.norm2 = LayerNorm2d(c)

        self.dropout1 = nn.Dropout(drop_out_rate) if drop_out_rate > 0.0 else nn.Identity()
        self.dropout2 = nn.Dropout(drop_out_rate) if drop_out_rate > 0.0 else nn.Identity()

        zeros = nn.initializer.Constant(0.0)
        self.beta = self.create_parameter([1, c, 1, 1], default_initializer=zeros)
        self.gamma = self.create_parameter([1, c, 1, 1], default_initializer=zeros)

    def forward(self, inp):
        x = self.norm1(inp)
        x = self.conv1(x)
        x = self.conv2(x)
        x = self.sg(x)
        x = scale_channels(x, self.sca(x))
        x = self.conv3(x)
        x = self.dropout1(x)
        y = inp + scale_channels(x, self.beta)

        x = self.conv4(self.norm2(y))
        x = self.sg(x)
        x = self.conv5(x)
        x = self.dropout2(x)
        return y + scale_channels(x, self.gamma)


class NAFNet(nn.Layer):
    """NAFNet U-Net. Input: N x img_channel x H x W, any H and W (padded inside, cropped back).

    Args (the reference's names and order):
        img_channel: channels of the image (3 for RGB).
        width: channels after the intro conv; doubled at each of the ``len(enc_blk_nums)`` levels.
        middle_blk_num: NAFBlocks at the lowest resolution.
        enc_blk_nums / dec_blk_nums: NAFBlocks per encoder / decoder level (same length).
        drop_out_rate: dropout inside the blocks (0 in every released config).
        init: how the convolutions start, "pytorch" (the reference's) or "paddle" (see INITS).
    """

    def __init__(
        self,
        img_channel: int = 3,
        width: int = 16,
        middle_blk_num: int = 1,
        enc_blk_nums: Sequence[int] = (),
        dec_blk_nums: Sequence[int] = (),
        drop_out_rate: float = 0.0,
        init: str = "pytorch",
    ):
        super().__init__()
        if len(enc_blk_nums) != len(dec_blk_nums):
            raise ValueError(
                f"NAFNet: enc_blk_nums {list(enc_blk_nums)} and dec_blk_nums "
                f"{list(dec_blk_nums)} must have the same length (one per level)"
            )
        if img_channel < 1 or width < 1:
            raise ValueError(f"NAFNet: img_channel ({img_channel}) and width ({width}) must be positive")
        self.img_channel = img_channel

        self.intro = conv2d(img_channel, width, kernel_size=3, padding=1, init=init)
        self.ending = conv2d(width, img_channel, kernel_size=3, padding=1, init=init)

        self.encoders = nn.LayerList()
        self.decoders = nn.LayerList()
        self.middle_blks = nn.LayerList()
        self.ups = nn.LayerList()
        self.downs = nn.LayerList()

        chan = width
        for num in enc_blk_nums:
            self.encoders.append(
                nn.Sequential(*[NAFBlock(chan, drop_out_rate=drop_out_rate, init=init) for _ in range(num)])
            )
            self.downs.append(conv2d(chan, 2 * chan, kernel_size=2, stride=2, init=init))
            chan = chan * 2

        self.middle_blks = nn.Sequential(
            *[NAFBlock(chan, drop_out_rate=drop_out_rate, init=init) for _ in range(middle_blk_num)]
        )

        for num in dec_blk_nums:
            self.ups.append(
                nn.Sequential(
                    conv2d(chan, chan * 2, kernel_size=1, bias=False, init=init),
                    nn.PixelShuffle(2),
                )
            )
            chan = chan // 2
            self.decoders.append(
                nn.Sequential(*[NAFBlock(chan, drop_out_rate=drop_out_rate, init=init) for _ in range(num)])
            )

        # Each level halves the size: the input is padded to a multiple of 2 ** levels.
        self.padder_size = 2 ** len(self.encoders)

    def forward(self, inp):
        self.check_input(inp)
        H, W = inp.shape[2], inp.shape[3]
        inp = self.check_image_size(inp)

        x = self.intro(inp)
        encs = []
        for encoder, down in zip(self.encoders, self.downs):
            x = encoder(x)
            encs.append(x)
            x = down(x)

        x = self.middle_blks(x)

        for decoder, up, enc_skip in zip(self.decoders, self.ups, encs[::-1]):
            x = up(x)
            x = x + enc_skip
            x = decoder(x)

        x = self.ending(x)
        x = x + inp
        return x[:, :, :H, :W]

    def check_input(self, inp):
        """Raise a ValueError for a non-4D input or a wrong channel count, before any conv does."""
        shape = list(inp.shape)
        if len(shape) != 4:
            raise ValueError(f"NAFNet expects an N x C x H x W tensor, got shape {shape} ({len(shape)}-D)")
        # -1 / None: a dynamic dimension under paddle.jit, checked at run time by the convs.
        if shape[1] not in (-1, None) and shape[1] != self.img_channel:
            raise ValueError(
                f"NAFNet was built for img_channel={self.img_channel}, got an input with "
                f"{shape[1]} channels (shape {shape})"
            )

    def check_image_size(self, x):
        """Pad bottom/right with zeros to a multiple of ``padder_size`` (as the reference does)."""
        h, w = x.shape[2], x.shape[3]
        mod_pad_h = (self.padder_size - h % self.padder_size) % self.padder_size
        mod_pad_w = (self.padder_size - w % self.padder_size) % self.padder_size
        if mod_pad_h == 0 and mod_pad_w == 0:
            return x
        return F.pad(x, [0, mod_pad_w, 0, mod_pad_h], data_format="NCHW")


def nafnet_from_config(config: str | dict[str, Any], **overrides) -> NAFNet:
    """Build a NAFNet from a named config (a key of NAFNET_CONFIGS) or an options dict.

    ``nafnet_from_config("competition")`` is the 1st-place model; ``nafnet_from_config(cfg["model"])``
    builds the ``model:`` section of lib/configs/deblur.yaml (unknown keys raise a ConfigError).
    """
    options, where = named_or_given(config, NAFNET_CONFIGS, "NAFNet", overrides)
    check_keys(options, set(NAFNET_OPTIONS), where)
    return NAFNet(**options)
