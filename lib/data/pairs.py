"""Read blurred/sharp image pairs in the competition's own folder layout.

A split folder (``train``, ``test_A``, ``test_B``) holds ``blur_image/`` and, when the ground truth
is known, ``gt_image/``; a pair is two files with the same name. The same code reads a real
competition download and the course's generated sample data (which adds ``meta/`` and ``text/``
next to the image folders; they are ignored here). Another competition's names for the two
folders are given with ``input_dir`` / ``gt_dir`` (face retouching: ``image/`` and ``groundtruth/``).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

BLUR_DIR = "blur_image"
GT_DIR = "gt_image"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}

Pair = tuple[str, Path, "Path | None"]


class DataError(ValueError):
    """A data folder or image file is missing, unreadable or inconsistent."""


def _visible_files(folder: Path) -> list[Path]:
    """Regular files, without hidden ones such as ``.DS_Store`` or ``._x.png`` (macOS zip residue)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _images(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in _visible_files(folder) if p.suffix.lower() in IMAGE_SUFFIXES}


def list_pairs(split_dir: str | Path, *, input_dir: str = BLUR_DIR, gt_dir: str = GT_DIR) -> list[Pair]:
    """``(name, blur_path, gt_path or None)`` for every image of ``split_dir/blur_image``, sorted by name.

    Files are matched by name without extension (``00001.png`` with ``00001.jpg`` too); ``gt_path``
    is None when there is no ground truth (no ``gt_image`` folder or no file of that name). Non-image
    files are skipped; :func:`validate_pairs` reports them.
    """
    split_dir = Path(split_dir)
    inputs, gt_folder = split_dir / input_dir, split_dir / gt_dir
    if not inputs.is_dir():
        raise DataError(
            f"{inputs}: folder not found (expected the competition layout <split>/{input_dir}/ and <split>/{gt_dir}/)"
        )
    blurs = _images(inputs)
    gts = _images(gt_folder) if gt_folder.is_dir() else {}
    return [(blurs[stem].name, blurs[stem], gts.get(stem)) for stem in sorted(blurs)]


