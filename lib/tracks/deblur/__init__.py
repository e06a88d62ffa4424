"""Blurred-document restoration, 1st place (notebooks 00-05): NAFNet, progressive training, TLC,
4 tiles, ``predict.py``.

    data.py       the sample-data generator in the competition's layout (pages, blur, JPEG)
    track.py      DeblurTrack: data check, preparation (2x downsample, crops, gradient filter),
                  training data, evaluation, publishing
    deployment.py DeblurDeployment: NAFNet + TLC, the submission, the app's tab (tiling, TLC, OCR)
    evaluate.py   the shared evaluation of blurred pages (lib.evaluate: the model vs the input and the
                  tuned classical baselines, OCR readability on test_A, the held-out fonts and blur, and
                  real scans) with NAFNet's row; which model a notebook shows; method names in Chinese
    baselines.py  lib.evaluate.deconvolution under this track's name: unsharp masking, Richardson-Lucy
                  and Wiener, tuned on validation pages
    claims.py     the write-up's claims (2x downsample, gradient filter, progressive patches, all-data
                  fine-tune, TLC) as measured ablations: verdicts, tables, figures (notebooks 01, 03, 04)
    strokes.py    a recorded readability bench read back (stroke widths, OCR confusions, per-page
                  CERs paired with bootstrap intervals; TLC and the reading over 30 pages) for notebooks
                  00, 02, 03 and 04, from the path it gives
    cost.py       the full schedule's cost: estimated GPU hours (make check-full's record) and GPU
                  memory per stage (notebook 00)

Shared layers it uses: lib.data.prepare (the solution's data preparation), lib.models.nafnet,
lib.models.tlc, lib.infer (whole / tiles / TLC), lib.evaluate, lib.submission.predict, lib.export. The
SDWNet track (lib.tracks.sdwnet) is a second solution of this competition: it reads this track's data
through the registry, by name, and scores with the same shared evaluation.
"""

from .track import TRACK, DeblurTrack

TRACKS = (TRACK,)

__all__ = ["DeblurTrack", "TRACK", "TRACKS"]
