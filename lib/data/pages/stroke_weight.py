"""Bolder or lighter ink on a rendered page (deblur's stroke-width augmentation)."""

from __future__ import annotations

import math

import cv2
import numpy as np


def change_stroke_weight(page: np.ndarray, grow: float) -> np.ndarray:
    """Dark ink on light paper made bolder (``grow`` > 0) or lighter (< 0) by ``|grow|`` px on each
    side of every stroke: a grey-level erosion (bolder) or dilation (lighter) by a 3 x 3 square,
    repeated ``ceil(|grow|)`` times and blended back for the fractional part."""
    if grow == 0:
        return page
    steps = math.ceil(abs(grow))
    op = cv2.erode if grow > 0 else cv2.dilate  # erosion spreads the darker value: the ink
    moved = op(page, np.ones((3, 3), np.uint8), iterations=steps, borderType=cv2.BORDER_REPLICATE)
    return page + (abs(grow) / steps) * (moved - page)