def has_ground_truth(split_dir: str | Path, *, input_dir: str = BLUR_DIR, gt_dir: str = GT_DIR) -> bool:
    """Whether every input image of ``split_dir`` has its ground truth: a competition's test board
    (``test_A/<input_dir>`` without ``<gt_dir>``) has none, and is predicted, not scored. A
    DataError when the input folder is missing."""
    listed = list_pairs(split_dir, input_dir=input_dir, gt_dir=gt_dir)
    return bool(listed) and all(g is not None for _, _, g in listed)


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) from the file header, without decoding the pixels."""
    with Image.open(path) as im:
        return im.size


def validate_pairs(
    split_dir: str | Path,
    require_gt: bool = True,
    deep: bool = False,
    *,
    input_dir: str = BLUR_DIR,
    gt_dir: str = GT_DIR,
    input_noun: str = "blurred image",
) -> list[Pair]:
    """Check a split folder and return :func:`list_pairs`; raise one :class:`DataError` listing
    every problem found, each with its file name.

    Checks: the folders exist and hold images; every blurred image has its ground truth and vice
    versa (``require_gt``; without it a missing ``gt_image`` folder is fine, but a ground truth
    without its blurred image is still reported); names are unique; every file is an image whose
    header can be read; blurred and ground truth have the same size. ``deep=True`` also decodes
    every image (catches files truncated after the header; slower). ``input_dir`` / ``gt_dir`` name
    the two folders, ``input_noun`` what an input is called in the messages.
    """
    split_dir = Path(split_dir)
    problems: list[str] = []
    if not split_dir.is_dir():
        raise DataError(f"{split_dir}: split folder not found")
    folders = {input_dir: split_dir / input_dir, gt_dir: split_dir / gt_dir}
    files: dict[str, dict[str, Path]] = {}
    for label, folder in folders.items():
        if not folder.is_dir():
            if label == input_dir or require_gt:
                problems.append(f"{label}/: folder missing")
            continue
        found: dict[str, Path] = {}
        for p in _visible_files(folder):
            rel = f"{label}/{p.name}"
            if p.suffix.lower() not in IMAGE_SUFFIXES:
                problems.append(f"{rel}: not an image file (expected one of {sorted(IMAGE_SUFFIXES)})")
                continue
            if p.stem in found:
                problems.append(f"{rel}: same name as {label}/{found[p.stem].name}")
                continue
            found[p.stem] = p
        if not found:
            problems.append(f"{label}/: no images in the folder")
        files[label] = found

    blurs, gts = files.get(input_dir, {}), files.get(gt_dir, {})
    sizes: dict[Path, tuple[int, int]] = {}
    for p in (*blurs.values(), *gts.values()):
        try:
            sizes[p] = image_size(p)
            if deep:
                read_image(p)
        except (OSError, UnidentifiedImageError, DataError, ValueError) as exc:
            problems.append(f"{p.parent.name}/{p.name}: unreadable image ({str(exc).splitlines()[0]})")
    if gt_dir in files:
        for stem in sorted(set(blurs) - set(gts)):
            if require_gt:
                problems.append(f"{input_dir}/{blurs[stem].name}: no ground truth {gt_dir}/{stem}.*")
        for stem in sorted(set(gts) - set(blurs)):
            problems.append(f"{gt_dir}/{gts[stem].name}: no {input_noun} {input_dir}/{stem}.*")
        for stem in sorted(set(blurs) & set(gts)):
            b, g = blurs[stem], gts[stem]
            if b in sizes and g in sizes and sizes[b] != sizes[g]:
                problems.append(
                    f"{input_dir}/{b.name} is {sizes[b][0]}x{sizes[b][1]} but "
                    f"{gt_dir}/{g.name} is {sizes[g][0]}x{sizes[g][1]} (width x height)"
                )
    if problems:
        raise DataError(f"{split_dir}: {len(problems)} problem(s):\n  - " + "\n  - ".join(problems))
    return list_pairs(split_dir, input_dir=input_dir, gt_dir=gt_dir)


def read_image(path: str | Path) -> np.ndarray:
    """An image file as an RGB ``uint8`` array (H, W, 3); a clear error naming the file otherwise.

    (``cv2.imread`` returns None without saying why; this does not. Reading the bytes with numpy
    also works for paths with non-ASCII characters.)
    """
    return cv2.cvtColor(decode_image(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def decode_image(path: str | Path, flags: int) -> np.ndarray:
    """``cv2.imdecode`` of a file with OpenCV ``flags`` (IMREAD_COLOR gives BGR, IMREAD_GRAYSCALE
    a 2-D array); a clear error naming the file if it is missing or cannot be decoded."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: image file not found")
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, flags) if data.size else None
    if image is None:
        raise DataError(
            f"{path}: cannot decode the file as an image ({data.size} bytes; corrupt, truncated or not an image)"
        )
    return image


def read_pair(pair: Pair) -> tuple[np.ndarray, np.ndarray | None]:
    """(blurred, ground truth or None) of one :func:`list_pairs` entry, RGB uint8."""
    _, blur_path, gt_path = pair
    return read_image(blur_path), (read_image(gt_path) if gt_path is not None else None)


def split_folders(root) -> list[Path]:
    """The split folders of a data root (train/, val/, test_A/ ...), sorted; a DataError if none."""
    root = Path(root)
    splits = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) if root.is_dir() else []
    if not splits:
        raise DataError(f"{root}: no split folders (expected train/, test_A/ ...)")
    return splits


def check_each(items, check) -> list[str]:
    """``check(item)`` for every item, returning one line each; the DataErrors of all items are
    collected and raised together, so a data check reports every problem at once."""
    lines, problems = [], []
    for item in items:
        try:
            lines.append(check(item))
        except DataError as exc:
            problems.append(str(exc))
    if problems:
        raise DataError("\n".join(problems))
    return lines
