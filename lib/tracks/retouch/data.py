"""Face-retouching sample data (track ``retouch``): real faces that ship offline, augmented, with
synthetic spots and acne on the skin (lib.tracks.retouch.blemish), in the competition's folder layout::

    <root>/<split>/image/        inputs (faces with blemishes), PNG
    <root>/<split>/groundtruth/  the clean faces, same names and sizes (absent on a test board)
    <root>/<split>/mask/         generated data only: where blemishes were painted (0 / 255)

Splits: ``train`` and ``val`` are made from scikit-image's ``astronaut()``; ``test_A`` is made only
from matplotlib's ``grace_hopper.jpg``, a face that training never sees (HOLDOUT). These are the
only colour photos of faces installed offline, so each split is many augmented views of its face:
a random scale (face width a fraction of the crop), a crop around the face, a horizontal flip and
a colour / tone jitter of the clean image; then blemishes on the (warped) skin mask of the source,
with sizes scaled to the face. A ``negatives`` fraction of the training samples are scenes without
a face (scikit-image's coffee, chelsea, rocket: NEGATIVES) with only the mild global K: one
training face alone teaches the network to repaint anything red or contrasted (without them the
held-out face's flag and uniform lost much of their PSNR outside the blemishes).

Every random choice comes from ``np.random.default_rng([seed, split number, index])``: the same
seed gives the same bytes. The folder is built atomically (lib.data.folders) with a manifest.

A real download is read unchanged: :func:`list_pairs` / :func:`validate_split` know only
``image/`` and ``groundtruth/`` (other folders such as ``mask/`` are ignored; files are matched by
name without extension).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from lib.config import active_profile, profile_config
from lib.data import folders, pairs
from lib.data.folders import SampleData, build_atomically, run_jobs
from lib.data.pairs import DataError, check_each, read_image, split_folders

from .blemish import BlemishOptions, compose, degradation_maps, skin_mask, synthesize_blemishes

TRACK = "retouch"
IMAGE_DIR, GT_DIR, MASK_DIR = "image", "groundtruth", "mask"
SPLITS = ("train", "val", "test_A")
HOLDOUT = {"train": "astronaut", "val": "astronaut", "test_A": "grace_hopper"}
# Scenes without a face (scikit-image), a ``negatives`` fraction of the training samples, with only
# the mild global K (no blemishes): the network learns to leave red, bright or high-contrast things
# that are not skin alone (the one training face cannot teach that). Not input = ground truth: the
# per-image log-MSE of the PSNR loss would reward exact identity on them without bound.
NEGATIVES = ("coffee", "chelsea", "rocket")
GENERATOR_VERSION = 1
DATA_KEYS = {
    "size",
    "n_train",
    "n_val",
    "n_test",
    "face_width",
    "gamma",
    "gain",
    "saturation",
    "channel_gain",
    "density",
    "negatives",
    "workers",
}

Pair = pairs.Pair  # (name, image path, groundtruth path or None)


# ----------------------------------------------------------------------------------------------
# Sources
# ----------------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def source_face(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(RGB uint8 image, bool skin mask) of an offline image: the faces ``astronaut`` and
    ``grace_hopper``, or a scene of NEGATIVES."""
    if name == "astronaut":
        from skimage.data import astronaut

        rgb = np.ascontiguousarray(astronaut()[..., :3])
    elif name == "grace_hopper":
        from matplotlib import cbook

        with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as im:
            rgb = np.asarray(im.convert("RGB")).copy()
    elif name in NEGATIVES:
        import skimage.data

        rgb = np.ascontiguousarray(getattr(skimage.data, name)()[..., :3])
    else:
        raise ValueError(f"unknown source image {name!r}; known: astronaut, grace_hopper, {', '.join(NEGATIVES)}")
    return rgb, skin_mask(rgb)


def data_options(profile: str, overrides: dict | None = None) -> dict:
    opts = {**profile_config(TRACK, profile)["data"], **(overrides or {})}
    unknown = sorted(set(opts) - DATA_KEYS)
    if unknown:
        raise DataError(f"retouch data options: unknown keys {unknown}; known: {sorted(DATA_KEYS)}")
    if int(opts["size"]) < 176:
        raise DataError(f"retouch data option size must be >= 176 (5-scale MS-SSIM), got {opts['size']}")
    return opts


