"""Export the de-occlusion pipeline's two networks and pack its submission.

The solution shipped two ONNX models and a script; here both networks go out in both formats, each
with one input so the course's runners (``lib/infer/runtimes.py``) drive them unchanged:

* ``segmenter/``: DeepLabV3, ``float32 N x 3 x H x W`` RGB in [0, 1] -> ``N x 1 x H x W`` occluder
  score (logit of "occluder" minus logit of "page"; positive = occluded), :class:`SegmenterExport`;
* ``inpainter/``: the DeepFillv2 generator with its spectral norms folded into plain weights
  (``remove_spectral_norm``: dy2static does not trace the hook), ``N x 4 x H x W`` (RGB in [0, 1],
  then the hole mask, 1 = hole; H, W multiples of 4) -> ``N x 3 x H x W`` refined output,
  :class:`InpainterExport`.

``dist/deocclusion_submission.zip`` holds ``predict.py`` (lib/tracks/deocclusion/predict.py),
what it imports, each a file copied byte for byte (``restore_common.py`` = lib/submission/predict.py:
the command line; ``repair.py`` = lib/tracks/deocclusion/repair.py: the local repair; ``infer/`` =
lib/infer's standalone modules, as in every zip: lib.export.carry_infer), both model folders and
``deocclusion_meta.json`` (segmenter input size, repair options, export checks).
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import paddle
import paddle.nn as nn

from lib.export import DIST_DIR, MODEL_META, PREDICT_TEMPLATE, carry_infer, export_model, model_files, write_zip
from lib.export.parity import parity_fields
from lib.models.deepfillv2 import remove_spectral_norm
from lib.paths import shown_path

from .predict import NETWORKS, PIPELINE_META
from .repair import RepairOptions

SUBMISSION_ZIP = "deocclusion_submission.zip"
HERE = Path(__file__).resolve().parent
# zip name -> source file: the entry point and the two modules it imports besides infer/ (never ``lib``)
SCRIPTS = {
    "predict.py": HERE / "predict.py",
    "restore_common.py": PREDICT_TEMPLATE,
    "repair.py": HERE / "repair.py",
}


class SegmenterExport(nn.Layer):
    """A segmentation network (N x 2 logits) as one occluder score map N x 1 x H x W."""

    img_channel = 3

    def __init__(self, segmenter: nn.Layer):
        super().__init__()
        self.segmenter = segmenter

    def forward(self, x):
        logits = self.segmenter(x)
        return logits[:, 1:2] - logits[:, 0:1]


class InpainterExport(nn.Layer):
    """A DeepFillv2 generator with one input: RGB and the hole mask concatenated (N x 4 x H x W);
    returns its refined output (the caller keeps the known pixels). Spectral norms are folded on
    a copy, so the trained generator is left as it was."""

    img_channel = 4

    def __init__(self, generator: nn.Layer):
        super().__init__()
        self.generator = remove_spectral_norm(copy.deepcopy(generator))
        self.generator.eval()

    def forward(self, x):
        coarse, refined = self.generator(x[:, :3], x[:, 3:4])
        return refined


def _relative(path) -> str | None:
    if not path:
        return None
    return shown_path(path)


def export_networks(
    segmenter: nn.Layer,
    generator: nn.Layer,
    out_dir,
    *,
    onnx: bool = True,
    tolerance: float | None = None,
    flip_tolerance: float | None = None,
) -> dict:
    """``out_dir/segmenter`` and ``out_dir/inpainter`` (Paddle Inference + ONNX), each compared with
    dygraph on an odd-sized input (the inpainter's sides: multiples of 4, as it requires) by
    lib.export.parity: the segmenter on its decision (the pipeline keeps only the score's sign: the
    share of pixels whose class flips, at most ``flip_tolerance``), the inpainter on its relative error
    (at most ``tolerance``); None: that module's bounds. Raises if a format fails. Returns each
    network's export info."""
    out_dir = Path(out_dir)
    segmenter.eval()
    generator.eval()
    wrapped = {
        "segmenter": (SegmenterExport(segmenter), (1, 3, 97, 75), "decision"),
        "inpainter": (InpainterExport(generator), (1, 4, 92, 68), "relative"),
    }
    infos = {}
    for name, (layer, check, judge) in wrapped.items():
        layer.eval()
        info = export_model(
            layer,
            out_dir / name,
            onnx=onnx,
            check=check,
            onednn=False,
            legacy=True,
            judge=judge,
            tolerance=tolerance,
            flip_tolerance=flip_tolerance,
            label=name,
        )
        # Paddle 3.3's oneDNN interpolation kernels reject the op's list-of-doubles attribute
        # ("ConvertPirAttribute2RuntimeAttribute not support"): both networks upsample, so their
        # Paddle Inference predictor runs the plain CPU kernels (load_runner reads this).
        (out_dir / name / MODEL_META).write_text(json.dumps({"onednn": False}) + "\n", encoding="utf-8")
        infos[name] = info
    return infos


def export_pipeline(
    segmenter: nn.Layer,
    generator: nn.Layer,
    folder,
    *,
    seg_size,
    repair: dict,
    onnx: bool = True,
    tolerance: float | None = None,
    flip_tolerance: float | None = None,
) -> dict:
    """Both networks exported into ``folder`` (:func:`export_networks`) and the pipeline's metadata
    beside them (``seg_size`` = the segmenter's input (h, w), ``repair`` = the ``repair`` options of
    lib/configs/deocclusion.yaml): a folder ``predict.py``'s ``Pipeline`` loads. Returns the metadata."""
    folder = Path(folder)
    infos = export_networks(segmenter, generator, folder, onnx=onnx, tolerance=tolerance, flip_tolerance=flip_tolerance)
    meta = {
        "format": 1,
        "pipeline": "deocclusion",
        "seg_size": [int(v) for v in seg_size],
        "repair": RepairOptions.from_config(repair).as_dict(),
        "networks": {
            name: {
                "input": (
                    "float32 N x 3 x H x W, RGB in [0, 1]"
                    if name == "segmenter"
                    else "float32 N x 4 x H x W: RGB in [0, 1], hole mask (1 = hole); H, W multiples of 4"
                ),
                "source_checkpoint": _relative(getattr(net, "checkpoint_path", None)),
                **parity_fields(infos[name]),
                "check_shape": infos[name]["check_shape"],
                "formats": infos[name]["formats"],
            }
            for name, net in (("segmenter", segmenter), ("inpainter", generator))
        },
        "paddle_version": paddle.__version__,
    }
    (folder / PIPELINE_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def build_submission(
    segmenter: nn.Layer,
    generator: nn.Layer,
    out_zip=None,
    *,
    seg_size,
    repair: dict,
    onnx: bool = True,
    tolerance: float | None = None,
    flip_tolerance: float | None = None,
) -> dict:
    """Write ``out_zip`` (default dist/deocclusion_submission.zip): the scripts, lib/infer's standalone
    modules (``infer/``) and the folder of :func:`export_pipeline`. Returns the metadata."""
    out_zip = Path(out_zip) if out_zip else DIST_DIR / SUBMISSION_ZIP
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="deocclusion_submission_") as tmp:
        folder = Path(tmp)
        meta = export_pipeline(
            segmenter,
            generator,
            folder,
            seg_size=seg_size,
            repair=repair,
            onnx=onnx,
            tolerance=tolerance,
            flip_tolerance=flip_tolerance,
        )
        for name, source in SCRIPTS.items():
            shutil.copyfile(source, folder / name)
        names = [*SCRIPTS, *carry_infer(folder), PIPELINE_META] + [
            f"{net}/{f}" for net in NETWORKS for f in [MODEL_META, *model_files(meta["networks"][net]["formats"])]
        ]
        write_zip(out_zip, folder, names)
    meta.update(
        zip=str(out_zip), files=names, zip_bytes=out_zip.stat().st_size, export_seconds=time.perf_counter() - start
    )
    return meta


def unpack(zip_path, folder) -> Path:
    """Unzip a submission into ``folder`` (as the competition would) and return it."""
    folder = Path(folder)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(folder)
    return folder


__all__ = [
    "SegmenterExport",
    "InpainterExport",
    "export_networks",
    "export_pipeline",
    "build_submission",
    "unpack",
    "PIPELINE_META",
    "SUBMISSION_ZIP",
]
