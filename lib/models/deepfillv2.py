"""DeepFillv2: "Free-Form Image Inpainting with Gated Convolution" (Yu, Lin, Yang, Shen, Lu, Huang;
ICCV 2019) in Paddle, as in the PyTorch re-implementation the course's seed builds on
(zhaoyuzhi/deepfillv2, ``deepfillv2/network.py`` and ``network_module.py``).

That implementation keeps the paper's two-stage gated-convolution generator but drops contextual
attention: the coarse net and the refinement net are the same 16-layer encoder / dilated bottleneck
/ decoder stack of gated convolutions (L = ``latent_channels``, 64 in the reference)::

    7x7 s1 (in -> L, no norm) | 4x4 s2 (L -> 2L) | 3x3 (2L -> 4L) | 4x4 s2 (4L -> 4L)
    3x3 | 3x3 | 3x3 dil 2 | 3x3 dil 4 | 3x3 dil 8 | 3x3 dil 16 | 3x3 | 3x3          (4L -> 4L)
    up x2 + 3x3 (4L -> 2L) | 3x3 (2L -> 2L) | up x2 + 3x3 (2L -> L) | 7x7 (L -> out, tanh, no norm)

``GatedGenerator.forward(img, mask)`` (mask 1 = hole): the coarse net sees
``[img * (1 - mask) + mask, mask]`` (holes filled with white, 4 channels), the refinement net sees
``[img * (1 - mask) + coarse * mask, mask]``; both outputs are returned, ``(coarse, refined)``.

Details kept from the reference (``train.py`` defaults: pad_type 'zero', activation 'lrelu',
norm 'in', init 'xavier' with gain 0.02):

* ``GatedConv2d``: explicit padding layer (zero / reflect / replicate), then two separate convs
  with no padding of their own, ``conv2d`` (features) and ``mask_conv2d`` (gate);
  ``y = act(norm(conv2d(x) * sigmoid(mask_conv2d(x))))``. Note the order: the reference gates
  first and applies the activation after (and after the norm); the paper and the official
  TensorFlow code compute ``act(feature) * sigmoid(gate)``. The parameter count is the same.
* ``TransposeGatedConv2d``: nearest-neighbour x2 upsampling, then a GatedConv2d. Its ``sn``
  default is True in the reference and the generator does not pass it, so the two upsampling
  layers of each net are spectrally normalised; kept (``up_sn``), it changes no trainable count.
* Each gated conv runs its two convolutions as one (weights concatenated, ``fused=True``): same
  parameters and numbers, faster on CPU (see ``GatedConv2d``).
* Instance norm without affine parameters (PyTorch's ``InstanceNorm2d`` default), eps 1e-5.
* The last layer's tanh gives [-1, 1] while images are in [0, 1]: the loss only sees the output
  composited into the holes, as in the reference.
* Initialisation: convs without spectral norm get Xavier-normal weights with gain 0.02 (std
  ``0.02 * sqrt(2 / (fan_in + fan_out))``); the reference's ``weights_init`` cannot see the weight
  of a spectrally normalised conv (its wrapper removed it), so those keep PyTorch's default
  U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (:func:`lib.models.layers.torch_uniform`), as do all biases.

The discriminator is the SN-PatchGAN of the reference: six spectrally normalised convs
(7x7 s1, then five 4x4 stride-2), instance norm on blocks 2-5, LeakyReLU 0.2, no activation at the
end; input ``[image, mask]``; a 256x256 input gives a 1 x 1 x 8 x 8 map of scores.

Spectral norm: ``paddle.nn.utils.spectral_norm`` (a forward pre-hook, like PyTorch's). It keeps
the power-iteration vectors ``weight_u`` / ``weight_v`` as buffers and updates them in place at
every training-mode forward, so the estimate of the largest singular value improves from step to
step as in the reference (one power iteration per forward). ``paddle.nn.SpectralNorm`` (a layer
applied to a weight tensor) runs the ``spectral_norm`` op, which starts from the stored u, v
every call and never writes them back: with one iteration per call sigma stays a poor, fixed
estimate, while the hook's converges over the forwards (tests/test_deepfillv2.py). The hook's
trainable parameter is ``weight_orig``; u and v are not parameters, so trainable counts equal the
reference's (whose u, v are parameters with ``requires_grad=False``, and whose trainable weight is
``weight_bar``).

Export: fold spectral norm first, ``paddle.jit.save(remove_spectral_norm(copy.deepcopy(gen)), ...)``
(see ``remove_spectral_norm``: Paddle's dy2static does not trace the hook).

Sizes: the generator halves the resolution twice and upsamples twice, so H and W must be
multiples of 4; otherwise ``forward`` raises a ValueError (no silent padding: in inpainting the
padded border would be known-image pixels the caller never gave). With ``pad_type='reflect'`` the
dilation-16 layer also needs the 1/4-scale map to exceed 16 pixels (H, W >= 68). The course crops
256x256 (1536 / 6), which fits.

Losses (WGAN and hinge, the generator's objective, the VGG-16 perceptual term) are in lib.losses
(:mod:`lib.losses.gan`, :mod:`lib.losses.perceptual`); the names of a reference PyTorch state dict in
lib.models.deepfillv2_keys.

Every ``forward`` takes ``self`` first (``paddle.jit.to_static`` needs it).
"""

