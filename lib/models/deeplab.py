"""DeepLabV3 ("Rethinking Atrous Convolution for Semantic Image Segmentation", Chen et al. 2017)
from PaddleSeg 2.8, built fully offline: the occluder segmenter of the de-occlusion track.

PaddleSeg's ``DeepLabV3(num_classes, backbone, backbone_indices, aspp_ratios, aspp_out_channels,
align_corners, pretrained)`` feeds one backbone feature map (``backbone_indices[0]``) through ASPP
(1x1 conv, three dilated 3x3 convs, image pooling; 256 channels each, concatenated, 1x1 projection),
a 1x1 classifier, and bilinear upsampling to the input size. Its ``forward`` returns a list
``[logits]``; :class:`DeepLabV3Logits` returns the tensor.

Pretrained backbone: PaddleSeg's own configs start the backbone from ImageNet weights given by URL
(``configs/deeplabv3/deeplabv3_resnet50_os8_*.yml``: ``backbone: {type: ResNet50_vd, pretrained:
https://bj.bcebos.com/paddleseg/dygraph/resnet50_vd_ssld_v2.tar.gz}``, the model's own ``pretrained:
null``). ``pretrained=<url or path>`` passes it to the backbone the same way, so PaddleSeg's
``load_pretrained_model`` downloads it once into ``$SEG_HOME/pretrained_model`` (default
``~/.paddleseg``) and loads every matching tensor. If that fails (no network, as on the course
machine), :class:`PretrainedWeightsError` names the URL, where a copy is looked for, and the option
that turns it off. ``pretrained=None`` (the default; smoke and demo) downloads nothing: random
initialisation (PaddleSeg then logs "No pretrained model to load", which :func:`deeplabv3`
silences). tests/test_deeplab.py builds every small backbone with sockets blocked.

Backbones (``SUPPORTED_BACKBONES``; each family's defaults in ``BACKBONE_DEFAULTS``):

* ``ResNet18_vd``, ``ResNet34_vd``, ``ResNet50_vd``, ``ResNet101_vd``: four stages at strides
  4, 8, 8, 8 with ``output_stride=8`` (dilated stages 3 and 4; 16 also accepted); DeepLabV3 reads
  stage 4 (index 3: 512 channels for 18/34, 2048 for 50/101). Defaults are PaddleSeg's own
  ``deeplabv3_resnet50_os8`` config: ``multi_grid (1, 2, 4)``, ``aspp_ratios (1, 12, 24, 36)``
  (``(1, 6, 12, 18)`` at output stride 16, the paper's pairing). ResNet34_vd is not in PaddleSeg's
  backbone registry but is importable and works.
* ``MobileNetV2_x0_25`` ... ``MobileNetV2_x2_0`` (alias ``MobileNetV2`` = x1_0): features at
  strides 4, 8, 16, 32 with ``feat_channels = int(c * scale)`` for c in (24, 32, 96, 320). The
  model's ``backbone_indices`` must index that 4-entry list; DeepLabV3's default ``(3,)`` reads the
  last one (320 x scale channels, stride 32), which is the right one: the backbone computes all
  its stages anyway, and index 2 would leave the last seven blocks computed but unused (no
  gradient). At stride 32 the paper's rates (6, 12, 18) mostly hit padding (a 480 x 640 input gives
  a 15 x 20 map), so the default ASPP rates are halved: ``(1, 3, 6, 9)``.
* ``MobileNetV3_{large,small}_x0_35 ... x1_25`` (alias ``MobileNetV3`` = large_x1_0): same layout
  (4 features, strides 4-32), index 3, rates (1, 3, 6, 9); the ``_os8`` variants keep stride 8
  (dilated last stages), with rates (1, 12, 24, 36).

PaddleSeg's MobileNetV2 (like ShuffleNetV2 and GhostNet) names its parameters explicitly
(``conv1_1_weights`` ...), and Paddle refuses a second parameter of the same name in one process
("parameter name [conv1_1_weights] have be been used"): only the first MobileNetV2 of a process
would build. :func:`deeplabv3` builds the backbone inside ``paddle.utils.unique_name.guard`` and
then gives every backbone parameter a process-unique name, so any number of models build and two
models never share a name (optimizers key their state by parameter name). State-dict keys (the
attribute paths) are unchanged, so PaddleSeg checkpoints still load.

Input normalisation (``input_norm``): the network takes the photo as RGB in [0, 1] in training
and inference alike (lib.train.data, lib.tracks.deocclusion.repair.occluder_score); ``input_norm=(mean,
std)`` makes :class:`DeepLabV3Logits` feed ``(x - mean) / std`` (every channel) to PaddleSeg's model, in
its own ``forward``, so the training step, validation, the notebooks' pipeline and the exported
Paddle Inference / ONNX models apply the same arithmetic from one place. The de-occlusion solution's
(renqi1/Text_Image_Inpainting dataset.py SegmentDataset: ``transform.Normalize(mean=[0.6, 0.6, 0.6],
std=[0.2, 0.2, 0.2])`` after ``ToTensor``; predict_onnx.py and predict.py: ``(img / 255 - 0.6) / 0.2``) is
``(0.6, 0.2)``, the ``full`` profile's. ``None`` (the default; smoke and demo, and the shipped demo
segmenter, trained that way) feeds [0, 1] as it is. The option changes no weight: a checkpoint's saved
options say which input its network expects.

Every ``forward`` takes ``self`` first (``paddle.jit`` needs it).
"""

