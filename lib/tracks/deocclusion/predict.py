#!/usr/bin/env python
"""Remove what covers the document in every photo of a folder: ``python predict.py src_image_dir save_dir``.

The entry point of a submission to the Baidu Netdisk AI "document image de-occlusion" competition
(the course's rebuild of the 5th / 7th-place solution). For each photo:

1. the segmenter (DeepLabV3) scores every pixel on the photo shrunk to ``seg_size`` (the solution:
   1/6 of the photo, 640 x 480), turned to portrait first if it is landscape; the scores are
   enlarged back and ``score > 0`` is the mask of what covers the page;
2. the inpainter (DeepFillv2) repairs a square crop of side ``crop`` around each covered area,
   shrunk by ``shrink`` (the solution: 1536 / 6 = 256), and only the (dilated) masked pixels are pasted
   back with a feathered edge; every other pixel keeps its value.

Folder of the unzipped submission::

    predict.py                 this script (lib/tracks/deocclusion/predict.py in the course)
    restore_common.py          image files, runners, the folder loop (lib/submission/predict.py)
    deocclusion_repair.py      the local repair (lib/tracks/deocclusion/repair.py)
    deocclusion_meta.json      seg_size and the repair options
    segmenter/  inpainter/     model.json + model.pdiparams (Paddle Inference), model.onnx (ONNX Runtime)

It needs only NumPy, OpenCV and Paddle Inference or ONNX Runtime; it never imports ``lib``. The
behaviour on files is that of the deblurring submission (``restore_common.py``): same names, size,
format, channel layout and bit depth; one bad file is reported and skipped; exit code 0 when every
file was restored, 1 when any failed (listed at the end), 2 for a missing folder or model.
If one backend cannot load or run the networks, the other is tried (``restore_common.Backends``).
"""

from __future__ import annotations

import sys
from pathlib import Path

try:  # the unzipped submission: the helpers sit next to this file (the script's folder is on sys.path)
    import deocclusion_repair as repair
    import restore_common as common
except ImportError:  # the course repository
    from lib.submission import predict as common
    from lib.tracks.deocclusion import repair

PIPELINE_META = "deocclusion_meta.json"
NETWORKS = ("segmenter", "inpainter")


class Pipeline(repair.Deoccluder):
    """The two exported networks of ``model_dir`` behind :class:`Deoccluder` (``restore_image``).
    A network that does not load is a ``ModelError`` naming it (segmenter / inpainter) and its
    files; a damaged ``deocclusion_meta.json`` a ``MetaError`` naming the file."""

    def __init__(self, model_dir, backend: str = "auto", device: str = "auto", threads: int | None = None):
        model_dir = Path(model_dir)
        meta_path = model_dir / PIPELINE_META
        if not meta_path.is_file():
            raise FileNotFoundError(f"{meta_path} not found (is this an unzipped de-occlusion submission?)")
        meta = common.read_json(meta_path, "de-occlusion metadata")
        try:
            seg_size, options = meta["seg_size"], repair.RepairOptions(**meta["repair"])
        except (KeyError, TypeError) as exc:
            raise common.MetaError(
                f"the de-occlusion metadata file {meta_path} is damaged "
                f"({common.first_line(exc)}); unzip the submission again"
            ) from exc
        runners = {}
        for name in NETWORKS:
            try:
                runners[name] = common.load_runner(model_dir / name, backend, device, threads)
            except common.MetaError:
                raise
            except Exception as exc:
                raise common.ModelError(
                    f"the {name} network did not load: "
                    f"{common.first_line(exc) if not isinstance(exc, common.ModelError) else exc}"
                ) from exc
        segment, inpaint = runners["segmenter"], runners["inpainter"]
        super().__init__(segment, inpaint, seg_size, options)
        self.device = f"{type(segment).__name__} on {segment.device}"


def main(argv=None) -> int:
    return common.main(
        argv,
        load_pipeline=Pipeline,
        description="Remove hands, heads and objects covering the document in every photo "
        "of src_image_dir; write the repaired photos to save_dir.",
    )


if __name__ == "__main__":
    sys.exit(main())
