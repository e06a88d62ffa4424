"""MIRNetV2: "Learning Enriched Features for Fast Image Restoration and Enhancement" (Zamir, Arora,
Khan, Hayat, Khan, Yang, Shao; TPAMI 2022) in Paddle.

Structure, layer order and parameter names follow the official code (swz30/MIRNetv2,
``basicsr/models/archs/mirnet_v2_arch.py``), so a reference state dict maps one-to-one
(``conv_in.weight``, ``body.0.body.1.dau_mid.gcnet.conv_mask.weight``,
``body.3.body.0.down4.1.body.0.bot.1.weight``, ``body.2.body.2.weight`` ...; Paddle and PyTorch
both store conv weights as [out, in / groups, kh, kw]).

    conv_in 3x3 -> RRG x n_RRG -> conv_out 3x3 -> + input          (I_hat = I + R)

    RRG (recursive residual group)  = MRB x n_MRB -> 3x3 conv, + its input
    MRB (multi-scale residual block) = three streams at full, 1/2 and 1/4 resolution with
        n, n*f and n*f^2 channels (f = chan_factor): each stream goes through its RCB, the lower
        stream is upsampled and fused into the one above with SKFF (bottom-up: 1/4 -> 1/2 -> full);
        the same three RCBs and two SKFFs run a second time; 1x1 conv, + its input
    RCB (residual context block)    = 3x3 conv, LeakyReLU(0.2), 3x3 conv (grouped), ContextBlock,
        LeakyReLU, + its input
    ContextBlock (GCNet-style)      = softmax attention over all positions (1x1 conv -> 1 map)
        pools one context vector; 1x1 conv, LeakyReLU, 1x1 conv; added to every position
    SKFF (selective kernel feature fusion) = fuse: sum the streams, global average pool, 1x1 conv
        to max(C/8, 4), LeakyReLU; select: one 1x1 conv per stream back to C, softmax across the
        streams, weighted sum
    Down = 2x2 average pool, 1x1 conv (C -> C*f); Up = 1x1 conv (C -> C//f), bilinear x2

The official model ignores its ``n_RRG`` argument and always builds 4 RRGs whose convolutions use
groups 1, 2, 4, 4. The PaddlePaddle reproduction (sldyns/MIRNetV2_paddle) comments out the 4th
RRG: 3 RRGs with groups 1, 2, 4, and trains and exports ``n_feat=64``. Here ``n_RRG`` is honoured
and the groups default to that same sequence (1, 2, 4, 4, 4 ...), so ``n_RRG=4`` is the official
network and ``n_RRG=3`` the reproduction's; ``groups`` may also be given explicitly.

Two things the official class leaves to its callers are done inside ``forward``: the input is
padded bottom/right to a multiple of 4 (two 2x poolings) with reflection, as the official
``demo.py`` does, and the output is cropped back; and a wrong rank or channel count is a clear
ValueError. ``height`` (3 streams) and ``width`` (2 passes per MRB) are accepted for compatibility
with the official YAML options, but the official MRB hard-codes them, so other values are refused.

Every ``forward`` takes ``self`` first (``paddle.jit.to_static`` needs it) and only uses shape-free
reshapes (flatten, stack), so the model exports with a dynamic ``[N, C, H, W]`` input.
"""

from __future__ import annotations

from typing import Any, Sequence

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from lib.config import check_keys, named_or_given
from lib.models.channel_ops import add_channels, scale_channels
from lib.models.layers import count_parameters, torch_conv2d

__all__ = [
    "MIRNET_CONFIGS",
    "MIRNET_PARAM_COUNTS",
    "MIRNET_OPTIONS",
    "MIRNetV2",
    "RRG",
    "MRB",
    "RCB",
    "ContextBlock",
    "SKFF",
    "Down",
    "DownSample",
    "Up",
    "UpSample",
    "count_parameters",
    "default_groups",
    "mirnet_v2_from_config",
    "stream_channels",
]

