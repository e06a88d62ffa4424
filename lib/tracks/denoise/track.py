"""Track ``denoise``: real-image denoising with MIRNetV2, reproduced and shipped like a model-zoo entry
(the solution: sldyns/MIRNetV2_paddle; notebook 07).

Data: :mod:`lib.tracks.denoise.data` writes SIDD-Medium's scene layout from clean offline photos made noisy
with Brooks et al.'s camera pipeline (:mod:`lib.tracks.denoise.camera_noise`) and cuts the solution's patches.
Model: :mod:`lib.models.mirnet_v2`. Training: :mod:`lib.tracks.denoise.tasks` (the engine's
``restoration_psnr_ssim`` plus the solution's output clipping and MixUp, used by ``full``) with the
solution's progressive schedule in epochs of the prepared patches (lib/configs/denoise.yaml).
Evaluation: held-out scenes against the
noisy input and the classical denoisers of :mod:`lib.tracks.denoise.baselines` tuned on the validation
patches, per ISO, and a noise-level sweep. Deployment: :mod:`lib.export` and an ``infer.py``-style
single-image path through the exported model::

    python -m lib.tracks.denoise export DIR [--checkpoint CKPT]              # DIR/model.{json,pdiparams,onnx}
    python -m lib.tracks.denoise infer NOISY.png OUT.png [--model-dir DIR]   # through the exported model
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from lib.tracks.base import Track

from .tasks import DenoiseTask

TUNE_MAX_IMAGES = 8  # validation patches the classical denoisers are tuned on
SWEEP_ISOS = (200, 400, 800, 1600, 3200, 6400, 9600, 12800)
SEED_EPOCHS, SEED_BATCHES, SEED_PATCHES = (30, 15, 10, 5), (8, 6, 4, 2), (128, 160, 192, 256)
SIDD_MEDIUM_PATCHES = 320 * 300  # SIDD-Medium's 320 image pairs x the solution's --num_patches 300


def epochs_to_iters(epochs, batch_sizes, n_patches: int) -> list[int]:
    """Iterations of each progressive stage: ``ceil(epochs * n_patches / batch)`` (one epoch is
    one pass over the patches, as the solution's DataLoader counts it; what
    lib.train.schedule.resolve_epochs does with the ``full`` schedule when training starts)."""
    from lib.train.schedule import epoch_iterations

    if len(epochs) != len(batch_sizes):
        raise ValueError(f"{len(epochs)} epoch counts for {len(batch_sizes)} batch sizes")
    return [epoch_iterations(e, b, n_patches) for e, b in zip(epochs, batch_sizes)]


class DenoiseTrack(Track):
    name = "denoise"
    title = "Real-image denoising: MIRNetV2 (Paddle reproduction), progressive learning, SIDD layout"
    model_name = "mirnetv2"
    task = DenoiseTask
    notebooks = ("07_mirnetv2_denoising",)
    models = ("lib.models.mirnet_v2",)
    sections = ("data", "model", "prepare", "train")
    full_train_samples = SIDD_MEDIUM_PATCHES  # the epochs of full's schedule count these

    def model_spec(self, cfg: dict) -> dict:
        """``{config: <MIRNET_CONFIGS name>, ...overrides}`` -> the registry spec with every option spelled out."""
        from lib.models.mirnet_v2 import MIRNET_CONFIGS

        spec = dict(cfg["model"])
        name = spec.pop("config", None)
        if name is not None and name not in MIRNET_CONFIGS:
            raise ValueError(
                f"lib/configs/denoise.yaml model: unknown config {name!r}; known: {', '.join(MIRNET_CONFIGS)}"
            )
        return {"name": "mirnet_v2", **(MIRNET_CONFIGS[name] if name else {}), **spec}

    # ------------------------------------------------------------------ data
    def generate_data(self, profile=None, out=None, *, seed=0, force=False, workers=None) -> Path:
        from .data import ensure_dataset

        return ensure_dataset(profile, out, seed=seed, force=force, workers=workers)

    def check_data(self, root) -> list[str]:
        """SIDD-Medium's scene folders, the generated test/Data and the solution's SIDD_patches, every
        problem at once (:func:`lib.tracks.denoise.data.check_root`)."""
        from .data import check_root

        return check_root(root)

    def prepare(self, profile=None, source=None, force=False):
        from .data import prepare_patches

        return prepare_patches(profile, source=source, force=force)

    def test_inputs(self, root, board="SIDD_patches/val") -> Path:
        """The noisy images of SIDD's validation blocks, ``SIDD_patches/val/input``."""
        from .data import INPUT_DIR, SIDD_VAL

        return Path(root) / SIDD_VAL / INPUT_DIR

    def check_full_data(self, data_dir, work, profile="full"):
        """:func:`lib.tracks.denoise.data.check_full_root`: SIDD's layout, a val board without ground truth."""
        from .data import check_full_root

        return check_full_root(data_dir, work, profile)

    def train_data(self, prepared):
        from lib.train.engine import TrainData

        train = prepared.pairs("train")
        val = [(f"val/{inp.name}", inp, gt) for inp, gt in prepared.pairs("val")]
        return TrainData(train=train, all=train + [(i, g) for _, i, g in val], val=val)

    def build_submission(self, model, out_zip=None, **options) -> dict:
        """dist/denoise_submission.zip with predict.py, of the :func:`deployable` copy of ``model``."""
        return super().build_submission(deployable(model), out_zip, **options)

    def trained_iso_range(self, profile=None) -> tuple[float, float]:
        lo, hi = self.config(profile)["data"]["iso_range"]
        return float(lo), float(hi)

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, model, profile=None, data=None, val=None, sweep: bool = True, out=None) -> dict:
        """Held-out scenes (``test/Data``, else SIDD's validation blocks ``SIDD_patches/val``): the
        noisy input, each classical denoiser tuned on validation patches, and ``model``; overall and
        per ISO (levels outside the training range marked), plus the noise-level sweep
        (:func:`noise_sweep`). ``SIDD_patches/val`` without ``groundtruth/``: the model restores it
        into ``out`` and nothing is scored (:meth:`Track.predict_board`)."""
        from lib.data.pairs import has_ground_truth, read_image
        from lib.paths import data_root

        from .data import GT_DIR, INPUT_DIR, SIDD_VAL, TEST_DATA, scene_iso, test_scenes

        root = Path(data or data_root(self.name, profile))
        board = root / SIDD_VAL
        if (
            not (root / TEST_DATA).is_dir()
            and (board / INPUT_DIR).is_dir()
            and not has_ground_truth(board, input_dir=INPUT_DIR, gt_dir=GT_DIR)
        ):
            return self.predict_board(model, self.test_inputs(root), profile, SIDD_VAL, out)
        if val is None:
            prepared = self.prepare(profile, source=data)
            val = [(f"val/{i.name}", i, g) for i, g in prepared.pairs("val")]
        where, test = test_scenes(root)
        if not test:
            where, test = "validation patches (the data root has no test/Data)", list(val)
        test_images = [(name, read_image(n), read_image(g)) for name, n, g in test]
        tuning = [(read_image(n), read_image(g)) for _, n, g in spread(val, TUNE_MAX_IMAGES)]
        lo, hi = self.trained_iso_range(profile)
        result = compare_denoisers(
            test_images, tuning, model, isos=[scene_iso(n) for n, _, _ in test], trained_range=(lo, hi)
        )
        result["evaluated_on"] = where
        result["trained_iso_range"] = [lo, hi]
        if sweep:
            best = best_classical(result["methods"])
            result["sweep"] = noise_sweep(
                model, [clean for _, _, clean in test_images], SWEEP_ISOS, classical=(best["method"], best["params"])
            )
        return result


