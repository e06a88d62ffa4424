"""Data of the course: a deterministic generator of blurred-document pairs in the competition's
folder layout (:mod:`lib.data.deblur`), and one loader for both the generated and a real download
(:mod:`lib.data.pairs`).

    >>> from lib.data import ensure_dataset, list_pairs, read_image
    >>> root = ensure_dataset()                       # data/deblur (demo), or $COURSE_DATA
    >>> name, blur_path, gt_path = list_pairs(root / "train")[0]
"""
from .deblur import ensure_dataset
from .pairs import BLUR_DIR, GT_DIR, DataError, list_pairs, read_image, read_pair, validate_pairs

__all__ = ["BLUR_DIR", "GT_DIR", "DataError", "ensure_dataset", "list_pairs", "read_image", "read_pair",
           "validate_pairs"]
