#!/usr/bin/env python
"""Remove what covers the document in every photo of a folder: ``python predict.py src_image_dir save_dir``.

The entry point of a submission to the Baidu Netdisk AI "document image de-occlusion" competition
(the course's rebuild of the 5th / 7th-place solution). For each photo:

1. the segmenter (DeepLabV3) scores every pixel on the photo shrunk to ``seg_size`` (the seed:
   1/6 of the photo, 640 x 480), turned to portrait first if it is landscape; the scores are
   enlarged back and ``score > 0`` is the mask of what covers the page;
2. the inpainter (DeepFillv2) repairs a square crop of side ``crop`` around each covered area,
   shrunk by ``shrink`` (the seed: 1536 / 6 = 256), and only the (dilated) masked pixels are pasted
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
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

try:  # the unzipped submission: the helpers sit next to this file (the script's folder is on sys.path)
    import deocclusion_repair as repair
    import restore_common as common
except ImportError:  # the course repository
    from lib.submission import predict as common
    from lib.tracks.deocclusion import repair

PIPELINE_META = "deocclusion_meta.json"


class Pipeline(repair.Deoccluder):
    """The two exported networks of ``model_dir`` behind :class:`Deoccluder` (``restore_image``)."""

    def __init__(self, model_dir, backend: str = "auto", device: str = "auto", threads: int | None = None):
        model_dir = Path(model_dir)
        meta_path = model_dir / PIPELINE_META
        if not meta_path.is_file():
            raise FileNotFoundError(f"{meta_path} not found (is this an unzipped de-occlusion submission?)")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        segment = common.load_runner(model_dir / "segmenter", backend, device, threads)
        inpaint = common.load_runner(model_dir / "inpainter", backend, device, threads)
        super().__init__(segment, inpaint, meta["seg_size"], repair.RepairOptions(**meta["repair"]))
        self.device = f"{type(segment).__name__} on {segment.device}"


def main(argv=None) -> int:
    return common.main(argv, load_pipeline=Pipeline,
                       description="Remove hands, heads and objects covering the document in every photo "
                                   "of src_image_dir; write the repaired photos to save_dir.")


if __name__ == "__main__":
    sys.exit(main())
