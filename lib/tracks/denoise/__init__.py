"""Real-image denoising with MIRNetV2 (notebook 07): SIDD layout, camera noise, progressive learning.

    camera_noise.py  Brooks et al.'s pipeline: unprocess, shot + read noise, process
    data.py          SIDD-Medium's scene layout from offline photos, the reference code's patches
    tasks.py         the training task: restoration + the solution's output clipping and MixUp
    track.py         DenoiseTrack: training data, evaluation per ISO, noise sweep
    deployment.py    DenoiseDeployment: the oneDNN-safe copy of the network, the submission, the app's tab,
                     ``python -m lib.tracks.denoise export|infer``
    baselines.py     NL-means, wavelet, TV and OpenCV denoisers, tuned on validation patches

Model: lib.models.mirnet_v2.
"""

from .deployment import DenoiseDeployment, main
from .track import TRACK, DenoiseTrack

TRACKS = (TRACK,)

__all__ = ["DenoiseDeployment", "DenoiseTrack", "TRACK", "TRACKS", "main"]
