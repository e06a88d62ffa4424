"""The shared data layer: page rendering (:mod:`.pages`, :mod:`.fonts`, :mod:`.text`), degradations
(:mod:`.degrade`), generated-folder helpers (:mod:`.folders`), one loader and validator of image pairs
for both the generated and a real download (:mod:`.pairs`), augmentation, the winner's preparation
(:mod:`.prepare`: downsample, crops, gradient filter) and its analysis. Each track's own generator
lives in its folder (e.g. :mod:`lib.tracks.deblur.data`); reach it by name through the registry:

    >>> from lib.tracks import get_track
    >>> from lib.data import list_pairs
    >>> root = get_track("deblur").generate_data()    # data/deblur (demo), or $COURSE_DATA
    >>> name, blur_path, gt_path = list_pairs(root / "train")[0]
"""

from .pairs import BLUR_DIR, GT_DIR, DataError, list_pairs, read_image, read_pair, validate_pairs

__all__ = ["BLUR_DIR", "GT_DIR", "DataError", "list_pairs", "read_image", "read_pair", "validate_pairs"]
