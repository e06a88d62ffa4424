"""The solution's patch cutting (``generate_patches_SIDD.py``): scenes held out for
validation, random windows of the others, one job per image over worker processes."""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lib.config import ConfigError, check_profile
from lib.data.folders import (
    build_atomically,
    is_up_to_date,
    read_manifest,
    run_jobs,
)
from lib.data.pairs import DataError, read_image
from lib.paths import DATA_DIR, generated_data_root, shown_path

from .generator import MIN_PARALLEL_PIXELS, ensure_dataset
from .layout import GT_DIR, INPUT_DIR, PATCHES_DIR, SIDD_DATA, SIDD_VAL, TRACK
from .names import parse_scene_name
from .options import PREPARE_KEYS, prepare_options
from .read import list_scenes
from .sidd_blocks import GT_MAT, NOISY_MAT, find_validation_mats, write_block_pngs

PREPARE_VERSION = 1


def prepared_root(source, profile: str) -> Path:
    """``data/denoise[-<profile>]-prepared`` for the generated data, with a hash of the source path otherwise."""
    base = DATA_DIR / f"{generated_data_root(TRACK, profile).name}-prepared"
    if Path(source).resolve() == generated_data_root(TRACK, profile).resolve():
        return base
    return base.with_name(f"{base.name}-{hashlib.sha256(str(Path(source).resolve()).encode()).hexdigest()[:8]}")


def split_scenes(pairs: list, val_scenes: int) -> tuple[list, list]:
    """Training and validation images: those of the last ``val_scenes`` scene numbers (whole
    scenes, as SIDD names them; every capture of a scene on the same side) are validation."""

    def number(name):
        try:
            return parse_scene_name(name.split("/")[0])["scene"]
        except DataError:
            return name.split("/")[0]

    numbers = sorted(
        {number(n) for n, _, _ in pairs}, key=lambda v: (0, v, "") if isinstance(v, int) else (1, 0, str(v))
    )
    held = set(numbers[len(numbers) - val_scenes :]) if val_scenes else set()
    if val_scenes and len(held) >= len(numbers):
        raise ConfigError(f"prepare.val_scenes = {val_scenes} leaves no training scene ({len(numbers)} scene numbers)")
    return [p for p in pairs if number(p[0]) not in held], [p for p in pairs if number(p[0]) in held]


def cut_patches(job: tuple) -> list[dict]:
    """The solution's ``save_files``: ``count`` random ``ps`` windows of one pair, written to
    ``<out>/input`` and ``<out>/groundtruth`` as ``<image>_<patch>.png``."""
    index, noisy_path, gt_path, out, ps, count, seed = job
    noisy, gt = read_image(noisy_path), read_image(gt_path)
    if noisy.shape != gt.shape:
        raise DataError(f"{noisy_path}: size {noisy.shape[:2]} differs from its ground truth {gt_path} {gt.shape[:2]}")
    h, w = noisy.shape[:2]
    if h < ps or w < ps:
        raise DataError(f"{noisy_path}: {w} x {h} is smaller than the patch size ps={ps}")
    rng = np.random.default_rng([seed, index])
    records = []
    for j in range(count):
        y, x = int(rng.integers(0, h - ps + 1)), int(rng.integers(0, w - ps + 1))
        name = f"{index + 1}_{j + 1}.png"
        for folder, image in ((INPUT_DIR, noisy), (GT_DIR, gt)):
            if not cv2.imwrite(
                str(Path(out) / folder / name), cv2.cvtColor(image[y : y + ps, x : x + ps], cv2.COLOR_RGB2BGR)
            ):
                raise OSError(f"cannot write {Path(out) / folder / name}")
        records.append({"patch": name, "source": str(noisy_path), "y": y, "x": x})
    return records