# Named configurations with their parameter counts. "real-denoising" is the official SIDD model
# (Real_Denoising/Options/RealDenoising_MIRNet_v2.yml; the same network is used for every task of
# the paper); its count was measured with the official PyTorch code. "paddle-repro" is what
# sldyns/MIRNetV2_paddle trains, tests and exports (MIRNet_v2(n_feat=64) with its 4th RRG commented
# out); counted from that code. "demo" is the course's CPU-sized model. tests/test_mirnet_v2.py
# asserts all three.
MIRNET_CONFIGS: dict[str, dict[str, Any]] = {
    "real-denoising": dict(n_feat=80, chan_factor=1.5, n_RRG=4, n_MRB=2, height=3, width=2, bias=False),
    "paddle-repro": dict(n_feat=64, chan_factor=1.5, n_RRG=3, n_MRB=2, height=3, width=2, bias=False),
    "demo": dict(n_feat=32, chan_factor=1.5, n_RRG=1, n_MRB=1, height=3, width=2, bias=False),
}
MIRNET_PARAM_COUNTS = {
    "real-denoising": 5_858_560,
    "paddle-repro": 3_120_288,
    "demo": 200_120,
}
MIRNET_OPTIONS = (
    "inp_channels",
    "out_channels",
    "n_feat",
    "chan_factor",
    "n_RRG",
    "n_MRB",
    "height",
    "width",
    "scale",
    "bias",
    "task",
    "groups",
)
REFERENCE_RRG_GROUPS = (1, 2, 4, 4)  # conv groups of the official RRGs, in order
PAD_MULTIPLE = 4  # two 2x average poolings in every MRB


def _leaky_relu():
    return nn.LeakyReLU(0.2)


class SKFF(nn.Layer):
    """Selective kernel feature fusion of ``height`` streams of ``in_channels`` channels each.

    Fuse: ``U = sum of the streams``, ``z = LeakyReLU(conv_du(avgpool(U)))`` with
    ``max(in_channels // reduction, 4)`` channels. Select: ``a_i = fcs[i](z)``, softmax over i for
    each channel, output ``sum_i a_i * stream_i``. No biases in the reference (``bias=False``).
    """

    def __init__(self, in_channels: int, height: int = 3, reduction: int = 8, bias: bool = False):
        super().__init__()
        self.height = height
        d = max(int(in_channels / reduction), 4)
        self.avg_pool = nn.AdaptiveAvgPool2D(1)
        self.conv_du = nn.Sequential(torch_conv2d(in_channels, d, 1, bias=bias), _leaky_relu())
        self.fcs = nn.LayerList([torch_conv2d(d, in_channels, 1, bias=bias) for _ in range(height)])

    def forward(self, inp_feats):
        if len(inp_feats) != self.height:
            raise ValueError(f"SKFF was built for {self.height} streams, got {len(inp_feats)}")
        feats = paddle.stack(list(inp_feats), axis=1)  # N x height x C x H x W
        feats_u = feats.sum(axis=1)  # fuse
        feats_z = self.conv_du(self.avg_pool(feats_u))  # N x d x 1 x 1
        attention = paddle.stack([fc(feats_z) for fc in self.fcs], axis=1)  # N x height x C x 1 x 1
        attention = F.softmax(attention, axis=1)  # select: across the streams
        return scale_channels(feats, attention).sum(axis=1)


class ContextBlock(nn.Layer):
    """Global context (GCNet style): attention-pool one C-vector over all positions, transform it
    (1x1 conv, LeakyReLU, 1x1 conv) and add it to every position."""

    def __init__(self, n_feat: int, bias: bool = False):
        super().__init__()
        self.conv_mask = torch_conv2d(n_feat, 1, 1, bias=bias)
        self.channel_add_conv = nn.Sequential(
            torch_conv2d(n_feat, n_feat, 1, bias=bias),
            _leaky_relu(),
            torch_conv2d(n_feat, n_feat, 1, bias=bias),
        )

    def modeling(self, x):
        """The context vector, N x C x 1 x 1: sum over positions of x weighted by softmax(mask)."""
        values = x.flatten(start_axis=2)  # N x C x HW
        mask = F.softmax(self.conv_mask(x).flatten(start_axis=2), axis=2)  # N x 1 x HW
        context = paddle.matmul(values, mask, transpose_y=True)  # N x C x 1
        return context.unsqueeze(-1)

    def forward(self, x):
        return add_channels(x, self.channel_add_conv(self.modeling(x)))