from __future__ import annotations

import contextlib
import itertools
from typing import Sequence

import paddle
import paddle.nn as nn

__all__ = [
    "SUPPORTED_BACKBONES",
    "BACKBONE_ALIASES",
    "BACKBONE_DEFAULTS",
    "PRETRAINED_URLS",
    "DeepLabV3Logits",
    "PretrainedWeightsError",
    "deeplabv3",
    "paddleseg_backbones",
    "backbone_family",
    "check_input_norm",
]

_RESNETS = ("ResNet18_vd", "ResNet34_vd", "ResNet50_vd", "ResNet101_vd")
_MOBILENETV2 = tuple(f"MobileNetV2_x{s}" for s in ("0_25", "0_5", "0_75", "1_0", "1_5", "2_0"))
_MOBILENETV3 = tuple(
    f"MobileNetV3_{size}_x{s}" for size in ("large", "small") for s in ("0_35", "0_5", "0_75", "1_0", "1_25")
) + ("MobileNetV3_large_x1_0_os8", "MobileNetV3_small_x1_0_os8")
SUPPORTED_BACKBONES: tuple[str, ...] = _RESNETS + _MOBILENETV2 + _MOBILENETV3
BACKBONE_ALIASES = {"MobileNetV2": "MobileNetV2_x1_0", "MobileNetV3": "MobileNetV3_large_x1_0"}

# Per family: the feature DeepLabV3 reads, and ASPP rates that fit that feature's stride.
BACKBONE_DEFAULTS = {
    "resnet_os8": dict(backbone_indices=(3,), aspp_ratios=(1, 12, 24, 36)),
    "resnet_os16": dict(backbone_indices=(3,), aspp_ratios=(1, 6, 12, 18)),
    "mobile_os32": dict(backbone_indices=(3,), aspp_ratios=(1, 3, 6, 9)),
    "mobile_os8": dict(backbone_indices=(3,), aspp_ratios=(1, 12, 24, 36)),
}

# ImageNet weights of the backbones as PaddleSeg's configs give them (configs/deeplabv3/*.yml, configs/_base_).
PRETRAINED_URLS = {
    "ResNet50_vd": "https://bj.bcebos.com/paddleseg/dygraph/resnet50_vd_ssld_v2.tar.gz",
    "ResNet101_vd": "https://bj.bcebos.com/paddleseg/dygraph/resnet101_vd_ssld.tar.gz",
}
PRETRAINED_OPTION = "the model section's pretrained in the track's lib/configs/<track>.yaml"

_build_ids = itertools.count()


class PretrainedWeightsError(RuntimeError):
    """The backbone's pretrained weights could not be fetched or read (the message says which and how
    to go without them)."""