def spread(items: list, count: int) -> list:
    """``count`` items spread evenly over ``items`` (all of them if there are fewer)."""
    if len(items) <= count:
        return list(items)
    return [items[int(i)] for i in np.linspace(0, len(items) - 1, count).round()]


def best_classical(rows: list[dict]) -> dict:
    """The classical row with the highest PSNR (rows as :func:`compare_denoisers` gives them)."""
    return max((r for r in rows if r["kind"] == "classical"), key=lambda r: r["psnr"])


def compare_denoisers(test_images, tuning_pairs, model=None, methods=None, isos=None, trained_range=None) -> dict:
    """Score the noisy input, every classical denoiser (parameters tuned on ``tuning_pairs`` of
    (noisy, clean) uint8 images) and ``model`` on ``test_images`` of (name, noisy, clean).
    Returns ``{"methods": rows, "by_iso": [...]}``: rows of method, kind, params, psnr, ssim,
    seconds_per_image; per ISO (``isos``, one per test image, e.g. from the scene names) the same
    rows and whether the level lies in ``trained_range``."""
    from lib.infer import predict_image
    from lib.metrics import psnr, ssim

    from . import baselines as db

    restorers = [("noisy input", "input", {}, lambda x: x)]
    for name in methods or db.METHODS:
        params, _ = db.tune(name, tuning_pairs)
        fn = db.METHODS[name][0]
        restorers.append((name, "classical", params, lambda x, fn=fn, p=params: fn(x, **p)))
    if model is not None:
        model.eval()
        restorers.append(("MIRNetV2", "model", {}, lambda x: predict_image(model, x)))
    scores = {name: [] for name, *_ in restorers}
    for _, noisy, clean in test_images:
        for name, _, _, restore in restorers:
            start = time.perf_counter()
            out = restore(noisy)
            seconds = time.perf_counter() - start
            scores[name].append((psnr(out, clean), ssim(out, clean), seconds))

    def rows(indices):
        return [
            {
                "method": name,
                "kind": kind,
                "params": params,
                "psnr": float(np.mean([scores[name][i][0] for i in indices])),
                "ssim": float(np.mean([scores[name][i][1] for i in indices])),
                "seconds_per_image": float(np.mean([scores[name][i][2] for i in indices])),
            }
            for name, kind, params, _ in restorers
        ]

    result = {"methods": rows(range(len(test_images))), "images": len(test_images), "by_iso": []}
    if isos is not None and all(i is not None for i in isos):
        for iso in sorted(set(isos)):
            indices = [k for k, v in enumerate(isos) if v == iso]
            trained = None if trained_range is None else bool(trained_range[0] <= iso <= trained_range[1])
            result["by_iso"].append(
                {"iso": int(iso), "trained": trained, "images": len(indices), "methods": rows(indices)}
            )
    return result