from __future__ import annotations

import math
from typing import Any

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle.nn.utils.spectral_norm_hook import SpectralNorm as _SpectralNormHook

from lib.config import check_keys, named_or_given
from lib.models.channel_ops import Conv2D, add_channel_bias
from lib.models.layers import count_parameters, torch_uniform

__all__ = [
    "DEEPFILL_CONFIGS",
    "DEEPFILL_OPTIONS",
    "DEEPFILL_PARAM_COUNTS",
    "DEEPFILL_D_PARAM_COUNTS",
    "GatedConv2d",
    "TransposeGatedConv2d",
    "Conv2dLayer",
    "LayerNorm",
    "GatedGenerator",
    "PatchDiscriminator",
    "deepfill_from_config",
    "discriminator_from_config",
    "count_parameters",
    "remove_spectral_norm",
]

# The reference's options (train.py defaults), shared by the generator and the discriminator as the
# reference's single ``opt`` is. ``reference``: the solution's model. ``demo``: narrower, for CPU
# training at 256x256. ``tiny``: tests and the smoke profile.
_REFERENCE_OPTIONS = dict(
    in_channels=4,
    out_channels=3,
    latent_channels=64,
    pad_type="zero",
    activation="lrelu",
    norm="in",
    init_type="xavier",
    init_gain=0.02,
)
DEEPFILL_CONFIGS: dict[str, dict[str, Any]] = {
    "reference": dict(_REFERENCE_OPTIONS),
    "demo": dict(_REFERENCE_OPTIONS, latent_channels=16),
    "tiny": dict(_REFERENCE_OPTIONS, latent_channels=4),
}
# Trainable generator parameters: each net is 2 x sum(c_in * c_out * k * k + c_out) over its 16
# gated convs (features + gate); 13,468,550 per net at L = 64. Measured with the reference code:
# 26,937,100 (zhaoyuzhi/deepfillv2, PyTorch); tests/test_deepfillv2.py asserts all three.
DEEPFILL_PARAM_COUNTS = {
    "reference": 26_937_100,
    "demo": 1_702_348,
    "tiny": 111_100,
}
# Trainable discriminator parameters (conv weights + biases; instance norm has none), from the
# reference's definition: 4*L*49+L + L*2L*16+2L + 2L*4L*16+4L + 2*(4L*4L*16+4L) + 4L*16+1.
DEEPFILL_D_PARAM_COUNTS = {
    "reference": 2_770_113,
    "demo": 176_433,
    "tiny": 11_853,
}
DEEPFILL_OPTIONS = tuple(_REFERENCE_OPTIONS)