def paddleseg_backbones() -> list[str]:
    """Every backbone name PaddleSeg 2.8 registers (its ``manager.BACKBONES``), supported here or not."""
    import paddleseg.models  # noqa: F401 (registers the components)
    from paddleseg.cvlibs import manager

    return sorted(manager.BACKBONES.components_dict)


def _resolve(backbone: str) -> str:
    name = BACKBONE_ALIASES.get(backbone, backbone)
    if name not in SUPPORTED_BACKBONES:
        others = sorted(set(paddleseg_backbones()) - set(SUPPORTED_BACKBONES))
        raise ValueError(
            f"unknown DeepLabV3 backbone {backbone!r}; supported (PaddleSeg 2.8, offline): "
            f"{', '.join(SUPPORTED_BACKBONES)} (aliases: "
            f"{', '.join(f'{a} = {b}' for a, b in BACKBONE_ALIASES.items())}). Other PaddleSeg 2.8 backbones, "
            f"not wired for DeepLabV3 here: {', '.join(others)}"
        )
    return name


def backbone_family(backbone: str, output_stride: int | None = None) -> str:
    """The key of BACKBONE_DEFAULTS for a backbone (and a ResNet output stride)."""
    name = _resolve(backbone)
    if name in _RESNETS:
        return f"resnet_os{output_stride or 8}"
    return "mobile_os8" if name.endswith("_os8") else "mobile_os32"


@contextlib.contextmanager
def _quiet_paddleseg():
    """Silence PaddleSeg's INFO lines ("No pretrained model to load ...") while building."""
    from paddleseg.utils import logger

    level = logger.log_level
    logger.log_level = min(level, 1)
    try:
        yield
    finally:
        logger.log_level = level


def _build_backbone(name: str, in_channels: int, output_stride: int | None, multi_grid, pretrained: str | None = None):
    import paddleseg.models.backbones as backbones
    from paddleseg.cvlibs import manager

    # The registry has the _os8 variants; the module has ResNet34_vd (not registered).
    factory = manager.BACKBONES.components_dict.get(name) or getattr(backbones, name)
    kwargs = dict(pretrained=pretrained)
    if in_channels != 3:
        kwargs["in_channels"] = in_channels
    if name in _RESNETS:
        kwargs.update(output_stride=output_stride or 8, multi_grid=tuple(multi_grid or (1, 2, 4)))
    elif output_stride is not None or multi_grid is not None:
        raise ValueError(f"output_stride / multi_grid apply to the ResNet_vd backbones only, not {name}")
    # A fresh parameter-name checker (and a unique prefix for generated names): backbones that name
    # their parameters explicitly build more than once per process.
    with paddle.utils.unique_name.guard(f"deeplab{next(_build_ids)}_"):
        if pretrained is None:
            net = factory(**kwargs)
        else:  # the backbone's init_weight: PaddleSeg's load_pretrained_model (download, then load)
            try:
                net = factory(**kwargs)
            except Exception as exc:  # requests' ConnectionError, a bad archive, a missing file
                from paddleseg.utils.env import seg_env

                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise PretrainedWeightsError(
                    f"cannot load the pretrained {name} weights from {pretrained} ({type(exc).__name__}: {reason}); "
                    f"PaddleSeg looks for a downloaded copy under {seg_env.PRETRAINED_MODEL_HOME}. Without network, "
                    f"copy the unpacked archive there, or train from random initialisation with "
                    f"`pretrained: null` ({PRETRAINED_OPTION})"
                ) from exc
    for p in net.parameters():
        p.name = paddle.utils.unique_name.generate(p.name)
    return net


def check_input_norm(input_norm) -> tuple[float, float] | None:
    """``input_norm`` as (mean, std) floats, or None; a ValueError for anything else (std must be > 0)."""
    if input_norm is None:
        return None
    values = list(input_norm) if isinstance(input_norm, (list, tuple)) else None
    if (
        values is None
        or len(values) != 2
        or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values)
        or not values[1] > 0
    ):
        raise ValueError(f"input_norm must be null or [mean, std] with std > 0, got {input_norm!r}")
    return float(values[0]), float(values[1])