def _patch_order(path: Path) -> tuple:
    """``3_12.png`` -> (0, 3, 12), ``0001-0031.png`` -> (0, 1, 31): numbers compared as numbers;
    any other name after them, by name."""
    parts = re.split(r"[_-]", path.stem)
    return (0, *(int(v) for v in parts), "") if all(v.isdigit() for v in parts) else (1, path.stem)


@dataclass
class PreparedPatches:
    root: Path
    manifest: dict
    skipped: bool = False

    @property
    def train_dir(self) -> Path:
        return self.root / "train"

    @property
    def val_dir(self) -> Path:
        return self.root / "val"

    def pairs(self, split: str) -> list[tuple[Path, Path]]:
        """(input, groundtruth) patch paths of ``split``, in the solution's order (image, then patch;
        SIDD's validation blocks ``0000-0000.png`` by block)."""
        folder = self.root / split
        return [(p, folder / GT_DIR / p.name) for p in sorted((folder / INPUT_DIR).glob("*.png"), key=_patch_order)]

    def summary(self) -> str:
        s = self.manifest["stats"]
        state = "已是最新，沿用" if self.skipped else "已准备"
        return (
            f"{shown_path(self.root)}（{state}）：训练图 {s['train_images']} 张 -> 图块 {s['train_patches']} 个，"
            f"验证图 {s['val_images']} 张 -> 图块 {s['val_patches']} 个，ps {self.manifest['options']['ps']}"
        )


