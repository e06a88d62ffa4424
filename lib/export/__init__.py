"""Export a trained model for deployment and build the competition submission.

    python -m lib.export --track deblur           # dist/submission.zip from the track's model (lib.export.__main__)
    python -m lib.export --no-tlc --out x.zip     # without TLC

Two deployment formats, both with a dynamic input ``N x 3 x H x W`` (float32 RGB in [0, 1]):

* a Paddle inference model (``paddle.jit.save`` -> ``model.json`` + ``model.pdiparams``), run by
  a Paddle Inference predictor: the GPU when there is one, else the CPU with oneDNN;
* an ONNX model (paddle2onnx) run by ONNX Runtime.

The submission also carries the network as a program of the IR before PIR
(``model_legacy.pdmodel`` + ``model_legacy.pdiparams``, what Paddle 2's inference reads) when the
installed Paddle can write it (:func:`export_paddle_legacy`); Paddle 3.3 can for plain graphs but
not for NAFNet's (its old-IR tracer fails on the padding condition), so ``model_meta.json``'s
``formats`` records which files the zip holds and, for a missing pair, why.

On this CPU both exported paths beat dygraph; for NAFNet on a folder of pages of varying sizes
ONNX Runtime was the faster of the two (bench/README.md), so ``predict.py`` and
:func:`deployed_runner` use it on a CPU and Paddle Inference on a GPU.

Two things had to be fixed to get there (each has a test in tests/test_export.py):

* TLC's local pooling (lib.models.tlc) decides with Python ``if``/``min`` on the feature-map size,
  which is unknown (-1) when tracing a dynamic shape, so it does not trace. Here each
  ``LocalAvgPool2d`` is swapped for :class:`ExportableLocalAvgPool2d`, the same clipped,
  edge-replicated box mean written with tensor ops only (per axis: a cumulative sum, then two
  gathers at clamped window starts), numerically equal to ``local_avg_pool``. Exported, TLC
  adds 0-20 % to the demo model's time on a test page with ONNX Runtime (bench/README.md).
* paddle2onnx 2.1.0 writes the fill value of constant-mode ``Pad`` nodes from uninitialised
  memory (seen: 4e27 instead of 0, varying from run to run; NAFNet's padding sits in an If branch),
  which turns the outputs of sizes that are not multiples of 16 into NaN or garbage. Every constant ``Pad`` of the course's models pads with
  zeros (``F.pad`` default), so the value input is dropped after export (ONNX's default is 0).
  Its default optimiser, polygraphy, pip-installs onnx-graphsurgeon at export time when it is
  missing (it once upgraded NumPy to 2 in this venv; requirements.txt now pins it): export here
  does not use it at all, ONNX Runtime optimises the graph when it loads it.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import lib  # noqa: F401  (quiet logs before paddle)

import numpy as np
import paddle
import paddle.nn as nn

from ..infer import DEFAULT_OVERLAP, DEFAULT_TILE_PIXELS, TILINGS, DygraphRunner, submission_tiling, tlc_model
from ..models.tlc import LocalAvgPool2d
from ..paths import REPO_ROOT
from ..submission.predict import MODEL_META, OnnxRunner, PaddleRunner, first_line, paddle_gpu_available

PREDICT_TEMPLATE = Path(__file__).resolve().parent.parent / "submission" / "predict.py"
DIST_DIR = REPO_ROOT / "dist"
ONNX_OPSET = 13
LEGACY_PREFIX = "model_legacy"  # beside model.json: PaddleRunner tries <prefix>_legacy.pdmodel next


def _box_mean_axis(x, kernel: int, axis: int):
    """Window sums along ``axis`` (2 or 3) with windows clipped to the axis and placed as in
    lib.models.tlc.local_avg_pool: output i sums ``[s, s + k)`` with ``k = min(n, kernel)`` and
    ``s = clip(i - (k - 1) // 2, 0, n - k)``. Returns (sums, k as a tensor)."""
    cumulative = x.cumsum(axis=axis)
    zero = paddle.zeros_like(paddle.slice(cumulative, [axis], [0], [1]))
    padded = paddle.concat([zero, cumulative], axis=axis)  # s[j] = sum of the first j values
    n = paddle.shape(x)[axis]
    k = paddle.minimum(n, paddle.full_like(n, kernel))
    i = paddle.arange(0, n, dtype=n.dtype)
    # maximum/minimum, not clip: clip on int64 tensors gave wrong results in Paddle Inference.
    start = paddle.minimum(paddle.maximum(i - (k - 1) // 2, paddle.zeros_like(i)), n - k)
    return paddle.gather(padded, start + k, axis=axis) - paddle.gather(padded, start, axis=axis), k


class ExportableLocalAvgPool2d(nn.Layer):
    """TLC's local mean with a fixed window, traceable with dynamic H and W (see module doc).

    Equal to ``local_avg_pool(x, kernel_size)`` (broadcast to x's shape when that returns the
    global mean): a window covering the map clips to the whole map, i.e. global pooling."""

    def __init__(self, kernel_size):
        super().__init__()
        self.kernel_size = (int(kernel_size[0]), int(kernel_size[1]))

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}"

    def forward(self, x):
        rows, kh = _box_mean_axis(x, self.kernel_size[0], axis=2)
        # The width axis through a transpose: ONNX Runtime gathers whole rows along axis 2 but
        # single values along axis 3 (measured: the pooling 1.7x slower that way).
        sums, kw = _box_mean_axis(rows.transpose([0, 1, 3, 2]), self.kernel_size[1], axis=2)
        return sums.transpose([0, 1, 3, 2]) / (kh * kw).astype(x.dtype)


class ExportableLeakyReLU(nn.Layer):
    """``max(x, slope * x)``: LeakyReLU for 0 <= slope <= 1, written so paddle2onnx keeps the slope.
    paddle2onnx 2.1.0 exported a conv + ``nn.LeakyReLU(0.2)`` as an ONNX LeakyRelu with ``alpha = 0``
    (a ReLU): measured, the tiny DeepFillv2 generator's ONNX output was 0.03 off dygraph (its
    intermediate layers up to 10); the shipped MIRNetV2 exported within 4e-7 either way, so the
    bug does not hit every graph."""

    def __init__(self, slope: float):
        super().__init__()
        if not 0.0 <= slope <= 1.0:
            raise ValueError(f"ExportableLeakyReLU needs a slope in [0, 1], got {slope}")
        self.slope = float(slope)

    def forward(self, x):
        return paddle.maximum(x, x * self.slope)


def exportable(model: nn.Layer) -> nn.Layer:
    """A copy of ``model`` in eval mode that ``paddle.jit.save`` can trace with dynamic shapes and
    paddle2onnx converts faithfully: each TLC ``LocalAvgPool2d`` (windows already fixed by
    ``to_tlc``) becomes an :class:`ExportableLocalAvgPool2d`, each ``nn.LeakyReLU`` an
    :class:`ExportableLeakyReLU`."""
    clone = copy.deepcopy(model)

    def swap(layer):
        for name, child in layer.named_children():
            if isinstance(child, LocalAvgPool2d):
                if child.kernel_size is None:
                    raise ValueError(f"TLC layer {name!r} has no window yet: convert with lib.models.tlc.to_tlc")
                setattr(layer, name, ExportableLocalAvgPool2d(child.kernel_size))
            elif isinstance(child, nn.LeakyReLU):
                setattr(layer, name, ExportableLeakyReLU(child._negative_slope))
            else:
                swap(child)

    swap(clone)
    clone.eval()
    return clone


def export_paddle(model: nn.Layer, prefix) -> Path:
    """``paddle.jit.save`` with input spec ``[None, 3, None, None]`` (any batch and size) to
    ``<prefix>.json`` + ``<prefix>.pdiparams``; returns the prefix."""
    from paddle.static import InputSpec

    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    channels = int(getattr(model, "img_channel", 3))
    with warnings.catch_warnings():  # dy2static's notes on NAFNet's padding branch, harmless
        warnings.simplefilter("ignore", UserWarning)
        paddle.jit.save(
            exportable(model), str(prefix), input_spec=[InputSpec([None, channels, None, None], "float32", "x")]
        )
    if not prefix.with_suffix(".pdiparams").exists():
        raise RuntimeError(f"paddle.jit.save wrote no {prefix}.pdiparams")
    return prefix


def export_paddle_legacy(model: nn.Layer, prefix) -> Path:
    """The network as :func:`export_paddle` saves it, but as a program of the IR before PIR:
    ``<prefix>.pdmodel`` + ``<prefix>.pdiparams``, what Paddle 2's inference reads (Paddle 3 reads
    both). Paddle 3 writes it under ``paddle.pir_utils.OldIrGuard``; its old-IR tracer fails on
    some graphs (NAFNet's ``if pad_h == 0 and pad_w == 0``: "logical_and(): argument must be Value,
    but got Variable"), then this raises RuntimeError and leaves no file behind."""
    from paddle.static import InputSpec

    prefix = Path(prefix)
    files = [Path(f"{prefix}{suffix}") for suffix in (".pdmodel", ".pdiparams", ".pdiparams.info")]
    guard = getattr(getattr(paddle, "pir_utils", None), "OldIrGuard", None)
    if guard is None:
        raise RuntimeError(f"Paddle {paddle.__version__} has no paddle.pir_utils.OldIrGuard to write a .pdmodel")
    clone = exportable(model)  # copied in dygraph mode: the guard switches to static mode
    channels = int(getattr(model, "img_channel", 3))
    prefix.parent.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings(), guard():
            warnings.simplefilter("ignore")
            paddle.jit.save(clone, str(prefix), input_spec=[InputSpec([None, channels, None, None], "float32", "x")])
    except Exception as exc:  # noqa: BLE001 -- the tracer's own errors: recorded, the export goes on
        for path in files:
            path.unlink(missing_ok=True)
        # dy2static puts the user's code first and the tracer's own error on the last line
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = lines[-1] if lines else first_line(exc)
        raise RuntimeError(
            f"Paddle {paddle.__version__} cannot write this network as a .pdmodel: "
            f"{reason if reason.startswith(type(exc).__name__) else type(exc).__name__ + ': ' + reason}"
        ) from exc
    files[2].unlink(missing_ok=True)  # names for paddle.load only; inference does not read it
    if not (files[0].exists() and files[1].exists()):
        raise RuntimeError(f"paddle.jit.save wrote no {files[0].name} + {files[1].name}")
    return prefix


def _drop_constant_pad_values(graph) -> int:
    """Remove the value input of constant-mode Pad nodes (ONNX default: 0) in ``graph`` and in the
    branches of its If/Loop nodes (NAFNet's padding sits in an If: pad only when needed);
    returns how many."""
    fixed = 0
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == attribute.GRAPH:
                fixed += _drop_constant_pad_values(attribute.g)
            elif attribute.type == attribute.GRAPHS:
                fixed += sum(_drop_constant_pad_values(g) for g in attribute.graphs)
        if node.op_type != "Pad" or len(node.input) < 3:
            continue
        mode = next((a.s.decode() for a in node.attribute if a.name == "mode"), "constant")
        if mode == "constant" and node.input[2]:
            del node.input[2]
            fixed += 1
    return fixed


def export_onnx(prefix, onnx_path, opset: int = ONNX_OPSET) -> Path:
    """Convert the Paddle inference model at ``prefix`` to ONNX with paddle2onnx; returns the path.

    No optimiser runs at export (ONNX Runtime optimises the graph when it loads it), so
    paddle2onnx never tries to pip-install anything.
    """
    import onnx
    import paddle2onnx

    prefix, onnx_path = Path(prefix), Path(onnx_path)
    graph = prefix.with_suffix(".json") if prefix.with_suffix(".json").exists() else prefix.with_suffix(".pdmodel")
    raw = onnx_path.with_name(onnx_path.name + ".raw")
    paddle2onnx.export(
        str(graph),
        str(prefix.with_suffix(".pdiparams")),
        save_file=str(raw),
        opset_version=opset,
        enable_onnx_checker=True,
        optimize_tool="none",
    )
    if not raw.exists():  # paddle2onnx logs conversion errors instead of raising them
        raise RuntimeError(f"paddle2onnx did not convert {graph} (see the log above)")
    model = onnx.load(str(raw))
    _drop_constant_pad_values(model.graph)
    onnx.checker.check_model(model)
    tmp = onnx_path.with_name(onnx_path.name + ".tmp")
    onnx.save(model, str(tmp))
    os.replace(tmp, onnx_path)
    raw.unlink()
    return onnx_path


def check_shape(train_size: int | None, factor: float | None) -> tuple[int, int, int, int]:
    """An odd-sized input larger than the TLC window at full resolution (so TLC's local pooling
    is exercised, and NAFNet's padding to 16), for comparing exported models with dygraph."""
    side = max(int((train_size or 64) * (factor or 1.0) * 1.2), 64) | 1
    return (1, 3, side, side + 10)


def max_abs_error(reference, runner, shape=(1, 3, 101, 77), seed: int = 0) -> float:
    """Largest |runner(x) - reference(x)| on a random input of ``shape`` (values in [0, 1])."""
    x = np.random.default_rng(seed).random(shape, dtype=np.float32)
    expected = DygraphRunner(reference)(x)
    got = runner(x)
    if got.shape != expected.shape:
        raise AssertionError(f"exported model returned shape {got.shape}, dygraph {expected.shape}")
    return float(np.abs(got - expected).max())


def export_model(
    model: nn.Layer,
    out_dir,
    *,
    onnx: bool = True,
    check: tuple | None = None,
    onednn: bool = True,
    legacy: bool = False,
) -> dict:
    """Export ``model`` (plain or TLC) to ``out_dir/model.{json,pdiparams[,onnx]}`` (and, with
    ``legacy``, ``model_legacy.{pdmodel,pdiparams}`` if this Paddle can write them) and compare each
    format with the dygraph model on a ``check`` input (Paddle Inference with oneDNN unless
    ``onednn=False``); returns paths, max abs errors and :func:`formats_of` the folder."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    check = tuple(check or (1, 3, 101, 77))
    start = time.perf_counter()
    prefix = export_paddle(model, out_dir / "model")
    info = {
        "paddle": [str(prefix.with_suffix(".json")), str(prefix.with_suffix(".pdiparams"))],
        "check_shape": list(check),
    }
    info["paddle_max_abs_error"] = max_abs_error(model, PaddleRunner(prefix, device="cpu", onednn=onednn), check)
    if legacy:
        try:
            old = export_paddle_legacy(model, out_dir / LEGACY_PREFIX)
        except RuntimeError as exc:
            info["paddle_legacy_note"] = str(exc)
        else:
            runner = PaddleRunner(old, device="cpu", onednn=onednn)
            info["paddle_legacy_max_abs_error"] = max_abs_error(model, runner, check)
    if onnx:
        path = export_onnx(prefix, out_dir / "model.onnx")
        info["onnx"] = str(path)
        info["onnx_max_abs_error"] = max_abs_error(model, OnnxRunner(path, device="cpu"), check)
    info["formats"] = formats_of(out_dir, info.get("paddle_legacy_note"))
    info["export_seconds"] = time.perf_counter() - start
    return info


def formats_of(folder, legacy_note: str | None = None) -> dict:
    """Which deployment files ``folder`` holds, for ``model_meta.json``: {format: [file names] or
    None}, plus why there is no pre-PIR pair when ``legacy_note`` says."""
    folder = Path(folder)
    pairs = {
        "paddle": ["model.json", "model.pdiparams"],
        "paddle_legacy": [f"{LEGACY_PREFIX}.pdmodel", f"{LEGACY_PREFIX}.pdiparams"],
        "onnx": ["model.onnx"],
    }
    formats = {name: files if all((folder / f).is_file() for f in files) else None for name, files in pairs.items()}
    if formats["paddle_legacy"] is None and legacy_note:
        formats["paddle_legacy_note"] = legacy_note
    return formats


def model_files(formats: dict) -> list[str]:
    """The file names of :func:`formats_of`'s formats, in a stable order."""
    return [f for name in ("paddle", "paddle_legacy", "onnx") for f in (formats.get(name) or [])]


def deployed_runner(model: nn.Layer, backend: str = "auto", onednn: bool = True):
    """``model`` exported to a temporary folder and loaded for fast inference, as ``predict.py``
    would run it: ``backend`` "paddle" (Paddle Inference: GPU if there is one, else CPU with
    oneDNN unless ``onednn=False``), "onnx" (ONNX Runtime) or "auto" (Paddle on a GPU, ONNX
    Runtime on a CPU: see ``backend_order`` in lib/submission/predict.py). The runtime keeps
    the model in memory, so the folder is deleted at once. Use it as ``predict_image(runner, image)``."""
    if backend == "auto":
        backend = "paddle" if paddle_gpu_available() else "onnx"
    with tempfile.TemporaryDirectory(prefix="deployed_") as tmp:
        prefix = export_paddle(model, Path(tmp) / "model")
        if backend == "paddle":
            runner = PaddleRunner(prefix, onednn=onednn)
        elif backend == "onnx":
            runner = OnnxRunner(export_onnx(prefix, Path(tmp) / "model.onnx"))
        else:
            raise ValueError(f"unknown backend {backend!r} (paddle, onnx or auto)")
    runner.multiple = int(getattr(model, "padder_size", 16))
    return runner


def write_zip(out_zip: Path, folder: Path, names: list[str]) -> None:
    """``out_zip`` holding ``folder/<name>`` for each name (paths inside the zip as given), written
    to a temporary name and renamed: a reader never sees half a submission."""
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    tmp_zip = out_zip.with_name(out_zip.name + ".tmp")
    with zipfile.ZipFile(tmp_zip, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.write(folder / name, arcname=name)
    os.replace(tmp_zip, out_zip)


def build_submission(
    model: nn.Layer,
    out_zip=None,
    *,
    tlc: bool = False,
    tlc_factor: float | None = None,
    tlc_train_size: int | None = None,
    profile: str | None = None,
    tile_pixels: int = DEFAULT_TILE_PIXELS,
    overlap: int = DEFAULT_OVERLAP,
    onnx: bool = True,
    tolerance: float = 1e-3,
    tiling: str | None = None,
) -> dict:
    """Write ``out_zip`` (default dist/submission.zip): predict.py, the exported model (with TLC
    if ``tlc``: factor and training size as given, else from the ``tlc`` section of ``profile``'s
    config, see lib.infer.tlc_model) and model_meta.json, whose ``tiling`` predict.py follows
    (``tiling`` as given, else the ``submission`` section of the model's track for ``profile``,
    see lib.infer.submission_tiling: the deblur ``full`` profile cuts the winner's 4 quadrants).
    Raises if an exported format disagrees with the dygraph model by more than ``tolerance`` on an
    odd-sized input. Returns the metadata."""
    out_zip = Path(out_zip) if out_zip else DIST_DIR / "submission.zip"
    tiling = tiling or submission_tiling(profile, getattr(model, "track", None))
    if tiling not in TILINGS:
        raise ValueError(f"unknown tiling {tiling!r}; choose one of {', '.join(TILINGS)}")
    model.eval()
    deployed = tlc_model(model, tlc_factor, tlc_train_size, profile=profile) if tlc else model
    with tempfile.TemporaryDirectory(prefix="submission_") as tmp:
        folder = Path(tmp)
        settings = getattr(deployed, "tlc", None) or {}
        info = export_model(
            deployed,
            folder,
            onnx=onnx,
            check=check_shape(settings.get("train_size"), settings.get("factor")),
            legacy=True,
        )
        for key in ("paddle_max_abs_error", "paddle_legacy_max_abs_error", "onnx_max_abs_error"):
            if key in info and not info[key] <= tolerance:
                raise RuntimeError(f"exported model disagrees with dygraph: {key} = {info[key]:.3g} > {tolerance}")
        source = getattr(model, "checkpoint_path", None)
        meta = {
            "format": 1,
            "input": "float32 N x 3 x H x W, RGB in [0, 1]; any H, W (padded inside to the multiple)",
            "multiple": int(getattr(model, "padder_size", 16)),
            "tiling": tiling,
            "tile_pixels": int(tile_pixels),
            "overlap": int(overlap),
            "tlc": getattr(deployed, "tlc", None),
            "source_checkpoint": str(Path(source).resolve().relative_to(REPO_ROOT))
            if source and Path(source).resolve().is_relative_to(REPO_ROOT)
            else (str(source) if source else None),
            "paddle_max_abs_error": info["paddle_max_abs_error"],
            "paddle_legacy_max_abs_error": info.get("paddle_legacy_max_abs_error"),
            "onnx_max_abs_error": info.get("onnx_max_abs_error"),
            "check_shape": info["check_shape"],
            "paddle_version": paddle.__version__,
            "formats": info["formats"],
        }
        (folder / MODEL_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        shutil.copyfile(PREDICT_TEMPLATE, folder / "predict.py")
        names = ["predict.py", MODEL_META] + model_files(info["formats"])
        write_zip(out_zip, folder, names)
    meta["zip"] = str(out_zip)
    meta["files"] = names
    meta["zip_bytes"] = out_zip.stat().st_size
    meta["export_seconds"] = info["export_seconds"]
    return meta


def predict_imports(path=PREDICT_TEMPLATE) -> list[str]:
    """Top-level modules a predict.py imports (read from its source, not by running it)."""
    import ast

    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    names = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    names |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
    }
    return sorted(names - {"__future__"})


def write_awkward_inputs(folder, rgb: np.ndarray) -> dict:
    """Fill ``folder`` with the files a predict.py must survive, made from an RGB uint8 image:
    grayscale, RGBA, 16-bit, 1 x 1, odd-sized JPEG and names with spaces and Chinese characters
    (restorable), plus a text file, a corrupt PNG and an empty file (to be reported). Returns
    {"restorable": [...], "bad": [...]} file names."""
    import cv2

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    images = {
        "灰度 扫描件.png": cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY),
        "rgba.png": np.dstack([bgr, np.full(rgb.shape[:2], 200, np.uint8)]),
        "deep 16-bit.png": bgr.astype(np.uint16) * 257,
        "one pixel.png": bgr[:1, :1],
        "odd size.jpg": bgr[:, :-1] if rgb.shape[1] % 2 == 0 else bgr,
    }
    for name, pixels in images.items():
        ok, data = cv2.imencode(Path(name).suffix, pixels)
        if not ok:
            raise RuntimeError(f"OpenCV could not encode {name}")
        data.tofile(str(folder / name))
    (folder / "readme.txt").write_text("not an image", encoding="utf-8")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (folder / "empty.jpg").write_bytes(b"")
    return {"restorable": sorted(images), "bad": ["broken.png", "empty.jpg", "readme.txt"]}


def run_submission(folder, src_dir, save_dir, *args, timeout: float = 3600):
    """Run ``python predict.py src_dir save_dir [args]`` as the competition would: a fresh
    process, working directory ``folder`` (the unzipped submission), no PYTHONPATH and no
    course variables. Returns (CompletedProcess, wall seconds)."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COURSE_PROFILE", "COURSE_DATA")}
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "predict.py", str(src_dir), str(save_dir), *map(str, args)],
        cwd=str(folder),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return result, time.perf_counter() - start
