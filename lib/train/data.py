"""Training data for the engine: keyed random patches, so a resumed run sees the same batches.

Every sample is addressed by a key ``iteration * stride + slot``; the dataset draws the patch and
its augmentation from ``np.random.default_rng([seed, key])``. No sampler state has to be saved:
resuming at iteration ``i`` rebuilds exactly the batches an uninterrupted run would have seen,
whatever the number of loader workers, and ranks of a multi-GPU run take disjoint slots.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import paddle

from ..data.augment import augment_pair
from ..data.dataset import to_chw_float
from ..data.pairs import read_image


class KeyedPatchDataset(paddle.io.Dataset):
    """Random augmented patches of the listed pairs, addressed by integer keys (see module doc)."""

    def __init__(self, pairs: list[tuple[Path, Path]], patch_size: int, seed: int = 0,
                 cache: bool = True):
        if not pairs:
            raise ValueError("no training pairs")
        self.pairs, self.patch_size, self.seed = list(pairs), int(patch_size), int(seed)
        self._cache = {} if cache else None

    def _load(self, index: int):
        if self._cache is not None and index in self._cache:
            return self._cache[index]
        blur_path, gt_path = self.pairs[index]
        blur, gt = read_image(blur_path), read_image(gt_path)
        if blur.shape != gt.shape:
            raise ValueError(f"{blur_path} and {gt_path} differ in size: {blur.shape} vs {gt.shape}")
        if self._cache is not None:
            self._cache[index] = (blur, gt)
        return blur, gt

    def check_patch_size(self) -> None:
        """Fail before training if any pair is smaller than the patch size."""
        for i, (blur_path, _) in enumerate(self.pairs):
            h, w = self._load(i)[0].shape[:2]
            if h < self.patch_size or w < self.patch_size:
                raise ValueError(f"patch size {self.patch_size} is larger than {blur_path} ({h}x{w})")

    def __len__(self):  # keys are unbounded; the batch sampler decides which are drawn
        return 2 ** 62

    def __getitem__(self, key: int):
        rng = np.random.default_rng([self.seed, int(key)])
        blur, gt = self._load(int(rng.integers(len(self.pairs))))
        blur, gt = augment_pair(blur, gt, self.patch_size, rng)
        return to_chw_float(blur), to_chw_float(gt)


class IterationBatchSampler(paddle.io.Sampler):
    """Batches of keys for iterations ``[start, end)``: ``batch_size`` per rank, ranks disjoint."""

    def __init__(self, start: int, end: int, batch_size: int, rank: int = 0, world_size: int = 1):
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} outside world of size {world_size}")
        self.start, self.end, self.batch_size = int(start), int(end), int(batch_size)
        self.rank, self.world_size = rank, world_size
        self.stride = self.batch_size * world_size

    def __iter__(self):
        for it in range(self.start, self.end):
            base = it * self.stride + self.rank * self.batch_size
            yield list(range(base, base + self.batch_size))

    def __len__(self):
        return self.end - self.start


def make_loader(dataset: KeyedPatchDataset, start: int, end: int, batch_size: int, num_workers: int = 0,
                rank: int = 0, world_size: int = 1) -> paddle.io.DataLoader:
    sampler = IterationBatchSampler(start, end, batch_size, rank, world_size)
    return paddle.io.DataLoader(dataset, batch_sampler=sampler, num_workers=num_workers,
                                use_shared_memory=False)