class DeepLabV3Logits(nn.Layer):
    """A PaddleSeg DeepLabV3 (``self.model``) whose ``forward`` returns the logits tensor
    N x num_classes x H x W (PaddleSeg returns ``[logits]``). ``input_norm`` (mean, std): the input,
    RGB in [0, 1], is first mapped to ``(x - mean) / std`` (module doc); None: fed as it is."""

    def __init__(self, model: nn.Layer, backbone_name: str, input_norm=None):
        super().__init__()
        self.model = model
        self.backbone_name = backbone_name
        self.input_norm = check_input_norm(input_norm)

    def normalize(self, x):
        """What ``forward`` feeds PaddleSeg's model: ``(x - mean) / std``, or ``x`` without ``input_norm``."""
        if self.input_norm is None:
            return x
        mean, std = self.input_norm
        return (x - mean) / std

    def forward(self, x):
        return self.model(self.normalize(x))[0]


def deeplabv3(
    num_classes: int = 2,
    backbone: str = "ResNet18_vd",
    backbone_indices: Sequence[int] | None = None,
    aspp_ratios: Sequence[int] | None = None,
    aspp_out_channels: int = 256,
    align_corners: bool = False,
    output_stride: int | None = None,
    multi_grid: Sequence[int] | None = None,
    in_channels: int = 3,
    pretrained: str | None = None,
    input_norm: Sequence[float] | None = None,
) -> DeepLabV3Logits:
    """PaddleSeg DeepLabV3, its backbone randomly initialised (``pretrained=None``, offline) or loaded
    from ``pretrained`` (a URL, e.g. :data:`PRETRAINED_URLS`, or a local .pdparams) by PaddleSeg.

    ``backbone``: a name of SUPPORTED_BACKBONES (or an alias); ``backbone_indices`` /
    ``aspp_ratios`` default to the family's BACKBONE_DEFAULTS; ``output_stride`` (8 or 16) and
    ``multi_grid`` apply to the ResNet_vd backbones (default 8 and (1, 2, 4), PaddleSeg's config).
    ``input_norm``: (mean, std) applied to the [0, 1] input first (module doc; the de-occlusion
    solution's (0.6, 0.2)), None: the input as it is.
    Returns a :class:`DeepLabV3Logits` (forward gives the logits tensor at the input size).
    """
    from paddleseg.models import DeepLabV3

    name = _resolve(backbone)
    input_norm = check_input_norm(input_norm)
    if output_stride not in (None, 8, 16):
        raise ValueError(f"output_stride must be 8 or 16, got {output_stride}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be positive, got {num_classes}")
    defaults = BACKBONE_DEFAULTS[backbone_family(name, output_stride)]
    with _quiet_paddleseg():
        net = _build_backbone(name, in_channels, output_stride, multi_grid, pretrained)
        indices = tuple(backbone_indices if backbone_indices is not None else defaults["backbone_indices"])
        n_feats = len(net.feat_channels)
        if len(indices) != 1 or not 0 <= indices[0] < n_feats:
            raise ValueError(
                f"backbone_indices {list(indices)}: DeepLabV3 reads one feature map and {name} gives "
                f"{n_feats} (channels {list(net.feat_channels)}); pass one index in 0..{n_feats - 1}"
            )
        model = DeepLabV3(
            num_classes,
            net,
            backbone_indices=indices,
            aspp_ratios=tuple(aspp_ratios or defaults["aspp_ratios"]),
            aspp_out_channels=aspp_out_channels,
            align_corners=align_corners,
            pretrained=None,
        )
    return DeepLabV3Logits(model, name, input_norm)


def deeplabv3_from_options(options: dict) -> DeepLabV3Logits:
    """``deeplabv3(**options)``: the ``model:`` section of a track config (lib.train.registry).
    ``input_size`` (h, w), optional: the size the network is trained on, kept as ``model.input_size``
    so whoever loads it later feeds it photos at that size (it changes no weight)."""
    options = dict(options)
    input_size = options.pop("input_size", None)
    model = deeplabv3(**options)
    model.input_size = tuple(int(v) for v in input_size) if input_size else None
    return model