class RCB(nn.Layer):
    """Residual context block: ``x + LeakyReLU(ContextBlock(conv(LeakyReLU(conv(x)))))``, 3x3 convs
    with ``groups`` groups."""

    def __init__(self, n_feat: int, kernel_size: int = 3, reduction: int = 8, bias: bool = False, groups: int = 1):
        super().__init__()
        act = _leaky_relu()
        self.body = nn.Sequential(
            torch_conv2d(n_feat, n_feat, 3, padding=1, groups=groups, bias=bias),
            act,
            torch_conv2d(n_feat, n_feat, 3, padding=1, groups=groups, bias=bias),
        )
        self.act = act
        self.gcnet = ContextBlock(n_feat, bias=bias)

    def forward(self, x):
        res = self.act(self.gcnet(self.body(x)))
        return res + x


class Down(nn.Layer):
    """2x2 average pooling then a 1x1 conv ``C -> int(C * chan_factor)`` (no bias)."""

    def __init__(self, in_channels: int, chan_factor: float, bias: bool = False):
        super().__init__()
        # count_include_pad=False in the reference is exclusive=True here (only matters for odd
        # sizes with ceil_mode, which never reach it: the input is padded to a multiple of 4).
        self.bot = nn.Sequential(
            nn.AvgPool2D(2, ceil_mode=True, exclusive=True),
            torch_conv2d(in_channels, int(in_channels * chan_factor), 1, bias=bias),
        )

    def forward(self, x):
        return self.bot(x)


class DownSample(nn.Layer):
    """log2(scale_factor) ``Down`` steps, channels multiplied by chan_factor at each."""

    def __init__(self, in_channels: int, scale_factor: int, chan_factor: float = 2, kernel_size: int = 3):
        super().__init__()
        steps = []
        for _ in range(int(scale_factor).bit_length() - 1):
            steps.append(Down(in_channels, chan_factor))
            in_channels = int(in_channels * chan_factor)
        self.body = nn.Sequential(*steps)

    def forward(self, x):
        return self.body(x)