def noise_sweep(model, clean_images, isos=SWEEP_ISOS, classical=None, seed: int = 0) -> dict:
    """PSNR of the noisy input, ``model`` and (optionally) a tuned classical denoiser
    ``(method name, params)`` at each ISO: every clean image is made noisy anew at that level
    (:func:`lib.tracks.denoise.camera_noise.synthesize`, generator ``(seed, ISO, image)``)."""
    from lib.infer import predict_image
    from lib.metrics import psnr

    from . import baselines as db
    from .camera_noise import synthesize

    out = {"isos": [int(i) for i in isos], "noisy_psnr": [], "model_psnr": [], "classical": None, "classical_psnr": []}
    if classical:
        out["classical"] = {"method": classical[0], "params": classical[1]}
    for iso in isos:
        rows = []
        for k, image in enumerate(clean_images):
            clean, noisy, _ = synthesize(image, np.random.default_rng([seed, int(iso), k]), iso=float(iso))
            row = [psnr(noisy, clean), psnr(predict_image(model, noisy), clean)]
            if classical:
                row.append(psnr(db.METHODS[classical[0]][0](noisy, **classical[1]), clean))
            rows.append(row)
        means = np.mean(rows, axis=0)
        out["noisy_psnr"].append(float(means[0]))
        out["model_psnr"].append(float(means[1]))
        if classical:
            out["classical_psnr"].append(float(means[2]))
    out["model_gain"] = [m - n for m, n in zip(out["model_psnr"], out["noisy_psnr"])]
    return out


# the methods' names as the notebook shows them (lib.tracks.denoise.baselines.METHODS, the input and the model)
METHOD_ZH = {
    "noisy input": "带噪输入",
    "NL-means (skimage)": "非局部均值（skimage）",
    "wavelet (skimage)": "小波收缩（skimage）",
    "TV Chambolle (skimage)": "全变差 Chambolle（skimage）",
    "fastNlMeansDenoisingColored (OpenCV)": "彩色快速非局部均值（OpenCV）",
    "MIRNetV2": "MIRNetV2",
}


def method_zh(name: str) -> str:
    """A method's name in Chinese (unknown names unchanged)."""
    return METHOD_ZH.get(name, name)


def format_table(rows: list[dict]) -> str:
    """The evaluation rows as a text table with Chinese headers and method names (method, PSNR, SSIM,
    seconds per image, parameters)."""
    lines = ["方法" + " " * 26 + f"{'PSNR':>8}{'SSIM':>8}{'每张秒数':>8}  参数"]  # aligned as the rows below
    for r in rows:
        params = ", ".join(f"{k}={v:g}" for k, v in r["params"].items())
        name = method_zh(r["method"])
        pad = 30 - sum(2 if ord(ch) > 0x2E80 else 1 for ch in name)  # CJK characters take two columns
        lines.append(
            f"{name}{' ' * max(pad, 1)}{r['psnr']:8.2f}{r['ssim']:8.4f}{r['seconds_per_image']:12.3f}  {params}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------- infer.py-style deployment
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
    from lib.submission.predict import load_runner, read_image_file, restore_array, write_image_file

    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise FileNotFoundError(f"no input image {src}")
    image, info = read_image_file(src)
    with tempfile.TemporaryDirectory(prefix="denoise_export_") as tmp:
        if model_dir is None:
            model_dir = Path(tmp)
            export_for_inference(TRACK.load_model(checkpoint), model_dir, onnx=backend == "onnx")
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
    parser = argparse.ArgumentParser(prog="python -m lib.tracks.denoise", description=__doc__.split("\n\n")[0])
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
    try:
        if args.command == "export":
            info = export_for_inference(TRACK.load_model(args.checkpoint), args.out_dir, onnx=not args.no_onnx)
            print(
                f"exported to {args.out_dir}: max |exported - dygraph| Paddle Inference "
                f"{info['paddle_max_abs_error']:.2e}"
                + (f", ONNX Runtime {info['onnx_max_abs_error']:.2e}" if "onnx_max_abs_error" in info else "")
            )
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


TRACK = DenoiseTrack()

if __name__ == "__main__":
    sys.exit(main())
