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

Folder of the unzipped submission, every script copied byte for byte from the course repository
(lib/tracks/deocclusion/export.py packs it)::

    predict.py                 this script (lib/tracks/deocclusion/predict.py)
    restore_common.py          the command line of every submission: the checks, the loop over the
                               folder, the messages (lib/submission/predict.py)
    repair.py                  the local repair (lib/tracks/deocclusion/repair.py)
    infer/                     image files, runtimes, which runtime loads (lib/infer's standalone
                               modules, as in the deblurring zip)
    deocclusion_meta.json      seg_size and the repair options
    segmenter/  inpainter/     model.json + model.pdiparams (Paddle Inference), model.onnx (ONNX Runtime)

It needs only NumPy, OpenCV and Paddle Inference or ONNX Runtime; it never imports ``lib``. The
behaviour on files is that of the deblurring submission (``restore_common.py``): same names, size,
format, channel layout and bit depth; one bad file is reported and skipped; exit code 0 when every
file was restored, 1 when any failed (listed at the end), 2 for a missing folder or model.
If one backend cannot load or run the networks, the other is tried (``infer/backends.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__:  # imported in the course repository (lib.tracks.deocclusion.predict)
    from ...infer import backends, errors
    from ...submission import predict as common
    from . import repair
else:  # run from the unzipped submission: the same files beside this script
    import repair
    import restore_common as common
    from infer import backends, errors

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
        meta = backends.read_json(meta_path, "de-occlusion metadata")
        try:
            seg_size, options = meta["seg_size"], repair.RepairOptions(**meta["repair"])
        except (KeyError, TypeError) as exc:
            raise errors.MetaError(
                f"the de-occlusion metadata file {meta_path} is damaged "
                f"({errors.first_line(exc)}); unzip the submission again"
            ) from exc
        runners = {}
        for name in NETWORKS:
            try:
                runners[name] = backends.load_runner(model_dir / name, backend, device, threads)
            except errors.MetaError:
                raise
            except Exception as exc:
                raise errors.ModelError(
                    f"the {name} network did not load: "
                    f"{errors.first_line(exc) if not isinstance(exc, errors.ModelError) else exc}"
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
