"""Face blemish retouching, 1st on the A and B boards (notebook 08): gUNet with a K/D head, J = K * I + D + I.

    blemish.py   skin mask, painted blemishes, the K and D maps of the degradation model
    data.py      augmented offline faces in the competition's layout (image/ + groundtruth/)
    loss_mix.py  the per-stage weighted loss (L1 + colour, PSNR, PSNR + MS-SSIM), as ``loss_mix``
    track.py     RetouchTrack: three stages, evaluation with the two quality bars, size budget
    deployment.py  RetouchDeployment: the submission and the app's tab (K and D stitched like the image)
    evaluate.py  PSNR inside / outside the blemishes, inpainting and skin-smoothing baselines,
                 the K-only / D-only ablation
    attempts.py  the write-up's dropped ideas (a mask loss, mask-shift augmentation) as a training
                 task, with the mask estimated from the pair, for lab/bench/bench_retouch_attempts.py
    viz.py       the notebook's figures

Model: lib.models.gunet (RetouchGUNet).
"""

from .track import TRACK, RetouchTrack

TRACKS = (TRACK,)

__all__ = ["RetouchTrack", "TRACK", "TRACKS"]
