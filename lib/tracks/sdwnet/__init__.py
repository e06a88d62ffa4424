"""SDWNet on the blurred documents (notebook 06): straight dilated blocks, a Haar-wavelet branch,
Charbonnier + SSIM, offline sliding-window vs online crops.

    track.py   SDWNetTrack: its own preparation of the deblur pages, crops, training, evaluation
    deployment.py  SDWNetDeployment: edge-padded, the submission, the app's tab
    lab.py     the write-up's claims as short multi-seed runs (also lab/bench/bench_sdwnet.py)
    viz.py     receptive fields of dilated vs plain stacks, wavelet sub-bands

Same competition as lib.tracks.deblur: its data (data/deblur, through the registry by that track's name) and
the evaluation both share (lib.evaluate). Model: lib.models.sdwnet (+ lib.models.wavelet).
"""

from .track import TRACK, SDWNetTrack

TRACKS = (TRACK,)

__all__ = ["SDWNetTrack", "TRACK", "TRACKS"]
