"""Paired augmentation for restoration training: random crop, flips and 90-degree rotations applied
identically to the blurred image and its sharp ground truth (as BasicSR's ``paired_random_crop``
and ``augment``), so the pair stays pixel-aligned. :func:`augment_arrays` does the same for any
number of aligned arrays (an image, its mask and its ground truth; an image and its label map).

Every random choice is drawn from the ``numpy.random.Generator`` passed in: the same generator
state gives the same patch. No Paddle here; :mod:`lib.data.dataset` wraps it in a Dataset.
"""

from __future__ import annotations

import numpy as np


def _check_pair(blur: np.ndarray, gt: np.ndarray) -> None:
    if blur.shape[:2] != gt.shape[:2]:
        raise ValueError(
            f"blurred {blur.shape} and sharp {gt.shape} images differ in size; "
            "a pair must be aligned before augmentation"
        )


def _check_aligned(arrays) -> None:
    if not arrays:
        raise ValueError("nothing to augment: no arrays given")
    if any(a.shape[:2] != arrays[0].shape[:2] for a in arrays):
        raise ValueError(
            f"arrays of one sample differ in size: {[a.shape for a in arrays]}; "
            "they must be aligned before augmentation"
        )


def _check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")


def pad_to(image: np.ndarray, size: int) -> np.ndarray:
    """Mirror-pad at the bottom/right (``numpy.pad`` mode ``symmetric``) so both sides are at least
    ``size``; used when a stored patch is smaller than the training crop (an image smaller than the
    preparation's window). Mirroring keeps paper texture instead of inventing a flat border."""
    bottom, right = max(0, size - image.shape[0]), max(0, size - image.shape[1])
    if not bottom and not right:
        return image
    widths = ((0, bottom), (0, right)) + ((0, 0),) * (image.ndim - 2)
    return np.pad(image, widths, mode="symmetric")


def random_crop(arrays, size: int, rng: np.random.Generator) -> tuple:
    """The same random ``size`` x ``size`` window of every array (each padded first if smaller)."""
    _check_aligned(arrays)
    _check_rng(rng)
    if size < 1:
        raise ValueError(f"crop size must be positive, got {size}")
    arrays = [pad_to(a, size) for a in arrays]
    height, width = arrays[0].shape[:2]
    y = int(rng.integers(0, height - size + 1))
    x = int(rng.integers(0, width - size + 1))
    return tuple(a[y : y + size, x : x + size] for a in arrays)


def paired_random_crop(
    blur: np.ndarray, gt: np.ndarray, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The same random ``size`` x ``size`` window of both images (padded first if smaller)."""
    _check_pair(blur, gt)
    return random_crop((blur, gt), size, rng)


def flip_rotate(arrays, rng: np.random.Generator, flip: bool = True, rotate: bool = True, vflip: bool = True) -> tuple:
    """Random horizontal flip, vertical flip (``flip``) and rotation by 0/90/180/270 degrees
    (``rotate``), the same for every array. Together they reach all 8 symmetries of a square.
    ``vflip=False`` keeps the vertical flip off while ``flip`` is on (horizontal flips only: a
    face stays upright). The draws are made whether or not a transform is enabled, so switching
    one off does not change the others for a given seed."""
    _check_aligned(arrays)
    _check_rng(rng)
    do_hflip, do_vflip = rng.random() < 0.5, rng.random() < 0.5
    turns = int(rng.integers(0, 4))

    def apply(image):
        if flip and do_hflip:
            image = image[:, ::-1]
        if flip and vflip and do_vflip:
            image = image[::-1, :]
        if rotate and turns:
            image = np.rot90(image, turns)
        return np.ascontiguousarray(image)

    return tuple(apply(a) for a in arrays)


def paired_flip_rotate(
    blur: np.ndarray, gt: np.ndarray, rng: np.random.Generator, flip: bool = True, rotate: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`flip_rotate` of a blurred/sharp pair."""
    _check_pair(blur, gt)
    return flip_rotate((blur, gt), rng, flip=flip, rotate=rotate)


def augment_arrays(
    arrays, size: int | None, rng: np.random.Generator, flip: bool = True, rotate: bool = True, vflip: bool = True
) -> tuple:
    """Random crop of ``size`` (None: keep the whole arrays), then flips and rotations, the same
    for every array of one sample (see :func:`flip_rotate` for the options)."""
    if size is not None:
        arrays = random_crop(arrays, size, rng)
    return flip_rotate(arrays, rng, flip=flip, rotate=rotate, vflip=vflip)


def augment_pair(
    blur: np.ndarray, gt: np.ndarray, size: int | None, rng: np.random.Generator, flip: bool = True, rotate: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Random crop of ``size`` (None: keep the whole image), then flips and rotations."""
    _check_pair(blur, gt)
    return augment_arrays((blur, gt), size, rng, flip=flip, rotate=rotate)
