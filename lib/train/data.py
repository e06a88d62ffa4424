"""Training data for the engine: keyed random patches, so a resumed run sees the same batches.

Every sample is addressed by a key ``iteration * batch_size + slot``; the dataset draws the sample
and its augmentation from ``np.random.default_rng([seed, key])``. No sampler state has to be saved:
resuming at iteration ``i`` rebuilds exactly the batches an uninterrupted run would have seen,
whatever the number of loader workers. ``batch_size`` is the global batch: with N data-parallel
ranks, rank r takes slots ``[r * batch_size / N, (r + 1) * batch_size / N)`` of every iteration, so
the N ranks together draw exactly the patches one process with the whole batch would draw.

Files are decoded when a patch needs them. The decoded arrays of recently used samples are kept in
a cache bounded in bytes (``cache_bytes``, per process: every loader worker holds its own), so a
data set larger than the memory (the full profiles' 1024-px crops: tens of GB decoded) trains in a
fixed amount of it.

A sample is a tuple of aligned files, read by its ``kinds`` (see SAMPLE_KINDS): ``("image",
"image")`` for a restoration pair (input, ground truth), ``("image", "mask", "image")`` for
inpainting, ``("image", "label")`` for segmentation. Every file of a sample gets the same crop,
flips and rotations.
"""

from __future__ import annotations

import itertools
import re
from collections import OrderedDict

import cv2
import numpy as np
import paddle

from ..data.augment import augment_arrays
from ..data.dataset import to_chw_float
from ..data.pairs import decode_image, read_image

AUGMENT_DEFAULTS = {"flip": True, "rotate": True, "vflip": True}
DEFAULT_CACHE_BYTES = 2**30  # 1 GiB of decoded samples per process unless the track's loader: says otherwise


def read_gray(path) -> np.ndarray:
    """A single-channel uint8 H x W array; a clear error naming the file otherwise."""
    return decode_image(path, cv2.IMREAD_GRAYSCALE)


def mask_to_float(mask: np.ndarray) -> np.ndarray:
    """uint8 H x W mask (any non-zero value is 'masked') -> float32 1 x H x W of 0/1."""
    return (mask[None] > 0).astype(np.float32)


def level_to_fraction(mask: np.ndarray) -> np.ndarray:
    """uint8 H x W mask levels -> float32 1 x H x W of level / 128, as the de-occlusion solution scales its
    masks (dataset.py FillDataset: ``mask / 128``; a 255 pixel is 1.99)."""
    return mask[None].astype(np.float32) / 128


def label_to_int64(label: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(label, dtype=np.int64)


# kind -> (read a file into an H x W [x C] array, that array -> what the loader batches)
SAMPLE_KINDS = {
    "image": (read_image, to_chw_float),  # RGB uint8 -> float32 3 x H x W in [0, 1]
    "mask": (read_gray, mask_to_float),  # 0 / 255 -> float32 1 x H x W of 0 / 1
    "mask_level": (read_gray, level_to_fraction),  # levels -> float32 1 x H x W of level / 128
    "label": (read_gray, label_to_int64),  # class ids -> int64 H x W
}


SMALL_SAMPLES = ("error", "pad")  # what the engine does with a sample smaller than the patch
_UNITS = {"": 1, "b": 1, "kib": 2**10, "mib": 2**20, "gib": 2**30, "kb": 10**3, "mb": 10**6, "gb": 10**9}


def parse_bytes(value, where: str = "cache_bytes") -> int:
    """A size in bytes from an integer or a string with a unit (``"512 MiB"``, ``"2GiB"``, ``"0"``)."""
    if isinstance(value, bool):
        raise ValueError(f"{where}: expected a size in bytes (e.g. 536870912 or '512 MiB'), got {value!r}")
    if isinstance(value, (int, float)) and value >= 0 and float(value).is_integer():
        return int(value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*", str(value), re.IGNORECASE)
    if not match:
        raise ValueError(f"{where}: expected a size in bytes (e.g. 536870912 or '512 MiB'), got {value!r}")
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "").lower()])