def source_fingerprint(pairs: list) -> str:
    digest = hashlib.sha256()
    for name, noisy, gt in pairs:
        for p in (noisy, gt):
            stat = p.stat()
            digest.update(f"{name}\t{p.name}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def prepare_patches(
    profile: str, source=None, force: bool = False, out=None, *, seed: int = 0, **overrides
) -> PreparedPatches:
    """Cut the training and validation patches (see the module docstring) from ``source`` (default:
    ``$COURSE_DATA``, else the profile's sample data, generated if missing) into ``out`` (default
    :func:`prepared_root`); returns at once when that is up to date, unless ``force``. ``profile`` is
    required: the track's :meth:`prepare` resolved it."""
    profile = check_profile(profile)
    opts = prepare_options(profile, overrides)
    source = Path(source) if source is not None else ensure_dataset(profile)
    if not (source / SIDD_DATA).is_dir() and (source / PATCHES_DIR / "train" / INPUT_DIR).is_dir():
        return precut_patches(source)
    out = Path(out) if out is not None else prepared_root(source, profile)
    pairs = list_scenes(source / SIDD_DATA)
    key = {
        "version": PREPARE_VERSION,
        "source": str(source.resolve()),
        "seed": int(seed),
        "options": {k: opts[k] for k in sorted(PREPARE_KEYS - {"num_cores"})},
        "fingerprint": source_fingerprint(pairs),
    }
    train, val = split_scenes(pairs, opts["val_scenes"])
    blocks = validation_blocks(source) if opts["val_scenes"] == 0 else None  # the solution's: SIDD's own blocks
    if blocks:
        key["validation_blocks"] = [str(p.resolve()) for p in blocks]
    elif not val:
        raise ConfigError(f"prepare.val_scenes = {opts['val_scenes']}: no validation images")
    if not force and is_up_to_date(out, key):
        return PreparedPatches(out, read_manifest(out), skipped=True)

    def build(tmp: Path) -> dict:
        for split in ("train", "val"):
            for sub in (INPUT_DIR, GT_DIR):
                (tmp / split / sub).mkdir(parents=True)
        rows = []
        for split, part, count, offset in (
            ("train", train, opts["num_patches"], 0),
            ("val", val, opts["val_patches"], 100_000),
        ):
            jobs = [
                (i, str(n), str(g), str(tmp / split), opts["ps"], count, seed + offset)
                for i, (_, n, g) in enumerate(part)
            ]
            pixels = len(jobs) * count * opts["ps"] ** 2
            workers = opts["num_cores"] if pixels >= MIN_PARALLEL_PIXELS else 1
            for per_image in run_jobs(cut_patches, jobs, workers, f"{split} patches", "image"):
                rows += [{"split": split, **r} for r in per_image]
        if blocks:
            rows += validation_block_rows(blocks, tmp / "val")
        with open(tmp / "patches.csv", "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["split", "patch", "source", "y", "x"])
            writer.writeheader()
            writer.writerows(rows)
        stats = {
            "train_images": len(train),
            "val_images": len(val),
            "train_patches": sum(r["split"] == "train" for r in rows),
            "val_patches": sum(r["split"] == "val" for r in rows),
        }
        return {**key, "split": {"train": [n for n, _, _ in train], "val": [n for n, _, _ in val]}, "stats": stats}

    return PreparedPatches(out, build_atomically(out, build))


def validation_blocks(source) -> tuple[Path, ...]:
    """SIDD's validation blocks under ``source``, for ``prepare.val_scenes: 0`` (the solution trained on every
    scene and validated on these): the folder of their PNGs (``SIDD_patches/val`` with ``input/`` and
    ``groundtruth/``), else the two MATLAB files of the official download; a DataError saying where to put
    them when neither is there."""
    folder = Path(source) / SIDD_VAL
    if (folder / INPUT_DIR).is_dir() and (folder / GT_DIR).is_dir():
        return (folder,)
    mats = find_validation_mats(source)
    if mats:
        return mats
    raise DataError(
        f"{source}: prepare.val_scenes = 0 validates on SIDD's validation blocks, and there are none: put "
        f"{NOISY_MAT} and {GT_MAT} (SIDD's download) in {source} or {folder}, or their PNG blocks in "
        f"{folder}/{INPUT_DIR} and {folder}/{GT_DIR}; or hold out scenes instead (prepare.val_scenes >= 1)"
    )


def validation_block_rows(blocks: tuple[Path, ...], out: Path) -> list[dict]:
    """Copy (PNG folder) or extract (the two MATLAB files) SIDD's validation blocks into ``out``; one
    patches.csv row per block."""
    if len(blocks) == 1:
        for sub in (INPUT_DIR, GT_DIR):
            for png in sorted((blocks[0] / sub).glob("*.png")):
                shutil.copyfile(png, out / sub / png.name)
    else:
        write_block_pngs(*blocks, out)
    names = sorted(p.name for p in (out / INPUT_DIR).glob("*.png"))
    return [{"split": "val", "patch": name, "source": "SIDD validation", "y": 0, "x": 0} for name in names]


def precut_patches(source) -> PreparedPatches:
    """The solution's already cut ``SIDD_patches`` of ``source`` as they are: ``train/`` to train on,
    ``val/`` (SIDD's validation blocks) to validate on; every patch needs its ground truth. A
    DataError naming what is missing (no ``val/``: validation needs it; cut SIDD-Medium instead)."""
    from lib.data.pairs import validate_pairs

    root = Path(source) / PATCHES_DIR
    if not (root / "val" / INPUT_DIR).is_dir():
        raise DataError(
            f"{root}: train/ but no val/ (SIDD's validation blocks, input/ + groundtruth/): the solution "
            f"validates on them; add them, or give SIDD-Medium's scenes ({SIDD_DATA}) to cut"
        )
    counts = {
        split: len(validate_pairs(root / split, input_dir=INPUT_DIR, gt_dir=GT_DIR, input_noun="noisy patch"))
        for split in ("train", "val")
    }
    manifest = {
        "source": str(Path(source).resolve()),
        "precut": True,
        "options": {"ps": None},
        "stats": {
            "train_images": None,
            "train_patches": counts["train"],
            "val_images": None,
            "val_patches": counts["val"],
        },
    }
    print(
        f"{root}: the solution's cut patches, used as they are ({counts['train']} training, {counts['val']} "
        f"validation patches)"
    )
    return PreparedPatches(root, manifest, skipped=True)