PAD_TYPES = {"zero": "constant", "reflect": "reflect", "replicate": "replicate"}
NORMS = ("bn", "in", "ln", "none")
ACTIVATIONS = ("relu", "lrelu", "prelu", "selu", "tanh", "sigmoid", "none")
INIT_TYPES = ("normal", "xavier", "kaiming", "orthogonal")


# --------------------------------------------------------------------------- building blocks
class LayerNorm(nn.Layer):
    """The reference's layer norm: per sample, over all of C x H x W, ``(x - mean) / (std + eps)``
    with the unbiased std and eps 1e-8, then a per-channel affine (gamma ~ U(0, 1), beta = 0)."""

    def __init__(self, num_features: int, eps: float = 1e-8, affine: bool = True):
        super().__init__()
        self.eps = eps
        self.affine = affine
        if affine:
            self.gamma = self.create_parameter([num_features], default_initializer=nn.initializer.Uniform(0.0, 1.0))
            self.beta = self.create_parameter([num_features], default_initializer=nn.initializer.Constant(0.0))

    def forward(self, x):
        flat = x.flatten(1)
        mean = flat.mean(axis=1).reshape([-1, 1, 1, 1])
        std = flat.std(axis=1, unbiased=True).reshape([-1, 1, 1, 1])
        x = (x - mean) / (std + self.eps)
        if self.affine:
            x = x * self.gamma.reshape([1, -1, 1, 1]) + self.beta.reshape([1, -1, 1, 1])
        return x


def _check_choice(value: str, choices, what: str) -> str:
    if value not in choices:
        raise ValueError(f"unsupported {what} {value!r}; choose one of {list(choices)}")
    return value


def _make_norm(norm: str, channels: int):
    _check_choice(norm, NORMS, "normalisation")
    if norm == "bn":  # the reference re-initialises BatchNorm weights ~ N(1, 0.02)
        return nn.BatchNorm2D(channels, weight_attr=paddle.ParamAttr(initializer=nn.initializer.Normal(1.0, 0.02)))
    if norm == "in":  # PyTorch InstanceNorm2d default: no affine parameters, eps 1e-5
        return nn.InstanceNorm2D(channels, epsilon=1e-5, weight_attr=False, bias_attr=False)
    if norm == "ln":
        return LayerNorm(channels)
    return None


def _make_activation(activation: str):
    _check_choice(activation, ACTIVATIONS, "activation")
    return {
        "relu": nn.ReLU,
        "lrelu": lambda: nn.LeakyReLU(0.2),
        "prelu": lambda: nn.PReLU(1, init=0.25),
        "selu": nn.SELU,
        "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid,
        "none": lambda: None,
    }[activation]()


def _weight_initializer(init_type: str, init_gain: float, fan_in: int, fan_out: int, sn: bool):
    """The reference's ``weights_init`` for a conv weight (PyTorch fans: fan_in = c_in * k * k,
    fan_out = c_out * k * k). Spectrally normalised convs keep PyTorch's default init (see the
    module docstring)."""
    if sn:
        return torch_uniform(fan_in)  # kaiming_uniform(a=sqrt(5)) == U(-1/sqrt(fan_in), ...)
    _check_choice(init_type, INIT_TYPES, "init_type")
    if init_type == "normal":
        return nn.initializer.Normal(0.0, init_gain)
    if init_type == "xavier":
        return nn.initializer.Normal(0.0, init_gain * math.sqrt(2.0 / (fan_in + fan_out)))
    if init_type == "kaiming":
        return nn.initializer.Normal(0.0, math.sqrt(2.0 / fan_in))
    return nn.initializer.Orthogonal(gain=init_gain)