class DecodedCache:
    """The decoded arrays of the most recently used samples, at most ``max_bytes`` of them in all
    (least recently used first out; a sample larger than the whole budget is not kept)."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.nbytes = int(max_bytes), 0
        self._items: OrderedDict = OrderedDict()

    def __len__(self):
        return len(self._items)

    def get(self, index: int):
        arrays = self._items.get(index)
        if arrays is not None:
            self._items.move_to_end(index)
        return arrays

    def put(self, index: int, arrays: tuple) -> None:
        size = sum(a.nbytes for a in arrays)
        if size > self.max_bytes or index in self._items:
            return
        while self._items and self.nbytes + size > self.max_bytes:
            _, old = self._items.popitem(last=False)
            self.nbytes -= sum(a.nbytes for a in old)
        self._items[index] = arrays
        self.nbytes += size


def check_kinds(kinds) -> tuple:
    unknown = [k for k in kinds if k not in SAMPLE_KINDS]
    if not kinds or unknown:
        raise ValueError(f"sample kinds {list(kinds)}: unknown {unknown}; known: {', '.join(SAMPLE_KINDS)}")
    return tuple(kinds)


class KeyedPatchDataset(paddle.io.Dataset):
    """Random augmented patches of the listed samples, addressed by integer keys (see module doc).

    ``samples``: tuples of file paths, one per entry of ``kinds``. ``patch_size`` None keeps the
    whole stored sample (then all must have one size to be batched). A sample smaller than the
    patch is mirror-padded at the bottom and right by the crop (:func:`lib.data.augment.pad_to`);
    the engine refuses such samples unless ``small_samples: pad`` (:meth:`small_samples`).
    ``augment``: options of :func:`lib.data.augment.augment_arrays` (``flip``, ``rotate``, ``vflip``).
    ``cache_bytes``: decoded arrays kept for reuse, in bytes (0: decode every time).
    """

    def __init__(
        self,
        samples: list[tuple],
        patch_size: int | None,
        seed: int = 0,
        cache_bytes=DEFAULT_CACHE_BYTES,
        kinds=("image", "image"),
        augment: dict | None = None,
    ):
        if not samples:
            raise ValueError("no training samples")
        self.kinds = check_kinds(kinds)
        bad = next((s for s in samples if len(s) != len(self.kinds)), None)
        if bad is not None:
            raise ValueError(f"a sample has {len(bad)} files but the kinds are {list(self.kinds)}: {bad}")
        self.samples, self.seed = [tuple(s) for s in samples], int(seed)
        self.patch_size = None if patch_size is None else int(patch_size)
        self.augment = {**AUGMENT_DEFAULTS, **(augment or {})}
        unknown = set(self.augment) - set(AUGMENT_DEFAULTS)
        if unknown:
            raise ValueError(f"unknown augment option(s) {sorted(unknown)}; allowed: {sorted(AUGMENT_DEFAULTS)}")
        self.cache = DecodedCache(parse_bytes(cache_bytes))

    @property
    def pairs(self):  # the name of the restoration case
        return self.samples

    def _decode(self, index: int) -> tuple:
        paths = self.samples[index]
        arrays = tuple(SAMPLE_KINDS[kind][0](path) for kind, path in zip(self.kinds, paths))
        if any(a.shape[:2] != arrays[0].shape[:2] for a in arrays):
            raise ValueError(
                f"{' and '.join(map(str, paths))} differ in size: {' vs '.join(str(a.shape) for a in arrays)}"
            )
        return arrays

    def _load(self, index: int) -> tuple:
        arrays = self.cache.get(index)
        if arrays is None:
            arrays = self._decode(index)
            self.cache.put(index, arrays)
        return arrays

    def small_samples(self, threads: int = 4) -> list[tuple[tuple, int, int]]:
        """Decode every sample once (unreadable or misaligned files fail here, naming them) and
        return ``(paths, height, width)`` of those smaller than the patch size, in order. Nothing
        is cached; ``threads`` decode side by side (OpenCV releases the GIL)."""
        from concurrent.futures import ThreadPoolExecutor

        def size(index):
            return self._decode(index)[0].shape[:2]

        with ThreadPoolExecutor(max(1, threads)) as pool:
            sizes = list(pool.map(size, range(len(self.samples))))
        if self.patch_size is None:
            return []
        return [
            (paths, h, w) for paths, (h, w) in zip(self.samples, sizes) if h < self.patch_size or w < self.patch_size
        ]

    def __len__(self):  # keys are unbounded; the batch sampler decides which are drawn
        return 2**62

    def __getitem__(self, key: int):
        rng = np.random.default_rng([self.seed, int(key)])
        arrays = self._load(int(rng.integers(len(self.samples))))
        arrays = augment_arrays(arrays, self.patch_size, rng, **self.augment)
        return tuple(SAMPLE_KINDS[kind][1](a) for kind, a in zip(self.kinds, arrays))


def rank_batch_size(batch_size: int, world_size: int) -> int:
    """The batch of one rank when ``batch_size`` is the global batch of ``world_size`` ranks; an
    error if it does not divide (rounding would change the batch the recipe was written for)."""
    batch_size, world_size = int(batch_size), int(world_size)
    if batch_size < 1 or world_size < 1 or batch_size % world_size:
        raise ValueError(
            f"batch_size {batch_size} is the global batch and cannot be split evenly over "
            f"{world_size} processes; use a number of processes that divides it"
        )
    return batch_size // world_size


class IterationBatchSampler(paddle.io.Sampler):
    """Batches of keys for iterations ``[start, end)``. ``batch_size`` is the global batch: each of
    ``world_size`` ranks takes its own ``batch_size / world_size`` consecutive keys, so the ranks
    together take the keys of one process with the whole batch."""

    def __init__(self, start: int, end: int, batch_size: int, rank: int = 0, world_size: int = 1):
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} outside world of size {world_size}")
        self.start, self.end, self.batch_size = int(start), int(end), int(batch_size)
        self.rank, self.world_size = rank, world_size
        self.rank_batch = rank_batch_size(self.batch_size, world_size)

    def __iter__(self):
        for it in range(self.start, self.end):
            base = it * self.batch_size + self.rank * self.rank_batch
            yield list(range(base, base + self.rank_batch))

    def __len__(self):
        return self.end - self.start


class InlineLoader:
    """Batches built in the calling thread: what ``paddle.io.DataLoader`` yields with no workers
    (a list of stacked tensors per batch), except that an error in a sample is raised here. Paddle's
    loader reads in a thread even without workers, and when a sample fails that thread dies, prints
    its traceback and the training loop waits forever (measured: Paddle 3 on CPU)."""

    def __init__(self, dataset, batch_sampler):
        self.dataset, self.batch_sampler = dataset, batch_sampler

    def __len__(self):
        return len(self.batch_sampler)

    def __iter__(self):
        for keys in self.batch_sampler:
            samples = [self.dataset[key] for key in keys]
            yield [paddle.to_tensor(np.stack(field)) for field in zip(*samples)]


class WorkerLoader:
    """``paddle.io.DataLoader`` with ``num_workers`` processes (the same batches as
    :class:`InlineLoader`, decoded in parallel), except that a sample failing in a worker is raised
    here with its own error, naming its file: Paddle prints the worker's traceback and raises a
    SystemError that names nothing (measured: Paddle 3.3 on CPU). The failing sample is found by
    building the next batches again in this process; every key fixes its sample, so it fails again."""

    def __init__(self, dataset, batch_sampler, num_workers: int):
        self.dataset, self.batch_sampler, self.num_workers = dataset, batch_sampler, int(num_workers)

    def __len__(self):
        return len(self.batch_sampler)

    def __iter__(self):
        # batches go back through pipes, not /dev/shm (often 64 MB in containers, too small for them)
        loader = paddle.io.DataLoader(
            self.dataset, batch_sampler=self.batch_sampler, num_workers=self.num_workers, use_shared_memory=False
        )
        delivered = 0
        try:
            for batch in loader:
                yield batch
                delivered += 1
        except Exception:
            in_flight = itertools.islice(iter(self.batch_sampler), delivered, delivered + 4 * self.num_workers + 2)
            for keys in in_flight:  # the batches the workers had started on
                for key in keys:
                    self.dataset[key]  # raises the sample's own error
            raise


def make_loader(
    dataset: KeyedPatchDataset,
    start: int,
    end: int,
    batch_size: int,
    num_workers: int = 0,
    rank: int = 0,
    world_size: int = 1,
):
    """This rank's batches of iterations ``[start, end)`` (``batch_size``: the global batch). No
    workers: :class:`InlineLoader`; else :class:`WorkerLoader`, whose ``num_workers`` processes give
    the same batches (every key fixes its sample) while decoding in parallel."""
    sampler = IterationBatchSampler(start, end, batch_size, rank, world_size)
    if num_workers == 0:
        return InlineLoader(dataset, sampler)
    return WorkerLoader(dataset, sampler, num_workers)
