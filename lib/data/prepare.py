"""Training-data preparation of the blurred-document track (1st-place solution, step one).

One call, :func:`prepare_patches` (through a track: ``get_track("deblur").prepare()``), turns the
competition layout (``train/blur_image``, ``train/gt_image``, ``test_A/blur_image``) into what
training reads:

1. **split**: the last ``val_count`` training pairs (sorted by name) are held out for validation,
   the rest train (the winner: the last 100 of 1000). Written to ``split.json``.
2. **downsample** both images of every pair by the measured train/test factor
   (``cv2.INTER_AREA``, the same output size for both, so they stay aligned). ``auto`` measures
   it (:func:`lib.data.analysis.size_summary`); the winner used 2.
3. **crop** each downsampled training pair into ``patch_size`` windows with ``stride`` (the last
   window of a row/column is flush with the image edge, so every pixel is covered; a side shorter
   than ``patch_size`` gives one window of that whole side, no padding). Both images are cropped
   with the same windows. Patch names say where they came from: ``<stem>_y0512_x0768.png``.
4. **measure** the mean gradient of every sharp patch (``gradient``: the solution's
   :func:`lib.data.analysis.sobel_abs_mean` or the course's :func:`lib.data.analysis.mean_gradient`)
   and keep the patches at or above ``grad_threshold`` (the winner: 10) in ``meta_info.txt``;
   every patch, kept or not, is listed with its gradient in ``patches.csv``.
5. the validation pairs are downsampled whole into ``val/blur_image`` and ``val/gt_image``
   (validation scores whole pages), and cropped and filtered like the training pairs into
   ``val_patches/`` and ``meta_info_val.txt``: what the all-data fine-tune adds to the training
   patches (the winner's data_preparation_all.py crops all 1000 pages alike).

Output folder (under the repo's ``data/``, never inside ``$COURSE_DATA``, which may be a read-only
download): ``data/deblur-prepared`` for the generated demo data, ``data/deblur-smoke-prepared``,
``data/deblur-full-prepared``, and ``data/deblur[-<profile>]-prepared-<hash of the source path>``
when ``$COURSE_DATA`` points elsewhere::

    manifest.json          parameters, source fingerprint, statistics (written last)
    split.json             {"train": [names], "val": [names], ...}
    meta_info.txt          kept patches, one pair per line: "train/blur_image/<p>.png train/gt_image/<p>.png"
                           (paths relative to the folder of meta_info.txt)
    patches.csv            every patch: patch, source, y, x, height, width, gradient, kept
    meta_info_val.txt      kept patches of the validation pairs: "val_patches/blur_image/<p> val_patches/gt_image/<p>"
    train/blur_image/, train/gt_image/   all patches (dropped ones too, for inspection)
    val/blur_image/, val/gt_image/       downsampled validation pairs, original stems, PNG
    val_patches/blur_image/, val_patches/gt_image/   all patches of the validation pairs

The whole folder is built in a hidden temporary folder and renamed into place when complete, so
an interrupted or failed run never leaves a folder that looks finished. A second call with the
same parameters and unchanged source files (names, sizes, modification times) returns at once.

Command line: ``python -m lib.data deblur --prepare`` (or ``make prepare``), through the track.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..config import ConfigError, check_keys, check_profile, profile_config
from ..paths import DATA_DIR, generated_data_root, shown_path
from .analysis import DEFAULT_GRADIENT, GRADIENT_SCORES, collect_sizes, size_summary
from .folders import MANIFEST, build_atomically, is_up_to_date, read_manifest, run_jobs
from .pairs import DataError, read_image, validate_pairs

PREPARE_VERSION = 2  # bump when the output format changes: prepared folders are then redone (2: val_patches)
OPTION_KEYS = {
    "downsample",
    "interpolation",
    "patch_size",
    "stride",
    "grad_threshold",
    "gradient",
    "val_count",
    "workers",
}
FINGERPRINT_DIRS = ("train/blur_image", "train/gt_image", "test_A/blur_image", "test_B/blur_image")
PNG_FLAGS = [cv2.IMWRITE_PNG_COMPRESSION, 1]  # lossless; measured: 1.35x faster than level 3, files 8% larger
META_NAME, SPLIT_NAME, PATCHES_NAME = "meta_info.txt", "split.json", "patches.csv"
VAL_META_NAME, VAL_PATCHES_DIR = "meta_info_val.txt", "val_patches"
MANIFEST_NAME = MANIFEST


# ---------------------------------------------------------------- options
def check_options(options: dict) -> dict:
    """Validate the ``prepare`` options; raise a ConfigError naming the setting."""
    check_keys(options, OPTION_KEYS, "prepare options")
    # optional: the course's score and shrink unless a track names the solution's
    options = {"gradient": DEFAULT_GRADIENT, "interpolation": "area", **options}
    missing = sorted(OPTION_KEYS - set(options))
    if missing:
        raise ConfigError(f"prepare options: missing {missing}")
    down = options["downsample"]
    if down != "auto" and not (isinstance(down, (int, float)) and not isinstance(down, bool) and down >= 1):
        raise ConfigError(f"prepare.downsample must be 'auto' or a number >= 1, got {down!r}")
    for key in ("patch_size", "stride", "workers"):
        value = options[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"prepare.{key} must be a positive integer, got {value!r}")
    if options["stride"] > options["patch_size"]:
        raise ConfigError(
            f"prepare.stride ({options['stride']}) is larger than prepare.patch_size "
            f"({options['patch_size']}): pixels between windows would never be cropped"
        )
    threshold = options["grad_threshold"]
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or threshold < 0:
        raise ConfigError(f"prepare.grad_threshold must be a number >= 0, got {threshold!r}")
    if options["interpolation"] not in INTERPOLATIONS:
        raise ConfigError(
            f"prepare.interpolation must be one of {sorted(INTERPOLATIONS)}, got {options['interpolation']!r}"
        )
    if options["gradient"] not in GRADIENT_SCORES:
        raise ConfigError(f"prepare.gradient must be one of {sorted(GRADIENT_SCORES)}, got {options['gradient']!r}")
    val_count = options["val_count"]
    if not isinstance(val_count, int) or isinstance(val_count, bool) or val_count < 0:
        raise ConfigError(f"prepare.val_count must be an integer >= 0, got {val_count!r}")
    return dict(options)


def prepare_options(profile: str, track: str, **overrides) -> dict:
    """The ``prepare`` section of lib/configs/<track>.yaml for ``profile``, with ``overrides``."""
    options = dict(profile_config(track, profile)["prepare"])
    options.update(overrides)
    return check_options(options)


def prepared_root(source: Path, profile: str, track: str, data_track: str | None = None) -> Path:
    """Where ``track``'s preparation of ``source`` goes (see the module docstring): named after the track
    alone when ``source`` is the generated pages of the profile that it reads (``data_track``'s, default its own)."""
    generated = generated_data_root(data_track or track, profile)
    base = DATA_DIR / f"{generated_data_root(track, profile).name}-prepared"
    if Path(source).resolve() == generated.resolve():
        return base
    digest = hashlib.sha256(str(Path(source).resolve()).encode()).hexdigest()[:8]
    return base.with_name(f"{base.name}-{digest}")


# ---------------------------------------------------------------- windows and images
def window_starts(length: int, patch: int, stride: int) -> list[int]:
    """Start offsets of sliding windows along one side: every ``stride`` pixels, plus a last one
    flush with the edge; a side no longer than ``patch`` gives the single start 0."""
    if length < 1 or patch < 1 or stride < 1:
        raise ValueError(f"length, patch and stride must be positive, got {length}, {patch}, {stride}")
    if length <= patch:
        return [0]
    starts = list(range(0, length - patch + 1, stride))
    if starts[-1] != length - patch:
        starts.append(length - patch)
    return starts


def crop_windows(height: int, width: int, patch: int, stride: int) -> list[tuple[int, int, int, int]]:
    """Windows ``(y, x, h, w)`` covering a ``height`` x ``width`` image, row by row."""
    return [
        (y, x, min(patch, height), min(patch, width))
        for y in window_starts(height, patch, stride)
        for x in window_starts(width, patch, stride)
    ]


INTERPOLATIONS = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR}


