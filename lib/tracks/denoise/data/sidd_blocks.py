"""SIDD's official validation set as it is downloaded: two MATLAB files of 256 x 256 sRGB blocks,
``ValidationNoisyBlocksSrgb.mat`` and ``ValidationGtBlocksSrgb.mat`` (each an array under the file's own
name, images x blocks x 256 x 256 x 3, uint8). The solution validated on these blocks as PNGs
(``SIDD_patches/val/input|groundtruth/<image>-<block>.png``, e.g. ``0000-0000.png``); this module
reads the MATLAB files and writes those PNGs, so either download serves."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from lib.data.pairs import DataError

from .layout import GT_DIR, INPUT_DIR, SIDD_VAL

NOISY_MAT, GT_MAT = "ValidationNoisyBlocksSrgb.mat", "ValidationGtBlocksSrgb.mat"


def find_validation_mats(root) -> tuple[Path, Path] | None:
    """The (noisy, ground truth) MATLAB files under ``root`` or its ``SIDD_patches/val``, else None."""
    for folder in (Path(root), Path(root) / SIDD_VAL):
        noisy, gt = folder / NOISY_MAT, folder / GT_MAT
        if noisy.is_file() and gt.is_file():
            return noisy, gt
    return None


def read_blocks(path) -> np.ndarray:
    """The blocks of one SIDD validation file (images x blocks x H x W x 3, uint8, RGB); a DataError
    naming the file when it is not such an array."""
    from scipy.io import loadmat

    path = Path(path)
    key = path.stem
    try:
        content = loadmat(path)
    except Exception as err:  # noqa: BLE001 -- scipy raises assorted errors on a foreign, truncated or v7.3 file
        raise DataError(f"{path}: not a readable MATLAB file ({err})") from err
    if key not in content:
        names = sorted(k for k in content if not k.startswith("__"))
        raise DataError(f"{path}: no array {key!r} in it (it has {names})")
    blocks = content[key]
    if blocks.ndim != 5 or blocks.shape[-1] != 3 or blocks.dtype != np.uint8:
        raise DataError(f"{path}: {key} should be images x blocks x H x W x 3 uint8, got {blocks.shape} {blocks.dtype}")
    return blocks


def write_block_pngs(noisy_mat, gt_mat, out) -> int:
    """``out/input`` and ``out/groundtruth``: every block as ``<image>-<block>.png`` (the solution's
    names); returns the number of pairs. The two files must hold blocks of the same shape."""
    noisy, gt = read_blocks(noisy_mat), read_blocks(gt_mat)
    if noisy.shape != gt.shape:
        raise DataError(f"{noisy_mat} holds {noisy.shape} blocks but {gt_mat} holds {gt.shape}")
    out = Path(out)
    for sub in (INPUT_DIR, GT_DIR):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for i in range(noisy.shape[0]):
        for k in range(noisy.shape[1]):
            name = f"{i:04d}-{k:04d}.png"
            for sub, blocks in ((INPUT_DIR, noisy), (GT_DIR, gt)):
                cv2.imwrite(str(out / sub / name), cv2.cvtColor(blocks[i, k], cv2.COLOR_RGB2BGR))
    return noisy.shape[0] * noisy.shape[1]
