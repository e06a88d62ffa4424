"""Memory of the training loader over a data set of large samples (the numbers in the report of
the bounded cache; tests/test_train_loader.py asserts the bound)::

    python tests/helpers/loader_memory.py [--samples 120] [--side 1024] [--cache-mib 256] [--keys 600]

Writes one pair of --side px PNGs and lists it --samples times (to the cache every entry is its own
sample, as distinct files would be: 2 x side^2 x 3 bytes decoded each), draws --keys random 64-px
patches as training does and prints the Python heap's peak (tracemalloc) and the process's peak
RSS. Runs with whichever lib/ is first on PYTHONPATH: the old KeyedPatchDataset (cache: bool,
unbounded) or the new one (cache_bytes).
"""

from __future__ import annotations

import argparse
import inspect
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import cv2
import numpy as np


def write_pair(folder: Path, side: int) -> tuple[Path, Path]:
    """A smooth page-like pair (quick to encode and decode, unlike noise)."""
    y, x = np.mgrid[0:side, 0:side]
    gt = np.dstack([(x * 255 // side), (y * 255 // side), ((x + y) * 127 // side)]).astype(np.uint8)
    gt[::16, :] = 20  # text-like lines
    blur = cv2.GaussianBlur(gt, (5, 5), 1.5)
    paths = folder / "blur.png", folder / "gt.png"
    for path, image in zip(paths, (blur, gt)):
        cv2.imwrite(str(path), image)
    return paths


def make_dataset(samples: list, cache_bytes: int | None):
    """The new dataset bounded to ``cache_bytes``; the old one (``cache: bool``) caches everything."""
    from lib.train.data import KeyedPatchDataset

    if "cache_bytes" in inspect.signature(KeyedPatchDataset).parameters:
        return KeyedPatchDataset(samples, 64, seed=0, cache_bytes=cache_bytes)
    return KeyedPatchDataset(samples, 64, seed=0, cache=True)


def measure(samples: list, cache_bytes: int | None, keys: int) -> dict:
    dataset = make_dataset(samples, cache_bytes)
    tracemalloc.start()
    start = time.perf_counter()
    for key in range(keys):
        dataset[key]
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"heap_peak_mib": peak / 2**20, "seconds": seconds, "dataset": dataset}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=120)
    parser.add_argument("--side", type=int, default=1024)
    parser.add_argument("--cache-mib", type=float, default=256)
    parser.add_argument("--keys", type=int, default=600)
    args = parser.parse_args(argv)
    import lib.train.data as data

    with tempfile.TemporaryDirectory() as tmp:
        pair = write_pair(Path(tmp), args.side)
        result = measure([pair] * args.samples, int(args.cache_mib * 2**20), args.keys)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    sample_mib = 2 * args.side**2 * 3 / 2**20
    print(
        f"lib.train.data from {Path(data.__file__).parent.parent.parent}: {args.samples} samples of "
        f"{sample_mib:.1f} MiB decoded ({args.samples * sample_mib:.0f} MiB in all), {args.keys} patches, "
        f"cache bound {args.cache_mib:g} MiB "
        f"({'honoured' if hasattr(result['dataset'], 'cache') else 'none: old code'})"
    )
    print(
        f"  Python heap peak {result['heap_peak_mib']:.0f} MiB, process peak RSS {rss_mib:.0f} MiB, "
        f"{result['seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