# ----------------------------------------------------------------------------------------------
# One augmented face
# ----------------------------------------------------------------------------------------------
def augment_face(rng: np.random.Generator, rgb: np.ndarray, skin: np.ndarray, opts: dict):
    """A ``size x size`` view of a face: scale (the skin's width becomes ``face_width`` x size),
    crop around the skin with jitter, horizontal flip, colour / tone jitter. Returns (clean RGB
    uint8, skin bool, face width in px)."""
    size = int(opts["size"])
    ys, xs = np.nonzero(skin)
    width = float(xs.max() - xs.min() + 1)
    face = rng.uniform(*opts["face_width"]) * size
    scale = max(face / width, size / min(rgb.shape[:2]))
    h, w = int(round(rgb.shape[0] * scale)), int(round(rgb.shape[1] * scale))
    image = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    mask = cv2.resize(skin.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)
    cy, cx = ys.mean() * scale, xs.mean() * scale
    jitter = rng.uniform(-0.15, 0.15, size=2) * size
    y0 = int(np.clip(round(cy + jitter[0] - size / 2), 0, h - size))
    x0 = int(np.clip(round(cx + jitter[1] - size / 2), 0, w - size))
    image, mask = image[y0 : y0 + size, x0 : x0 + size], mask[y0 : y0 + size, x0 : x0 + size]
    if rng.uniform() < 0.5:
        image, mask = image[:, ::-1], mask[:, ::-1]
    return _jitter(rng, image, opts), np.ascontiguousarray(mask), face


def _jitter(rng: np.random.Generator, image: np.ndarray, opts: dict) -> np.ndarray:
    """Colour / tone jitter of a clean image: gamma, saturation, gain, per-channel gain."""
    x = image.astype(np.float64) / 255.0
    x = x ** rng.uniform(*opts["gamma"])
    grey = x.mean(axis=2, keepdims=True)
    x = grey + (x - grey) * rng.uniform(*opts["saturation"])
    x = x * rng.uniform(*opts["gain"]) * (1.0 + rng.uniform(-opts["channel_gain"], opts["channel_gain"], 3))
    return np.ascontiguousarray(np.rint(255.0 * np.clip(x, 0.0, 1.0)).astype(np.uint8))


def augment_scene(rng: np.random.Generator, rgb: np.ndarray, opts: dict) -> np.ndarray:
    """A ``size x size`` view of a scene: random scale (at least covering the crop), crop, flip, jitter."""
    size = int(opts["size"])
    scale = max(size / min(rgb.shape[:2]), 1.0) * rng.uniform(1.0, 1.6)
    h, w = int(round(rgb.shape[0] * scale)), int(round(rgb.shape[1] * scale))
    image = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_CUBIC)
    y0, x0 = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    image = image[y0 : y0 + size, x0 : x0 + size]
    return _jitter(rng, image[:, ::-1] if rng.uniform() < 0.5 else image, opts)


def make_sample(seed: int, split: str, index: int, opts: dict):
    """(name, degraded, clean, blemish mask) of one sample, fully determined by the arguments.
    In ``train``, a fraction ``negatives`` of the samples are scenes without a face (K only)."""
    rng = np.random.default_rng([seed, SPLITS.index(split), index])
    name = f"{index:05d}.png"
    if split == "train" and rng.uniform() < float(opts.get("negatives", 0.0)):
        clean = augment_scene(rng, source_face(NEGATIVES[int(rng.integers(len(NEGATIVES)))])[0], opts)
        no_skin = np.zeros(clean.shape[:2], bool)
        K = degradation_maps(rng, clean.shape[:2], no_skin, BlemishOptions()).astype(np.float32)
        return name, compose(clean, K, np.zeros_like(K)), clean, no_skin
    rgb, skin = source_face(HOLDOUT[split])
    clean, crop_skin, face = augment_face(rng, rgb, skin, opts)
    r = face / 160.0  # blemish sizes follow the face: BlemishOptions' defaults suit a ~160 px face
    blemish = BlemishOptions(density=tuple(opts["density"]), radius=(1.0 * r, 5.0 * r))
    sample = synthesize_blemishes(rng, clean, crop_skin, blemish)
    return name, sample.degraded, clean, sample.mask