class Up(nn.Layer):
    """1x1 conv ``C -> int(C // chan_factor)`` (no bias) then bilinear 2x upsampling
    (``align_corners=False``, as the reference's ``align_corners=bias`` with bias False)."""

    def __init__(self, in_channels: int, chan_factor: float, bias: bool = False):
        super().__init__()
        self.bot = nn.Sequential(
            torch_conv2d(in_channels, int(in_channels // chan_factor), 1, bias=bias),
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=bias),
        )

    def forward(self, x):
        return self.bot(x)


class UpSample(nn.Layer):
    """log2(scale_factor) ``Up`` steps, channels divided by chan_factor at each."""

    def __init__(self, in_channels: int, scale_factor: int, chan_factor: float = 2, kernel_size: int = 3):
        super().__init__()
        steps = []
        for _ in range(int(scale_factor).bit_length() - 1):
            steps.append(Up(in_channels, chan_factor))
            in_channels = int(in_channels // chan_factor)
        self.body = nn.Sequential(*steps)

    def forward(self, x):
        return self.body(x)


def stream_channels(n_feat: int, chan_factor: float) -> tuple[int, int, int]:
    """Channels of the full, 1/2 and 1/4 resolution streams of an MRB, checked for consistency:
    the down path (int(int(n*f)*f)), the RCBs (int(n*f**2)) and the up path (int(c // f)) must
    agree, as they do in every official config."""
    top, mid, bot = int(n_feat), int(n_feat * chan_factor), int(n_feat * chan_factor**2)
    down_mid, down_bot = int(top * chan_factor), int(int(top * chan_factor) * chan_factor)
    up_mid, up_top = int(bot // chan_factor), int(mid // chan_factor)
    if (down_mid, down_bot, up_mid, up_top) != (mid, bot, mid, top):
        raise ValueError(
            f"MIRNetV2: n_feat={n_feat} with chan_factor={chan_factor} gives inconsistent stream widths "
            f"(RCBs {top}/{mid}/{bot}, down path {top}/{down_mid}/{down_bot}, up path {up_top}/{up_mid}/{bot}); "
            f"with chan_factor 1.5 use a multiple of 4 such as 32, 48, 64 or 80"
        )
    return top, mid, bot


class MRB(nn.Layer):
    """Multi-scale residual block: streams at full, 1/2, 1/4 resolution, two rounds of
    RCB-per-stream then bottom-up SKFF fusion (the RCBs and SKFFs are shared by both rounds, the
    upsamplers are not), a 1x1 conv and a residual connection."""

    def __init__(self, n_feat: int, height: int, width: int, chan_factor: float, bias: bool, groups: int):
        super().__init__()
        self.n_feat, self.height, self.width = n_feat, height, width
        top, mid, bot = stream_channels(n_feat, chan_factor)

        self.dau_top = RCB(top, bias=bias, groups=groups)
        self.dau_mid = RCB(mid, bias=bias, groups=groups)
        self.dau_bot = RCB(bot, bias=bias, groups=groups)

        self.down2 = DownSample(top, 2, chan_factor)
        self.down4 = nn.Sequential(DownSample(top, 2, chan_factor), DownSample(mid, 2, chan_factor))

        self.up21_1 = UpSample(mid, 2, chan_factor)
        self.up21_2 = UpSample(mid, 2, chan_factor)
        self.up32_1 = UpSample(bot, 2, chan_factor)
        self.up32_2 = UpSample(bot, 2, chan_factor)

        self.conv_out = torch_conv2d(n_feat, n_feat, 1, bias=bias)

        # Two inputs each (the stream and the upsampled stream below it); never biased.
        self.skff_top = SKFF(top, 2)
        self.skff_mid = SKFF(mid, 2)

    def forward(self, x):
        x_top = x
        x_mid = self.down2(x_top)
        x_bot = self.down4(x_top)

        x_top = self.dau_top(x_top)
        x_mid = self.dau_mid(x_mid)
        x_bot = self.dau_bot(x_bot)
        x_mid = self.skff_mid([x_mid, self.up32_1(x_bot)])
        x_top = self.skff_top([x_top, self.up21_1(x_mid)])

        x_top = self.dau_top(x_top)
        x_mid = self.dau_mid(x_mid)
        x_bot = self.dau_bot(x_bot)
        x_mid = self.skff_mid([x_mid, self.up32_2(x_bot)])
        x_top = self.skff_top([x_top, self.up21_2(x_mid)])

        return self.conv_out(x_top) + x


class RRG(nn.Layer):
    """Recursive residual group: ``x + conv3x3(MRB(...MRB(x)))`` with ``n_MRB`` MRBs."""

    def __init__(
        self, n_feat: int, n_MRB: int, height: int, width: int, chan_factor: float, bias: bool = False, groups: int = 1
    ):
        super().__init__()
        layers = [MRB(n_feat, height, width, chan_factor, bias, groups) for _ in range(n_MRB)]
        layers.append(torch_conv2d(n_feat, n_feat, 3, padding=1, bias=bias))
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x) + x


def default_groups(n_RRG: int) -> tuple[int, ...]:
    """Conv groups of each RRG: the official sequence 1, 2, 4, 4, continued with 4."""
    return tuple(
        REFERENCE_RRG_GROUPS[i] if i < len(REFERENCE_RRG_GROUPS) else REFERENCE_RRG_GROUPS[-1] for i in range(n_RRG)
    )


class MIRNetV2(nn.Layer):
    """MIRNetV2. Input N x inp_channels x H x W, any H and W (reflect-padded inside to a multiple
    of 4, cropped back). Output ``I + R`` (or, for ``task="defocus_deblurring"``, ``conv_out(deep +
    shallow features)`` with no image residual, as the reference).

    Args (the reference's names and defaults, which are the real-denoising model):
        inp_channels / out_channels: image channels in and out (equal unless defocus deblurring).
        n_feat: channels of the full-resolution stream (80); chan_factor: width factor per 2x
            downsampling (1.5): streams of n_feat, n_feat*1.5, n_feat*2.25 channels.
        n_RRG: recursive residual groups (the official class always builds 4, ignoring this).
        n_MRB: multi-scale residual blocks per RRG (2).
        height, width: 3 streams and 2 passes per MRB: fixed by the reference, only 3 and 2 accepted.
        scale: only 1 (the reference accepts it but does not use it).
        bias: biases in conv_in/out, RCBs, MRB conv_out and RRG convs (SKFF, Down, Up never have one).
        task: None, or "defocus_deblurring" (feature-level instead of image-level residual).
        groups: conv groups per RRG (default 1, 2, 4, 4, 4 ...); must divide every stream's width.
    """

    def __init__(
        self,
        inp_channels: int = 3,
        out_channels: int = 3,
        n_feat: int = 80,
        chan_factor: float = 1.5,
        n_RRG: int = 4,
        n_MRB: int = 2,
        height: int = 3,
        width: int = 2,
        scale: int = 1,
        bias: bool = False,
        task: str | None = None,
        groups: Sequence[int] | None = None,
    ):
        super().__init__()
        if height != 3 or width != 2:
            raise ValueError(
                f"MIRNetV2: the reference MRB has height=3 streams and width=2 passes; "
                f"got height={height}, width={width}"
            )
        if scale != 1:
            raise ValueError(f"MIRNetV2: scale={scale} is not supported (the reference ignores it; only 1)")
        if task not in (None, "defocus_deblurring"):
            raise ValueError(f"MIRNetV2: task must be None or 'defocus_deblurring', got {task!r}")
        if min(inp_channels, out_channels, n_feat, n_RRG, n_MRB) < 1:
            raise ValueError("MIRNetV2: inp_channels, out_channels, n_feat, n_RRG and n_MRB must be positive")
        if task is None and inp_channels != out_channels:
            raise ValueError(
                f"MIRNetV2: the image residual I + R needs inp_channels == out_channels, got "
                f"{inp_channels} and {out_channels} (only task='defocus_deblurring' differs)"
            )
        widths = stream_channels(n_feat, chan_factor)
        groups = default_groups(n_RRG) if groups is None else tuple(int(g) for g in groups)
        if len(groups) != n_RRG:
            raise ValueError(f"MIRNetV2: groups {list(groups)} must give one value per RRG (n_RRG={n_RRG})")
        for g in groups:
            if g < 1 or any(c % g for c in widths):
                raise ValueError(
                    f"MIRNetV2: groups={g} must divide every stream width {list(widths)} "
                    f"(n_feat={n_feat}, chan_factor={chan_factor})"
                )
        self.inp_channels, self.out_channels = inp_channels, out_channels
        self.task = task
        self.groups = groups

        self.conv_in = torch_conv2d(inp_channels, n_feat, 3, padding=1, bias=bias)
        self.body = nn.Sequential(*[RRG(n_feat, n_MRB, height, width, chan_factor, bias, groups=g) for g in groups])
        self.conv_out = torch_conv2d(n_feat, out_channels, 3, padding=1, bias=bias)

    def forward(self, x):
        self.check_input(x)
        h, w = x.shape[2], x.shape[3]
        inp = self.pad_to_multiple(x)
        shallow = self.conv_in(inp)
        deep = self.body(shallow)
        if self.task == "defocus_deblurring":
            out = self.conv_out(deep + shallow)
        else:
            out = self.conv_out(deep) + inp
        return out[:, :, :h, :w]

    def check_input(self, x):
        """Raise a ValueError for a non-4D input or a wrong channel count, before any conv does."""
        shape = list(x.shape)
        if len(shape) != 4:
            raise ValueError(f"MIRNetV2 expects an N x C x H x W tensor, got shape {shape} ({len(shape)}-D)")
        # -1 / None: a dynamic dimension under paddle.jit, checked at run time by the convs.
        if shape[1] not in (-1, None) and shape[1] != self.inp_channels:
            raise ValueError(
                f"MIRNetV2 was built for inp_channels={self.inp_channels}, got an input with "
                f"{shape[1]} channels (shape {shape})"
            )
        # H and W are tensors when traced with a dynamic size: checked in dygraph only.
        if paddle.in_dynamic_mode() and min(shape[2:]) < 3:
            raise ValueError(f"MIRNetV2 needs H and W of at least 3 (reflect padding), got shape {shape}")

    def pad_to_multiple(self, x):
        """Reflect-pad bottom/right to a multiple of 4, as the official demo.py does (needs H, W >= 3:
        reflection pads by less than the size)."""
        h, w = x.shape[2], x.shape[3]
        pad_h = (PAD_MULTIPLE - h % PAD_MULTIPLE) % PAD_MULTIPLE
        pad_w = (PAD_MULTIPLE - w % PAD_MULTIPLE) % PAD_MULTIPLE
        return F.pad(x, [0, pad_w, 0, pad_h], mode="reflect", data_format="NCHW")


def mirnet_v2_from_config(config: str | dict[str, Any], **overrides) -> MIRNetV2:
    """Build a MIRNetV2 from a named config (a key of MIRNET_CONFIGS) or an options dict (the
    official YAML ``network_g`` keys without ``type``); unknown keys raise a ConfigError."""
    options, where = named_or_given(config, MIRNET_CONFIGS, "MIRNetV2", overrides)
    check_keys(options, set(MIRNET_OPTIONS), where)
    return MIRNetV2(**options)
