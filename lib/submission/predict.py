#!/usr/bin/env python
"""Restore every image of a folder: ``python predict.py src_image_dir save_dir``.

The entry point of a submission to the Baidu Netdisk AI blurred-document competition, which ran
it on its own machine (V100, Paddle or ONNX Runtime, 1.2 s per image). It needs only NumPy, OpenCV
and either Paddle Inference or ONNX Runtime, and the files unzipped next to it:

    predict.py                     this script: the command line, the checks made before a model
                                   loads, the loop over the folder and its messages
    infer/                         the inference code, imported by this script: the course's
                                   lib/infer modules that need nothing else, copied byte for byte
                                   when the zip was packed. tiling.py (which tiles the network
                                   sees), blend.py (restoring an image tile by tile), image_files.py
                                   (reading and writing in kind), folder.py (one bad file skipped),
                                   runtimes.py (Paddle Inference, ONNX Runtime), backends.py
                                   (model_meta.json, which runtime loads, the other in reserve),
                                   errors.py
    model.json + model.pdiparams   the network saved by ``paddle.jit.save`` (Paddle Inference, Paddle 3)
    model_legacy.pdmodel + .pdiparams  the same as a pre-PIR program, when the exporting Paddle could
                                   write one (older Paddle Inference reads only this; optional)
    model.onnx                     the same network for ONNX Runtime (optional)
    model_meta.json                how to feed it: padding multiple, tiling (the winner's 4
                                   quadrants or overlapping tiles), tile budget, overlap, TLC;
                                   ``formats`` lists which of the files above the zip holds

(In the course repository this file is ``lib/submission/predict.py`` and ``infer/`` is
``lib/infer``: imported as ``lib.submission.predict`` it runs the very same modules from there. Run
from the zip it never imports ``lib``: the competition unzips it alone. lib/export/package.py
packs the zip.)

Behaviour:

* Every visible file of ``src_image_dir`` is restored into ``save_dir`` under the same name, with
  the same size, format (file extension), channel layout and bit depth: grayscale stays
  grayscale, the alpha channel of RGBA passes through unchanged, 16-bit PNG/TIFF stays 16-bit.
  Files are read with ``np.fromfile`` + ``cv2.imdecode`` and written with ``cv2.imencode`` +
  ``tofile`` (``cv2.imread`` cannot open non-ASCII paths on Windows), each to a temporary name
  first and then renamed.
* Backend: Paddle Inference first on a GPU when there is one; on a CPU, ONNX Runtime first if
  installed (it was faster than Paddle Inference + oneDNN on a folder of pages of varying sizes),
  else Paddle Inference + oneDNN. If the first cannot load the model (a damaged file, a Paddle too
  old for ``model.json``) the other one is tried; if it fails on an image, the other one tries that
  image and, if it succeeds, keeps the rest (images already written stay). What ran and why the
  other did not is printed. ``--backend paddle|onnx`` asks for one only, ``--device cpu|gpu`` for a
  device.
* Checked before any model loads: the source folder exists, the output folder can be created and
  written to, ``model_meta.json`` is readable. Each is a clear message and exit code 2.
* One bad file (not an image, corrupt, a truncated JPEG, unsupported pixel type) is reported and
  skipped; the others are still restored. The exit code is 0 when every file was restored, 1 when
  any failed (the failures are listed at the end) or the source folder holds no file, 2 for a
  missing or unusable folder or model.
* Tiling (``tiling`` in ``model_meta.json``, ``--tiling`` overrides it):

  - ``quadrants``: the 1st-place solution's ``test_code/predict.py`` (``clip_img`` / ``concat_img``):
    every image cut at ``int(h / 2)`` and ``int(w / 2)`` into 4 tiles without overlap or padding
    (on an odd side the bottom / right tiles are one pixel longer), each restored alone (the
    network pads it to its multiple itself) and stitched back edge to edge. A tile is a quarter of
    the image, so memory grows with the image (a 2K test page: ~1 MP tiles).
  - ``overlap`` (the default of a metadata file without ``tiling``): memory is bounded; an image
    whose (padded) size exceeds ``tile_pixels`` is restored in overlapping tiles of at most
    ``tile_pixels`` pixels, blended with linear ramps over the overlap. Besides the network's own
    memory for one tile, the image itself costs its input and output arrays plus a float32 band
    one tile high (``memory_estimate`` in ``infer/blend.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

if __package__:  # imported in the course repository (lib.submission.predict): lib/infer itself
    from ..infer import backends, blend, errors, folder, image_files, tiling
else:  # run from the unzipped submission: infer/ beside this script holds the same modules' files
    from infer import backends, blend, errors, folder, image_files, tiling

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
read_image_file = image_files.read_image_file  # the name notebook 09 imports from here


def main(argv=None, load_pipeline=None, description: str | None = None) -> int:
    """The command line. ``load_pipeline(model_dir, backend, device, threads)``: instead of one
    tiled network, an object whose ``restore_image(image)`` restores a whole image and whose
    ``device`` says where it runs (the de-occlusion submission's two networks)."""
    os.environ.setdefault("GLOG_minloglevel", "2")  # Paddle's C++ log: errors only (read when paddle loads)
    parser = argparse.ArgumentParser(description=description or "Restore every image of src_image_dir into save_dir.")
    parser.add_argument("src_image_dir", help="folder of input images")
    parser.add_argument("save_dir", help="folder for the restored images (created if missing)")
    parser.add_argument(
        "--backend",
        choices=["auto", "paddle", "onnx"],
        default="auto",
        help="auto: Paddle Inference on a GPU, else ONNX Runtime (else Paddle + oneDNN), "
        "then the other if the first fails; paddle or onnx: that one only",
    )
    parser.add_argument("--device", choices=["auto", "cpu", "gpu"], default="auto")
    parser.add_argument(
        "--model-dir",
        default=str(Path(__file__).resolve().parent),
        help="folder with the model files (default: next to this script)",
    )
    parser.add_argument(
        "--tile-pixels",
        type=int,
        default=None,
        help="largest tile in pixels (memory bound); default from model_meta.json",
    )
    parser.add_argument("--overlap", type=int, default=None, help="tile overlap in pixels")
    parser.add_argument(
        "--tiling",
        choices=tiling.TILINGS,
        default=None,
        help="quadrants: the winner's 4 tiles; overlap: blended tiles within --tile-pixels "
        "(default: model_meta.json's tiling, else overlap)",
    )
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all usable cores)")
    parser.add_argument("--timings", default=None, help="write per-image seconds and pixels to this JSON file")
    parser.add_argument("--quiet", action="store_true", help="print only failures and the summary")
    args = parser.parse_args(argv)

    def fail(message: str, code: int = EXIT_USAGE) -> int:
        print(f"error: {message}", file=sys.stderr)
        return code

    # Everything that needs no model is checked first: a bad folder costs seconds, not a folder's run.
    src, save = Path(args.src_image_dir), Path(args.save_dir)
    if not src.is_dir():
        return fail(f"source folder not found: {src}")
    try:
        image_files.prepare_save_dir(save, src)
        meta = backends.read_meta(args.model_dir)
    except (OSError, ValueError, errors.MetaError) as exc:
        return fail(str(exc))
    tile_pixels = args.tile_pixels or meta.get("tile_pixels", tiling.DEFAULT_TILE_PIXELS)
    overlap = args.overlap if args.overlap is not None else meta.get("overlap", tiling.DEFAULT_OVERLAP)
    multiple = meta.get("multiple", tiling.DEFAULT_MULTIPLE)
    cut = args.tiling or meta.get("tiling", "overlap")
    if cut not in tiling.TILINGS:
        return fail(
            f"{Path(args.model_dir) / backends.MODEL_META}: unknown tiling {cut!r} (expected "
            f"{' or '.join(tiling.TILINGS)}); unzip the submission again"
        )
    if not image_files.list_inputs(src):
        return fail(
            f"no files in the source folder {src}; nothing restored (the output folder {save} is empty)", EXIT_FAILED
        )

    def load(backend):
        if load_pipeline:
            return load_pipeline(args.model_dir, backend, args.device, args.threads)
        return backends.load_runner(args.model_dir, backend, args.device, args.threads)

    def restore_with(model, image):
        if load_pipeline:
            return model.restore_image(image)
        return blend.restore_array(
            model, image, tile_pixels=tile_pixels, overlap=overlap, multiple=multiple, tiling=cut
        )

    order = backends.backend_order(args.device) if args.backend == "auto" else [args.backend]
    try:
        start = time.perf_counter()
        loaded = backends.Backends(load, order, restore_with)
        load_s = time.perf_counter() - start
    except (ImportError, FileNotFoundError, RuntimeError, ValueError) as exc:
        return fail(f"cannot load the model from {args.model_dir}: {exc}")
    run = loaded.current
    # Said even with --quiet: a backend that did not load is a failure of its own.
    for name, reason in loaded.skipped:
        print(f"{backends.BACKEND_NAMES[name]} not used: {reason}")
    if not args.quiet:
        reserve = [backends.BACKEND_NAMES[name] for name in loaded.waiting]
        why = (
            f"--backend {args.backend}"
            if args.backend != "auto"
            else "auto: "
            + ("the first choice did not load" if loaded.skipped else "the first choice here")
            + (f"; {', '.join(reserve)} in reserve" if reserve else "")
        )
        print(f"backend: {backends.BACKEND_NAMES[run.backend]} ({why})")
        print(
            f"model: {type(run).__name__} on {run.device}, loaded in {load_s:.1f} s"
            + (
                ""
                if load_pipeline
                else "; "
                + (
                    "the winner's 4 quadrants (cut at half height and width, stitched edge to edge)"
                    if cut == "quadrants"
                    else f"tiles of at most {tile_pixels} pixels, overlap {overlap}"
                )
            )
        )

    def log_each(paths):  # the progress line first, so a file's FAILED line follows its own
        for k, path in enumerate(paths, 1):
            if not args.quiet:
                print(f"[{k}/{len(paths)}] {path.name}", flush=True)
            yield path

    try:
        report = folder.restore_folder(
            None, src, save, wrap=log_each, log=(lambda *_: None) if args.quiet else print, restore=loaded.restore
        )
    except (FileNotFoundError, ValueError, OSError) as exc:
        return fail(str(exc))
    seconds = sum(t["seconds"] for t in report["timings"])
    megapixels = sum(t["pixels"] for t in report["timings"]) / 1e6
    n_ok = len(report["restored"])
    summary = f"restored {n_ok} of {report['files']} files into {save} in {seconds:.2f} s"
    if n_ok:
        summary += f" ({seconds / n_ok:.3f} s per image, {seconds / max(megapixels, 1e-9):.3f} s per megapixel)"
    print(summary)
    if args.timings:
        run = loaded.current
        Path(args.timings).write_text(
            json.dumps(
                {"device": run.device, "backend": type(run).__name__, "load_seconds": load_s, **report}, indent=1
            ),
            encoding="utf-8",
        )
    if report["failed"]:
        print(f"{len(report['failed'])} file(s) failed:")
        for name, reason in report["failed"]:
            print(f"  {name}: {reason}")
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
