"""What the denoising solution ships: a copy of MIRNetV2 that Paddle Inference with oneDNN can run
(:func:`deployable`), ``dist/denoise_submission.zip``, the app's tab with the difference map, and the solution's
``infer.py``-style path through the exported model::

    python -m lib.tracks.denoise export DIR [--checkpoint CKPT]              # DIR/model.{json,pdiparams,onnx}
    python -m lib.tracks.denoise infer NOISY.png OUT.png [--model-dir DIR]   # through the exported model
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from lib.tracks.deployment import Classical, Deployment

from .baselines import nl_means

TRACK = "denoise"
COMMANDS = "Export the denoising model, or denoise one image through the exported model."


class DenoiseDeployment(Deployment):
    title_zh = "真实噪声去噪（MIRNetV2）"
    intro_zh = "MIRNetV2 去除相机的真实噪声；右边是经典的非局部均值去噪，差异图显示各自去掉的噪声。"
    example_source = ("denoise", "test/Data/0006_003_SY_09600_00100_5500_N/0006_NOISY_SRGB_010.PNG")
    classical = Classical("NL-means (skimage)", "非局部均值去噪", nl_means, {"h_factor": 3.0}, {"h_factor": "强度系数"})
    card_metrics = (("psnr", "PSNR", "{:.2f} dB"), ("ssim", "SSIM", "{:.3f}"))

    def exportable(self, model, profile=None, **variant):
        """The :func:`deployable` copy, as the submission exports it."""
        return deployable(model)

    def build_submission(self, model, out_zip=None, **options) -> dict:
        """dist/denoise_submission.zip with predict.py, of the :func:`deployable` copy of ``model``."""
        return super().build_submission(deployable(model), out_zip, **options)


def _leaky_relu_layer(slope: float):
    import paddle

    class MaxLeakyReLU(paddle.nn.Layer):
        """``max(x, slope * x)``: LeakyReLU for 0 < slope < 1, as plain ops."""

        def __init__(self):
            super().__init__()
            self.slope = float(slope)

        def forward(self, x):
            return paddle.maximum(x, x * self.slope)

    return MaxLeakyReLU()


def _bilinear_up2_layer():
    import paddle
    import paddle.nn.functional as F

    class BilinearUp2(paddle.nn.Layer):
        """2x bilinear upsampling with ``align_corners=False`` written out: every output pixel is
        0.75 x its source pixel + 0.25 x the neighbour on its side (edges replicated), per axis."""

        def forward(self, x):
            xp = F.pad(x, [1, 1, 1, 1], mode="replicate")
            mid = xp[:, :, 1:-1]
            rows = paddle.stack([0.25 * xp[:, :, :-2] + 0.75 * mid, 0.75 * mid + 0.25 * xp[:, :, 2:]], axis=3)
            rows = rows.flatten(2, 3)
            mid = rows[:, :, :, 1:-1]
            cols = paddle.stack([0.25 * rows[:, :, :, :-2] + 0.75 * mid, 0.75 * mid + 0.25 * rows[:, :, :, 2:]], axis=4)
            return cols.flatten(3, 4)

    return BilinearUp2()


def deployable(model):
    """A copy of a MIRNetV2 that Paddle Inference with oneDNN can run, numerically the same
    network: on this Paddle (3.3) the oneDNN passes crash on a conv followed by ``LeakyReLU``
    (segfault building the fused conv) and cannot run ``bilinear_interp`` (its empty ``scale``
    attribute), so each ``nn.LeakyReLU`` becomes ``max(x, 0.2 x)`` and each bilinear
    ``nn.Upsample`` its explicit 0.75 / 0.25 weights (tests/tracks/denoise/test_denoise.py checks the equality)."""
    import copy

    import paddle.nn as nn

    clone = copy.deepcopy(model)

    def swap(layer):
        for name, child in layer.named_children():
            if isinstance(child, nn.LeakyReLU):
                setattr(layer, name, _leaky_relu_layer(child._negative_slope))
            elif isinstance(child, nn.Upsample):
                if child.mode != "bilinear" or child.align_corners or child.scale_factor not in (2, 2.0):
                    raise ValueError(f"deployable: only 2x bilinear upsampling without align_corners, got {child}")
                setattr(layer, name, _bilinear_up2_layer())
            else:
                swap(child)

    swap(clone)
    clone.eval()
    return clone


def export_for_inference(model, out_dir, onnx: bool = True) -> dict:
    """``model`` (as :func:`deployable`) exported to ``out_dir/model.json + model.pdiparams`` (and
    ``model.onnx``), each checked against dygraph on an odd size (:func:`lib.export.export_model`)."""
    from lib.export import export_model

    return export_model(deployable(model), out_dir, onnx=onnx, check=(1, 3, 67, 45))


def infer_image(src, dst, model_dir=None, backend: str = "auto", checkpoint=None) -> dict:
    """The solution's ``infer.py``: denoise one image file ``src`` into ``dst`` through an exported model
    (``model_dir`` from :func:`export_for_inference`, or the track's model exported to a temporary
    folder first). Grayscale, RGBA and 16-bit files are written back in kind. Returns timings."""
    from lib.infer import load_runner, read_image_file, restore_array, write_image_file
    from lib.tracks import get_track

    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise FileNotFoundError(f"no input image {src}")
    image, info = read_image_file(src)
    with tempfile.TemporaryDirectory(prefix="denoise_export_") as tmp:
        if model_dir is None:
            model_dir = Path(tmp)
            export_for_inference(get_track(TRACK).load_model(checkpoint), model_dir, onnx=backend == "onnx")
        start = time.perf_counter()
        runner = load_runner(model_dir, backend)
        loaded = time.perf_counter()
        restored = restore_array(runner, image)
        done = time.perf_counter()
    dst.parent.mkdir(parents=True, exist_ok=True)
    write_image_file(dst, restored, info)
    return {
        "backend": type(runner).__name__,
        "device": runner.device,
        "shape": list(image.shape),
        "load_seconds": loaded - start,
        "seconds": done - loaded,
    }


def main(argv=None) -> int:
    from lib.tracks import get_track

    parser = argparse.ArgumentParser(prog="python -m lib.tracks.denoise", description=COMMANDS)
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export", help="export the model (Paddle Inference + ONNX) to a folder")
    exp.add_argument("out_dir", type=Path)
    exp.add_argument("--checkpoint", type=Path, default=None, help="default: your run, else the shipped model")
    exp.add_argument("--no-onnx", action="store_true")
    inf = sub.add_parser("infer", help="denoise one image through the exported model")
    inf.add_argument("image", type=Path)
    inf.add_argument("out", type=Path)
    inf.add_argument("--model-dir", type=Path, default=None, help="an exported folder (default: export now)")
    inf.add_argument("--checkpoint", type=Path, default=None)
    inf.add_argument("--backend", choices=["auto", "paddle", "onnx"], default="auto")
    args = parser.parse_args(argv)
    from lib.export.parity import parity_summary

    try:
        if args.command == "export":
            info = export_for_inference(
                get_track(TRACK).load_model(args.checkpoint), args.out_dir, onnx=not args.no_onnx
            )
            print(f"exported to {args.out_dir}: {parity_summary(info)}")
        else:
            info = infer_image(args.image, args.out, args.model_dir, args.backend, args.checkpoint)
            print(
                f"{args.image} -> {args.out}: {info['shape'][1]} x {info['shape'][0]}, {info['backend']} on "
                f"{info['device']}, {info['seconds']:.3f} s"
            )
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
