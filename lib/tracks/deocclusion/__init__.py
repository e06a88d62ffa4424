"""Document de-occlusion (notebook 09): PaddleSeg DeepLabV3 finds what covers the page, DeepFillv2
repairs a local crop. Two tracks, one folder: ``deocclusion`` (the inpainter) and
``deocclusion_seg`` (the segmenter), with one options file.

    occluders.py  hands, fingers, heads, pens, sticky notes, coins, phone edges with soft shadows
    data.py       the competition's layout, its loader and check, masks, prepared crops
    repair.py     the pipeline: mask, dilation, local crop repair shrunk by r (one crop, the solution's,
                  or one per component), global repair, OpenCV Telea / NS, mIoU and boundary F
    tasks.py      the training tasks ``segmentation`` and ``deepfill_gan``
    losses.py     their losses with the solution's weights (halved hinge, coarse L1 0.5, class weights)
    track.py      DeocclusionTrack and DeocclusionSegTrack: data, training, evaluation
    deployment.py their deployments: the pipeline on a photo or a board, the submission, the app's tab
    export.py     both networks exported, the submission zip
    predict.py    the zip's ``predict.py``: segment, then repair locally
    lab.py        the notebook's measurements (short runs, dilation study, update counts, timing)
    viz.py        the notebook's figures

Models: lib.models.deeplab (PaddleSeg DeepLabV3), lib.models.deepfillv2.
"""

from .track import SEG_TRACK, TRACK, DeocclusionSegTrack, DeocclusionTrack

TRACKS = (TRACK, SEG_TRACK)

__all__ = ["DeocclusionSegTrack", "DeocclusionTrack", "SEG_TRACK", "TRACK", "TRACKS"]