def downsample(image: np.ndarray, factor: float, interpolation: str = "area") -> np.ndarray:
    """Shrink by ``factor``: ``area`` (``cv2.INTER_AREA``, the course's: an average over each source area, no
    aliasing of thin strokes) or ``linear`` (``cv2.INTER_LINEAR``, what the blurred-document solution's
    data_preparation.py ran: ``cv2.resize(img, None, fx=0.5, fy=0.5)``). Output size: each side divided by
    the factor, rounded. At factor 2 on even sides the two give the same pixels (a linear sample between
    two pixels is their mean); on odd sides they differ."""
    if factor == 1:
        return image
    if interpolation == "linear":  # the solution's call as it is: OpenCV sizes the output and samples at 1 / fx
        return cv2.resize(image, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_LINEAR)
    height, width = image.shape[:2]
    size = (max(1, int(round(width / factor))), max(1, int(round(height / factor))))
    return cv2.resize(image, size, interpolation=INTERPOLATIONS[interpolation])


def patch_name(stem: str, y: int, x: int) -> str:
    return f"{stem}_y{y:04d}_x{x:04d}.png"


def write_png(path: Path, rgb: np.ndarray) -> None:
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), PNG_FLAGS):
        raise OSError(f"cannot write {path}")


def read_pair(name: str, blur_path: Path, gt_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Both images of a pair; a DataError naming both files if their sizes differ."""
    blur, gt = read_image(blur_path), read_image(gt_path)
    if blur.shape != gt.shape:
        raise DataError(
            f"pair {name!r}: blurred image {blur_path} is {blur.shape[1]}x{blur.shape[0]} "
            f"but sharp image {gt_path} is {gt.shape[1]}x{gt.shape[0]}; a pair must have one size"
        )
    return blur, gt


# ---------------------------------------------------------------- per-image work (runs in worker processes)
def crop_training_pair(job: tuple) -> list[dict]:
    """Downsample one training pair, write all its patches, return one record per patch."""
    name, blur_path, gt_path, out_dir, shrink, patch, stride, gradient = job  # shrink: (factor, interpolation)
    blur, gt = read_pair(name, Path(blur_path), Path(gt_path))
    return write_patches(
        name, Path(blur_path).stem, downsample(blur, *shrink), downsample(gt, *shrink), out_dir, patch, stride, gradient
    )


def write_patches(
    name: str,
    stem: str,
    blur: np.ndarray,
    gt: np.ndarray,
    out_dir,
    patch: int,
    stride: int,
    gradient: str = DEFAULT_GRADIENT,
) -> list[dict]:
    """Crop a downsampled pair into ``out_dir/{blur_image,gt_image}``; one record per patch, its sharp crop
    scored by ``gradient`` (a name of lib.data.analysis.GRADIENT_SCORES)."""
    score = GRADIENT_SCORES[gradient]
    records = []
    for y, x, h, w in crop_windows(gt.shape[0], gt.shape[1], patch, stride):
        crop_blur, crop_gt = blur[y : y + h, x : x + w], gt[y : y + h, x : x + w]
        file_name = patch_name(stem, y, x)
        write_png(Path(out_dir) / "blur_image" / file_name, crop_blur)
        write_png(Path(out_dir) / "gt_image" / file_name, crop_gt)
        records.append(
            {
                "patch": file_name,
                "source": name,
                "y": y,
                "x": x,
                "height": h,
                "width": w,
                "gradient": round(score(crop_gt), 4),
            }
        )
    return records


def downsample_validation_pair(job: tuple) -> dict:
    """Downsample one validation pair: written whole under its own stem as PNG (validation) and
    cropped like a training pair into ``patch_dir`` (the all-data fine-tune)."""
    name, blur_path, gt_path, out_dir, patch_dir, shrink, patch, stride, gradient = job
    blur, gt = read_pair(name, Path(blur_path), Path(gt_path))
    blur, gt = downsample(blur, *shrink), downsample(gt, *shrink)
    stem = Path(blur_path).stem
    write_png(Path(out_dir) / "blur_image" / f"{stem}.png", blur)
    write_png(Path(out_dir) / "gt_image" / f"{stem}.png", gt)
    return {
        "name": name,
        "file": f"{stem}.png",
        "height": gt.shape[0],
        "width": gt.shape[1],
        "patches": write_patches(name, stem, blur, gt, patch_dir, patch, stride, gradient),
    }


# ---------------------------------------------------------------- fingerprint, manifest
def source_fingerprint(source: Path) -> dict:
    """Names, sizes and modification times of the source images, hashed: any added, removed,
    replaced or touched file changes it."""
    digest, count = hashlib.sha256(), 0
    for rel in FINGERPRINT_DIRS:
        folder = Path(source) / rel
        if not folder.is_dir():
            continue
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.is_file():
                stat = entry.stat()
                digest.update(f"{rel}/{entry.name}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
                count += 1
    return {"files": count, "sha256": digest.hexdigest()}


def _manifest_key(source: Path, options: dict) -> dict:
    return {
        "version": PREPARE_VERSION,
        "source": str(Path(source).resolve()),
        "options": {k: options[k] for k in sorted(OPTION_KEYS - {"workers"})},
        "fingerprint": source_fingerprint(source),
    }


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- meta file
def write_meta_file(path: Path, patch_names: list[str], folder: str = "train") -> None:
    """One kept pair per line: ``<folder>/blur_image/<p> <folder>/gt_image/<p>``, relative to the file."""
    lines = [f"{folder}/blur_image/{p} {folder}/gt_image/{p}\n" for p in patch_names]
    Path(path).write_text("".join(lines), encoding="utf-8")


def read_meta_file(meta_file: Path, check_files: bool = True) -> list[tuple[Path, Path]]:
    """The (blurred, sharp) paths listed by a meta file, resolved against its folder; a DataError
    naming the line if a line is malformed or (``check_files``) a listed file is missing."""
    meta_file = Path(meta_file)
    if not meta_file.is_file():
        raise DataError(f"meta file {meta_file} does not exist (run lib.data.prepare first)")
    base, pairs = meta_file.parent, []
    for number, line in enumerate(meta_file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise DataError(f"{meta_file}:{number}: expected '<blur path> <gt path>', got {line!r}")
        blur, gt = base / parts[0], base / parts[1]
        if check_files:
            for path in (blur, gt):
                if not path.is_file():
                    raise DataError(f"{meta_file}:{number}: listed file {path} does not exist")
        pairs.append((blur, gt))
    if not pairs:
        raise DataError(f"meta file {meta_file} lists no pairs")
    return pairs


# ---------------------------------------------------------------- the whole preparation
@dataclass
class PrepareResult:
    """Paths and statistics of a prepared folder."""

    root: Path
    source: Path
    profile: str
    options: dict
    factor: float
    stats: dict
    skipped: bool = False
    seconds: float = 0.0
    size_summary: dict = field(default_factory=dict)

    @property
    def meta_file(self) -> Path:
        return self.root / META_NAME

    @property
    def val_meta_file(self) -> Path:
        """Kept patches of the validation pairs (``stats["val_kept"]`` lines; the file may be empty)."""
        return self.root / VAL_META_NAME

    def val_patches(self) -> list[tuple[Path, Path]]:
        """The (blurred, sharp) paths of the kept validation patches: what the all-data phase adds."""
        return read_meta_file(self.val_meta_file) if self.stats.get("val_kept") else []

    @property
    def split_file(self) -> Path:
        return self.root / SPLIT_NAME

    @property
    def manifest_file(self) -> Path:
        return self.root / MANIFEST_NAME

    @property
    def patches_file(self) -> Path:
        return self.root / PATCHES_NAME

    @property
    def train_dir(self) -> Path:
        """All patches, competition layout (blur_image/, gt_image/)."""
        return self.root / "train"

    @property
    def val_dir(self) -> Path:
        """Downsampled whole validation pairs, competition layout (blur_image/, gt_image/)."""
        return self.root / "val"

    def read_patches(self) -> list[dict]:
        """Rows of patches.csv: patch, source, y, x, height, width, gradient (float), kept (bool)."""
        return read_patch_table(self.patches_file)

    def read_split(self) -> dict:
        return json.loads(self.split_file.read_text(encoding="utf-8"))

    def summary(self) -> str:
        s = self.stats
        state = "已是最新，沿用" if self.skipped else f"用时 {self.seconds:.1f} 秒准备"
        return (
            f"{shown_path(self.root)}（{state}）\n"
            f"  下采样 x{self.factor:g}，图块 {self.options['patch_size']}，步长 "
            f"{self.options['stride']}，梯度阈值 {self.options['grad_threshold']:g}\n"
            f"  训练图 {s['train_images']} 张，验证图 {s['val_images']} 张\n"
            f"  图块 {s['patches']} 个：保留 {s['kept']}（{s['kept_pct']:.1f}%），"
            f"丢弃 {s['dropped']}（{100 - s['kept_pct']:.1f}%）\n"
            f"  验证图块（全数据微调用）{s['val_patches']} 个：保留 {s['val_kept']}"
        )


def read_patch_table(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for key in ("y", "x", "height", "width"):
            row[key] = int(row[key])
        row["gradient"] = float(row["gradient"])
        row["kept"] = row["kept"] == "1"
    return rows


def _result_from_manifest(
    root: Path, manifest: dict, profile: str, options: dict, skipped: bool, seconds: float
) -> PrepareResult:
    return PrepareResult(
        root=root,
        source=Path(manifest["source"]),
        profile=profile,
        options=options,
        factor=manifest["factor"],
        stats=manifest["stats"],
        skipped=skipped,
        seconds=seconds,
        size_summary=manifest.get("size_summary", {}),
    )


def prepare_patches(
    profile: str,
    force: bool = False,
    *,
    source: Path | None = None,
    out: Path | None = None,
    track: str,
    data_track: str | None = None,
    **overrides,
) -> PrepareResult:
    """Split, downsample, crop and filter the training data (see the module docstring).

    ``track`` names the options file (the ``prepare`` section of lib/configs/<track>.yaml; every
    document track crops the same pages its own way), ``data_track`` the track whose generated pages
    it reads (default ``track``; :func:`prepared_root`); ``profile`` selects the profile (required:
    the caller's entry point resolved it); ``overrides`` replace single options (e.g. ``grad_threshold=12``).
    ``source`` is the competition-layout root (the track's :meth:`prepare` passes ``$COURSE_DATA`` if
    set, else the profile's sample pages, generated if missing), ``out`` the
    prepared folder (default: :func:`prepared_root`). Returns at once when ``out`` is up to date,
    unless ``force``.
    """
    start = time.perf_counter()
    profile = check_profile(profile)
    options = prepare_options(profile, track, **overrides)
    if source is None:
        raise ValueError(
            "prepare_patches needs the data root (source=...): the track's prepare() passes "
            "$COURSE_DATA or its generated sample data"
        )
    source = Path(source)
    out = Path(out) if out is not None else prepared_root(source, profile, track, data_track)

    key = _manifest_key(source, options)
    if not force and is_up_to_date(out, key, required=(META_NAME, VAL_META_NAME, SPLIT_NAME, PATCHES_NAME)):
        return _result_from_manifest(out, read_manifest(out), profile, options, True, time.perf_counter() - start)

    # --- check the input before writing anything
    train_pairs = validate_pairs(source / "train", require_gt=True)
    if not train_pairs:  # validate_pairs should already have complained
        raise DataError(f"no training pairs in {source / 'train'}")
    if options["downsample"] == "auto":
        sizes = size_summary(collect_sizes(source))  # needs test images: the factor is measured on them
        factor = sizes["factor"]
    else:
        factor = float(options["downsample"])
        try:
            sizes = size_summary(collect_sizes(source))
        except DataError:  # no test split: the statistics are only informative here
            sizes = {}
    val_count = options["val_count"]
    if val_count >= len(train_pairs):
        raise ConfigError(
            f"prepare.val_count = {val_count} leaves no training pair: {source / 'train'} has {len(train_pairs)} pairs"
        )
    train_part = train_pairs[: len(train_pairs) - val_count]
    val_part = train_pairs[len(train_pairs) - val_count :]

    def build(tmp: Path) -> dict:  # in a hidden temporary folder, renamed into place when complete
        for sub in (
            "train/blur_image",
            "train/gt_image",
            "val/blur_image",
            "val/gt_image",
            f"{VAL_PATCHES_DIR}/blur_image",
            f"{VAL_PATCHES_DIR}/gt_image",
        ):
            (tmp / sub).mkdir(parents=True)
        workers = options["workers"]
        patch, stride = options["patch_size"], options["stride"]
        gradient, shrink = options["gradient"], (factor, options["interpolation"])
        jobs = [
            (name, str(b), str(g), str(tmp / "train"), shrink, patch, stride, gradient) for name, b, g in train_part
        ]
        records = [r for per_image in run_jobs(crop_training_pair, jobs, workers, "crop") for r in per_image]
        val_jobs = [
            (name, str(b), str(g), str(tmp / "val"), str(tmp / VAL_PATCHES_DIR), shrink, patch, stride, gradient)
            for name, b, g in val_part
        ]
        val_records = run_jobs(downsample_validation_pair, val_jobs, workers, "validation") if val_jobs else []

        threshold = float(options["grad_threshold"])
        kept = [r["patch"] for r in records if r["gradient"] >= threshold]
        if not kept:
            highest = max(r["gradient"] for r in records)
            raise ConfigError(
                f"prepare.grad_threshold = {threshold:g} drops every one of the {len(records)} "
                f"patches (highest mean gradient {highest:.2f}); lower the threshold"
            )
        with open(tmp / PATCHES_NAME, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["patch", "source", "y", "x", "height", "width", "gradient", "kept"])
            writer.writeheader()
            for r in records:
                writer.writerow({**r, "kept": int(r["gradient"] >= threshold)})
        write_meta_file(tmp / META_NAME, kept)
        val_patches = [r for v in val_records for r in v["patches"]]
        val_kept = [r["patch"] for r in val_patches if r["gradient"] >= threshold]
        write_meta_file(tmp / VAL_META_NAME, val_kept, VAL_PATCHES_DIR)
        _write_json(
            tmp / SPLIT_NAME,
            {
                "source": str(source.resolve()),
                "val_count": val_count,
                "rule": "sorted by name; the last val_count pairs are validation",
                "train": [name for name, _, _ in train_part],
                "val": [name for name, _, _ in val_part],
                "val_files": [r["file"] for r in val_records],
            },
        )
        stats = {
            "train_images": len(train_part),
            "val_images": len(val_part),
            "patches": len(records),
            "kept": len(kept),
            "dropped": len(records) - len(kept),
            "kept_pct": 100.0 * len(kept) / len(records),
            "val_patches": len(val_patches),
            "val_kept": len(val_kept),
            "gradient_median": float(np.median([r["gradient"] for r in records])),
        }
        return {
            **key,
            "factor": factor,
            "stats": stats,
            "size_summary": sizes,
            "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        }

    manifest = build_atomically(out, build)
    return _result_from_manifest(out, manifest, profile, options, False, time.perf_counter() - start)


PAGES_DIR = "pages"  # beside the patches: the downsampled whole training pages (random online crops)


def training_pages(result: PrepareResult, force: bool = False) -> list[tuple[Path, Path]]:
    """The downsampled whole training pages of a prepared folder, (blurred, sharp) paths: what
    random *online* crops are drawn from, where the patches are the *offline* sliding-window crops.

    The same pages (split.json's train names), downsampled by the same factor as the patches,
    written once to ``<prepared>/pages/{blur_image,gt_image}/<stem>.png`` (redone with ``force``
    or when a page is missing). No gradient filter: a random crop may land on an empty margin.
    """
    split = result.read_split()
    source = Path(result.source)
    pairs = {name: (b, g) for name, b, g in validate_pairs(source / "train", require_gt=True)}
    missing = [name for name in split["train"] if name not in pairs]
    if missing:
        raise DataError(f"{result.split_file} lists training pages not in {source / 'train'}: {missing[:5]}")
    out = result.root / PAGES_DIR
    listed = []
    for name in split["train"]:
        blur_path, gt_path = pairs[name]
        stem = Path(blur_path).stem + ".png"
        dest = (out / "blur_image" / stem, out / "gt_image" / stem)
        if force or not all(p.is_file() for p in dest):
            for p in dest:
                p.parent.mkdir(parents=True, exist_ok=True)
            blur, gt = read_pair(name, Path(blur_path), Path(gt_path))
            for image, path in zip((blur, gt), dest):  # a temporary name per process, then renamed
                tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.png")
                write_png(tmp, downsample(image, result.factor, result.options.get("interpolation", "area")))
                os.replace(tmp, path)
        listed.append(dest)
    return listed
