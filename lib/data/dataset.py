"""Paddle datasets over the prepared blurred-document data (:mod:`lib.data.prepare`).

* :class:`PairedPatchDataset`: the kept training patches listed by ``meta_info.txt``, randomly
  cropped to the training size, flipped and rotated (identically for both images).
* :class:`PairedImageDataset`: whole pairs of a competition-layout folder, e.g. the downsampled
  validation images ``PrepareResult.val_dir``; no augmentation.

Items are ``(blur, gt)`` float32 arrays, CHW, RGB, in [0, 1]; ``paddle.io.DataLoader`` stacks them
into tensors. This is the only data module that imports Paddle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import paddle

from .augment import augment_pair
from .pairs import DataError, list_pairs, read_image
from .prepare import read_meta_file


def to_chw_float(image: np.ndarray) -> np.ndarray:
    """uint8 HWC RGB -> float32 CHW in [0, 1]."""
    return np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32) / 255.0


class PairedPatchDataset(paddle.io.Dataset):
    """Training pairs from a meta file (one ``<blur path> <gt path>`` per line, relative to it).

    ``patch_size``: side of the random crop (None: the whole stored patch, which then must all
    have one size to be batched). ``augment``: random flips and 90-degree rotations.
    Randomness: item ``i`` of epoch ``e`` draws from ``np.random.default_rng([seed, e, i])``, so the
    same seed gives the same patch regardless of DataLoader workers or order; call
    :meth:`set_epoch` once per pass over the data to get new crops (with iteration-based training:
    ``epoch = iteration // len(dataset)``).
    """

    def __init__(self, meta_file, patch_size: int | None, augment: bool = True, seed: int = 0):
        super().__init__()
        self.meta_file = Path(meta_file)
        self.pairs = read_meta_file(self.meta_file)
        if patch_size is not None and (not isinstance(patch_size, int) or patch_size < 1):
            raise ValueError(f"patch_size must be a positive integer or None, got {patch_size!r}")
        self.patch_size = patch_size
        self.augment = augment
        self.seed = int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.epoch, int(index)])

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int):
        blur_path, gt_path = self.pairs[index]
        blur, gt = read_image(blur_path), read_image(gt_path)
        if blur.shape != gt.shape:
            raise DataError(f"pair {blur_path} / {gt_path}: sizes {blur.shape} and {gt.shape} differ")
        blur, gt = augment_pair(blur, gt, self.patch_size, self.rng(index), flip=self.augment, rotate=self.augment)
        return to_chw_float(blur), to_chw_float(gt)


class PairedImageDataset(paddle.io.Dataset):
    """Whole ``(blur, gt)`` pairs of a competition-layout folder (``blur_image/``, ``gt_image/``),
    in name order; ``names[i]`` is the file name of item ``i``. Images differ in size: use
    ``batch_size=1``."""

    def __init__(self, split_dir):
        super().__init__()
        self.split_dir = Path(split_dir)
        pairs = list_pairs(self.split_dir)
        missing = [name for name, _, gt in pairs if gt is None]
        if not pairs:
            raise DataError(f"{self.split_dir}: no image pairs")
        if missing:
            raise DataError(f"{self.split_dir}: no ground truth for {missing[:5]}{' ...' if len(missing) > 5 else ''}")
        self.pairs = pairs
        self.names = [name for name, _, _ in pairs]

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int):
        _, blur_path, gt_path = self.pairs[index]
        return to_chw_float(read_image(blur_path)), to_chw_float(read_image(gt_path))