def _conv(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    stride: int,
    dilation: int,
    sn: bool,
    init_type: str,
    init_gain: float,
) -> nn.Conv2D:
    """A padding-free Conv2D (the padding is a separate layer), optionally spectrally normalised."""
    fan_in, fan_out = in_channels * kernel_size**2, out_channels * kernel_size**2
    conv = Conv2D(
        in_channels,
        out_channels,
        kernel_size,
        stride=stride,
        padding=0,
        dilation=dilation,
        weight_attr=paddle.ParamAttr(initializer=_weight_initializer(init_type, init_gain, fan_in, fan_out, sn)),
        bias_attr=paddle.ParamAttr(initializer=torch_uniform(fan_in)),
    )
    if sn:
        # Trainable weight_orig, buffers weight_u / weight_v; power iteration in train mode only.
        conv = nn.utils.spectral_norm(conv, n_power_iterations=1, eps=1e-12, dim=0)
    return conv


class _PaddedConvBase(nn.Layer):
    """Padding layer, then the conv(s), then optional norm and activation (reference layout)."""

    def _setup(self, out_channels, padding, pad_type, activation, norm):
        _check_choice(pad_type, PAD_TYPES, "pad_type")
        self.pad = nn.Pad2D(padding, mode=PAD_TYPES[pad_type])
        self.norm = _make_norm(norm, out_channels)
        self.activation = _make_activation(activation)

    def _finish(self, x):
        if self.norm is not None:
            x = self.norm(x)
        if self.activation is not None:
            x = self.activation(x)
        return x


class Conv2dLayer(_PaddedConvBase):
    """Plain conv block of the reference (used by the discriminator): pad, conv, norm, activation."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        pad_type: str = "zero",
        activation: str = "lrelu",
        norm: str = "none",
        sn: bool = False,
        init_type: str = "xavier",
        init_gain: float = 0.02,
    ):
        super().__init__()
        self._setup(out_channels, padding, pad_type, activation, norm)
        self.conv2d = _conv(in_channels, out_channels, kernel_size, stride, dilation, sn, init_type, init_gain)

    def forward(self, x):
        return self._finish(self.conv2d(self.pad(x)))


class GatedConv2d(_PaddedConvBase):
    """Gated convolution: ``act(norm(conv2d(x') * sigmoid(mask_conv2d(x'))))`` with ``x' = pad(x)``.

    Two separate convolutions of the same shape, one for the features and one for the soft gate
    (a learned per-pixel, per-channel mask), as in the reference. ``sn``: spectral norm on both.

    ``fused`` (default True) computes both in one convolution with the two weights concatenated
    (2 x out_channels filters) and splits the result: the same numbers (tests/test_deepfillv2.py)
    and the same parameters, but Paddle's CPU convolution takes about as long for one conv twice as
    wide as for one of the two narrow ones, so the fused layer costs about half. ``fused=False`` is
    the literal form.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        pad_type: str = "reflect",
        activation: str = "lrelu",
        norm: str = "none",
        sn: bool = False,
        init_type: str = "xavier",
        init_gain: float = 0.02,
        fused: bool = True,
    ):
        super().__init__()
        self._setup(out_channels, padding, pad_type, activation, norm)
        self.conv2d = _conv(in_channels, out_channels, kernel_size, stride, dilation, sn, init_type, init_gain)
        self.mask_conv2d = _conv(in_channels, out_channels, kernel_size, stride, dilation, sn, init_type, init_gain)
        self.fused = fused
        self.stride, self.dilation = stride, dilation

    @staticmethod
    def _weight(conv):
        # A spectrally normalised conv gets its weight from its forward pre-hook (which also runs
        # the power iteration in training mode): run the hooks, as calling the layer would.
        for hook in conv._forward_pre_hooks.values():
            hook(conv, None)
        return conv.weight

    def forward(self, x):
        x = self.pad(x)
        if self.fused:
            weight = paddle.concat([self._weight(self.conv2d), self._weight(self.mask_conv2d)], axis=0)
            bias = paddle.concat([self.conv2d.bias, self.mask_conv2d.bias], axis=0)
            both = add_channel_bias(F.conv2d(x, weight, None, stride=self.stride, dilation=self.dilation), bias)
            feature, gate = paddle.split(both, 2, axis=1)
        else:
            feature, gate = self.conv2d(x), self.mask_conv2d(x)
        return self._finish(feature * F.sigmoid(gate))