def _png(rgb_or_gray: np.ndarray) -> bytes:
    array = rgb_or_gray if rgb_or_gray.ndim == 2 else cv2.cvtColor(rgb_or_gray, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".png", array, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise RuntimeError("OpenCV could not encode a PNG")
    return data.tobytes()


def _write_job(job) -> dict:
    """Worker: write one sample under ``tmp/<split>/``; returns {relative path: sha1} and stats."""
    tmp, seed, split, index, opts = job
    name, degraded, clean, mask = make_sample(seed, split, index, opts)
    files = {}
    for folder, array in ((IMAGE_DIR, degraded), (GT_DIR, clean), (MASK_DIR, mask.astype(np.uint8) * 255)):
        data = _png(array)
        rel = f"{split}/{folder}/{name}"
        path = Path(tmp) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files[rel] = hashlib.sha1(data).hexdigest()[:16]
    return {"files": files, "blemish_fraction": float(mask.mean())}


def _params(profile: str, seed: int, opts: dict) -> dict:
    return {
        "generator": f"retouch v{GENERATOR_VERSION}",
        "profile": profile,
        "seed": int(seed),
        "options": {k: v for k, v in opts.items() if k != "workers"},
        "holdout": HOLDOUT,
    }


def generate(root, profile: str, seed: int, opts: dict, workers: int) -> dict:
    counts = {"train": int(opts["n_train"]), "val": int(opts["n_val"]), "test_A": int(opts["n_test"])}

    def build(tmp: Path) -> dict:
        jobs = [(str(tmp), seed, split, i, opts) for split in SPLITS for i in range(counts[split])]
        results = run_jobs(_write_job, jobs, workers, "retouch faces", "face")
        files = {k: v for r in results for k, v in r["files"].items()}
        return {
            **_params(profile, seed, opts),
            "counts": counts,
            "files": files,
            "mean_blemish_fraction": float(np.mean([r["blemish_fraction"] for r in results])),
        }

    return build_atomically(root, build)


SAMPLE_DATA = SampleData(
    TRACK,
    "train/ and test_A/ of the competition download (image/, groundtruth/)",
    data_options,
    _params,
    generate,
    lambda manifest: "，".join(f"{split} {n} 对" for split, n in manifest["counts"].items()),
)


def ensure_dataset(profile: str | None = None, root=None, **keywords) -> Path:
    """The data root: ``$COURSE_DATA`` (a real download, untouched) when ``root`` is None and it is
    set; else the generated set under ``root`` (default ``data/retouch[-profile]``), written
    unless its manifest already matches profile, seed and options
    (:func:`lib.data.folders.ensure_dataset`: keywords ``seed``, ``force``, ``workers``, ``options``)."""
    return folders.ensure_dataset(SAMPLE_DATA, active_profile(profile), root, **keywords)  # a notebook's entry point


# ----------------------------------------------------------------------------------------------
# Reading and checking the layout (real downloads and generated data alike)
# ----------------------------------------------------------------------------------------------
def list_pairs(split_dir) -> list[Pair]:
    """``(name, image path, groundtruth path or None)`` for every image of ``split_dir/image``, by name."""
    return pairs.list_pairs(split_dir, input_dir=IMAGE_DIR, gt_dir=GT_DIR)


def mask_path(image_path) -> Path | None:
    """The generated blemish mask beside an input image (``<split>/mask/<name>``), if there is one."""
    path = Path(image_path).parent.parent / MASK_DIR / Path(image_path).name
    return path if path.is_file() else None


def validate_split(split_dir, require_gt: bool = True) -> list[Pair]:
    """:func:`list_pairs`, after checking everything; one DataError listing every problem with its
    file: missing folders, non-image files, duplicate names, unreadable images, inputs without
    ground truth (``require_gt``), ground truth without input, size mismatches."""
    return pairs.validate_pairs(split_dir, require_gt, input_dir=IMAGE_DIR, gt_dir=GT_DIR, input_noun="input")


def check_root(root) -> list[str]:
    """Every split folder of ``root`` (ground truth required except on test boards without one)."""
    splits = split_folders(root)

    def check(split):
        pairs = validate_split(split, require_gt=split.name == "train")
        return f"{split.name}：{len(pairs)} 张图，其中 {sum(g is not None for _, _, g in pairs)} 张有 {GT_DIR}"

    return check_each(splits, check)


def load_split(split_dir, limit: int | None = None) -> list[tuple]:
    """(name, input, ground truth, blemish mask or None) arrays of a split with ground truth."""
    rows = []
    for name, image, gt in list_pairs(split_dir)[:limit]:
        if gt is None:
            raise DataError(f"{Path(split_dir) / IMAGE_DIR / name}: no ground truth in {GT_DIR}/")
        mpath = mask_path(image)
        mask = cv2.imdecode(np.fromfile(str(mpath), np.uint8), cv2.IMREAD_GRAYSCALE) > 0 if mpath else None
        rows.append((name, read_image(image), read_image(gt), mask))
    return rows