class TransposeGatedConv2d(nn.Layer):
    """Nearest-neighbour upsampling by ``scale_factor`` then a GatedConv2d (``sn`` defaults to True
    as in the reference)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        pad_type: str = "zero",
        activation: str = "lrelu",
        norm: str = "none",
        sn: bool = True,
        scale_factor: int = 2,
        init_type: str = "xavier",
        init_gain: float = 0.02,
    ):
        super().__init__()
        self.scale_factor = scale_factor
        self.gated_conv2d = GatedConv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            pad_type,
            activation,
            norm,
            sn,
            init_type,
            init_gain,
        )

    def forward(self, x):
        # the output size, not scale_factor: an exported scale_factor is a list-of-doubles attribute
        # that paddle2onnx and Paddle Inference's oneDNN kernels reject (the same pixels either way)
        size = paddle.shape(x)[2:] * self.scale_factor
        x = F.interpolate(x, size=size, mode="nearest")
        return self.gated_conv2d(x)


# --------------------------------------------------------------------------- generator
def _gated_stage(
    in_channels: int,
    out_channels: int,
    L: int,
    pad_type: str,
    activation: str,
    norm: str,
    up_sn: bool,
    init_type: str,
    init_gain: float,
) -> nn.Sequential:
    """One 16-layer gated-conv net (the coarse and the refinement nets are identical)."""
    kw = dict(pad_type=pad_type, init_type=init_type, init_gain=init_gain)
    act = dict(activation=activation, norm=norm, **kw)
    # (c_in, c_out, kernel, stride, padding, dilation) of the 12 encoder / bottleneck layers
    body = [(4 * L, 4 * L, 3, 1, d, d) for d in (1, 1, 2, 4, 8, 16, 1, 1)]
    return nn.Sequential(
        GatedConv2d(in_channels, L, 7, 1, 3, activation=activation, norm="none", **kw),
        GatedConv2d(L, 2 * L, 4, 2, 1, **act),
        GatedConv2d(2 * L, 4 * L, 3, 1, 1, **act),
        GatedConv2d(4 * L, 4 * L, 4, 2, 1, **act),
        *[GatedConv2d(ci, co, k, s, p, dilation=d, **act) for ci, co, k, s, p, d in body],
        TransposeGatedConv2d(4 * L, 2 * L, 3, 1, 1, sn=up_sn, **act),
        GatedConv2d(2 * L, 2 * L, 3, 1, 1, **act),
        TransposeGatedConv2d(2 * L, L, 3, 1, 1, sn=up_sn, **act),
        GatedConv2d(L, out_channels, 7, 1, 3, activation="tanh", norm="none", **kw),
    )


class GatedGenerator(nn.Layer):
    """Two-stage gated-conv inpainting generator (coarse, then refinement), no contextual attention.

    Args (the reference's ``opt`` fields): in_channels (image channels + 1 for the mask),
    out_channels (image channels), latent_channels (L), pad_type ('zero' | 'reflect' |
    'replicate'), activation, norm ('in' | 'bn' | 'ln' | 'none'), init_type / init_gain (conv
    weight init), up_sn (spectral norm on the upsampling gated convs: True in the reference).
    """

    def __init__(
        self,
        in_channels: int = 4,
        out_channels: int = 3,
        latent_channels: int = 64,
        pad_type: str = "zero",
        activation: str = "lrelu",
        norm: str = "in",
        init_type: str = "xavier",
        init_gain: float = 0.02,
        up_sn: bool = True,
    ):
        super().__init__()
        if in_channels != out_channels + 1:
            raise ValueError(
                f"GatedGenerator: in_channels ({in_channels}) must be out_channels "
                f"({out_channels}) + 1: the input is the masked image and the mask"
            )
        if latent_channels < 1:
            raise ValueError(f"GatedGenerator: latent_channels must be positive, got {latent_channels}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.pad_type = pad_type
        args = (in_channels, out_channels, latent_channels, pad_type, activation, norm, up_sn, init_type, init_gain)
        self.coarse = _gated_stage(*args)
        self.refinement = _gated_stage(*args)

    def check_inputs(self, img, mask):
        """ValueError for wrong ranks, channels or sizes (dygraph only: under ``paddle.jit`` the
        dimensions may be dynamic and the convs check what they can)."""
        if not paddle.in_dynamic_mode():
            return
        si, sm = list(img.shape), list(mask.shape)
        if len(si) != 4 or len(sm) != 4:
            raise ValueError(
                f"GatedGenerator expects img N x {self.out_channels} x H x W and mask "
                f"N x 1 x H x W, got shapes {si} and {sm}"
            )

        def known(d):  # -1 or None: a dynamic axis of a static graph
            return d not in (-1, None)

        if known(si[1]) and si[1] != self.out_channels:
            raise ValueError(f"GatedGenerator was built for {self.out_channels}-channel images, got {si}")
        if known(sm[1]) and sm[1] != 1:
            raise ValueError(f"GatedGenerator expects a 1-channel mask (1 = hole), got {sm}")
        for axis, name in ((2, "height"), (3, "width")):
            size = si[axis]
            if not known(size):
                continue
            if known(sm[axis]) and sm[axis] != size:
                raise ValueError(f"img and mask sizes differ: {si} vs {sm}")
            if size % 4:
                raise ValueError(
                    f"GatedGenerator: image {name} {size} is not a multiple of 4 (two stride-2 "
                    f"layers, then two x2 upsamplings); crop or pad the input to a multiple of 4"
                )
            if self.pad_type == "reflect" and size // 4 <= 16:
                raise ValueError(
                    f"GatedGenerator with pad_type='reflect': image {name} {size} too small; "
                    f"the dilation-16 layer needs the 1/4-scale map larger than 16 (>= 68)"
                )

    def forward(self, img, mask):
        self.check_inputs(img, mask)
        # mask: 1 in the holes. Coarse input: holes filled with 1 (white), plus the mask.
        first_in = paddle.concat([img * (1 - mask) + mask, mask], axis=1)
        first_out = self.coarse(first_in)
        # Refinement input: known pixels plus the coarse guess in the holes.
        second_in = paddle.concat([img * (1 - mask) + first_out * mask, mask], axis=1)
        second_out = self.refinement(second_in)
        return first_out, second_out


# --------------------------------------------------------------------------- discriminator
class PatchDiscriminator(nn.Layer):
    """SN-PatchGAN of the reference: input ``[image, mask]`` (in_channels = image channels + 1),
    six spectrally normalised convs, output N x 1 x H/32 x W/32 scores (8 x 8 at 256 x 256)."""

    def __init__(
        self,
        in_channels: int = 4,
        latent_channels: int = 64,
        pad_type: str = "zero",
        activation: str = "lrelu",
        norm: str = "in",
        init_type: str = "xavier",
        init_gain: float = 0.02,
    ):
        super().__init__()
        L = latent_channels
        kw = dict(pad_type=pad_type, sn=True, init_type=init_type, init_gain=init_gain)
        act = dict(activation=activation, norm=norm, **kw)
        self.in_channels = in_channels
        self.block1 = Conv2dLayer(in_channels, L, 7, 1, 3, activation=activation, norm="none", **kw)
        self.block2 = Conv2dLayer(L, 2 * L, 4, 2, 1, **act)
        self.block3 = Conv2dLayer(2 * L, 4 * L, 4, 2, 1, **act)
        self.block4 = Conv2dLayer(4 * L, 4 * L, 4, 2, 1, **act)
        self.block5 = Conv2dLayer(4 * L, 4 * L, 4, 2, 1, **act)
        self.block6 = Conv2dLayer(4 * L, 1, 4, 2, 1, activation="none", norm="none", **kw)

    def forward(self, img, mask):
        shape = list(img.shape)
        if paddle.in_dynamic_mode() and (len(shape) != 4 or min(shape[2], shape[3]) < 32):
            raise ValueError(
                f"PatchDiscriminator expects N x C x H x W images with H, W >= 32 (five stride-2 convs), got {shape}"
            )
        x = paddle.concat([img, mask], axis=1)
        for block in (self.block1, self.block2, self.block3, self.block4, self.block5, self.block6):
            x = block(x)
        return x


# --------------------------------------------------------------------------- configs
def _options(config: str | dict[str, Any], overrides: dict, where: str) -> tuple[dict, str]:
    return named_or_given(config, DEEPFILL_CONFIGS, "DeepFillv2", overrides, where)


def deepfill_from_config(config: str | dict[str, Any], **overrides) -> GatedGenerator:
    """The generator of a named config (a key of DEEPFILL_CONFIGS) or of an options dict (keys:
    DEEPFILL_OPTIONS plus ``up_sn``; unknown keys raise a ConfigError)."""
    options, label = _options(config, overrides, "generator")
    check_keys(options, set(DEEPFILL_OPTIONS) | {"up_sn"}, label)
    return GatedGenerator(**options)


def discriminator_from_config(config: str | dict[str, Any], **overrides) -> PatchDiscriminator:
    """The SN-PatchGAN discriminator for the same options (the reference shares one ``opt``:
    latent_channels, pad_type, activation, norm and in_channels apply to both nets)."""
    options, label = _options(config, overrides, "discriminator")
    check_keys(options, set(DEEPFILL_OPTIONS) | {"up_sn"}, label)
    options.pop("out_channels", None)
    options.pop("up_sn", None)
    return PatchDiscriminator(**options)


def remove_spectral_norm(model: nn.Layer) -> nn.Layer:
    """Fold every ``paddle.nn.utils.spectral_norm`` hook of ``model`` (in place) into a plain
    ``weight`` parameter, ``weight_orig / sigma`` with the stored u, v (as an eval-mode forward
    computes it), and drop the hook, ``weight_orig``, ``weight_u`` and ``weight_v``. Returns ``model``.

    Call it on a copy (``copy.deepcopy(gen)``) before ``paddle.jit.save`` / ONNX export. Paddle
    3.3's dy2static does not trace the hook's result: the exported program uses whatever ``weight``
    the last dygraph forward left behind (the raw, un-normalised weight if none ran since
    construction: visibly different outputs). Folded, the exported
    program is plain convolutions and matches dygraph eval mode exactly.
    """
    for layer in model.sublayers(include_self=True):
        for key, hook in list(layer._forward_pre_hooks.items()):
            if not isinstance(hook, _SpectralNormHook):
                continue
            with paddle.no_grad():
                weight = hook.compute_weight(layer, do_power_iteration=False).detach().clone()
            del layer._forward_pre_hooks[key]
            name = hook.name
            orig = layer._parameters.pop(name + "_orig")
            for buffer in (name, name + "_u", name + "_v"):
                layer._buffers.pop(buffer, None)
                layer._non_persistable_buffer_names_set.discard(buffer)
            param = layer.create_parameter(
                list(weight.shape), dtype=weight.dtype, default_initializer=nn.initializer.Assign(weight.numpy())
            )
            param.stop_gradient = orig.stop_gradient
            layer.add_parameter(name, param)
    return model
