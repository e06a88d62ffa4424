"""Image files: read anything OpenCV decodes as RGB, write the result back in kind (grayscale,
RGBA and 16-bit stay so), list a folder's inputs, check the output folder can be written.

Standalone (see :mod:`lib.infer`): each submission zip carries this file as ``infer/image_files.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from .errors import ImageError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
JPEG_START, JPEG_END = b"\xff\xd8\xff", b"\xff\xd9"


def jpeg_truncated(path: Path, data: np.ndarray) -> bool:
    """Whether a JPEG file stops before its image data ends. OpenCV decodes such a file without an
    error (libjpeg only warns on stderr) and fills the missing rows with grey.

    A complete JPEG ends with the end-of-image marker (FF D9; inside the compressed data an FF byte
    is always followed by 00 or a restart marker, so it cannot end that way by chance). Without it
    (some cameras append data after the image) Pillow's decoder decides: it raises "image file is
    truncated" when the data runs out. Without Pillow, the marker must follow the last scan."""
    tail = data[-64:].tobytes().rstrip(b"\x00\r\n\t ")
    if tail.endswith(JPEG_END):
        return False
    try:
        from PIL import Image
    except ImportError:
        raw = data.tobytes()
        return raw.find(JPEG_END, raw.rfind(b"\xff\xda")) < 0
    try:
        with Image.open(path) as image:
            image.load()
    except Exception as exc:  # noqa: BLE001 -- anything else is OpenCV's to judge
        return "truncated" in str(exc)
    return False


def read_image_file(path: Path) -> tuple[np.ndarray, dict]:
    """(RGB H x W x 3 array in the file's dtype, how to write it back). Raises ImageError."""
    path = Path(path)
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ImageError(
            f"not an image file (suffix {path.suffix or 'none'!r}; expected one of {', '.join(IMAGE_SUFFIXES)})"
        )
    data = np.fromfile(str(path), dtype=np.uint8)
    if data.size == 0:
        raise ImageError("empty file (0 bytes)")
    if data[:3].tobytes() == JPEG_START and jpeg_truncated(path, data):
        raise ImageError(
            f"truncated JPEG: the file ends before its image data does ({data.size} bytes; "
            "decoded, its missing rows would come out grey)"
        )
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageError(
            f"cannot decode the file as an image ({data.size} bytes: corrupt, truncated "
            f"or not a {path.suffix.lower()} file)"
        )
    if image.dtype not in (np.uint8, np.uint16, np.float32):
        raise ImageError(f"unsupported pixel type {image.dtype} (uint8, uint16 and float32 are restored)")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB), {"layout": "gray", "dtype": image.dtype}
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB), {"layout": "bgr", "dtype": image.dtype}
    if image.ndim == 3 and image.shape[2] == 4:
        return (
            cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_BGR2RGB),
            {"layout": "bgra", "dtype": image.dtype, "alpha": image[:, :, 3].copy()},
        )
    raise ImageError(f"unsupported image layout: shape {image.shape}")


def write_image_file(path: Path, rgb: np.ndarray, info: dict) -> None:
    """Write a restored RGB image in the layout of the original (``info`` from read_image_file),
    encoded by the file's extension, to a temporary name then renamed."""
    path = Path(path)
    if info["layout"] == "gray":
        pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    else:
        pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        if info["layout"] == "bgra":
            pixels = np.dstack([pixels, info["alpha"]])
    suffix = path.suffix.lower()
    params = {
        ".jpg": [cv2.IMWRITE_JPEG_QUALITY, 100],
        ".jpeg": [cv2.IMWRITE_JPEG_QUALITY, 100],
        ".webp": [cv2.IMWRITE_WEBP_QUALITY, 101],
    }.get(suffix, [])  # 101: lossless WebP
    ok, encoded = cv2.imencode(suffix, pixels, params)
    if not ok:
        raise ImageError(f"OpenCV could not encode a {pixels.dtype} image as {suffix}")
    tmp = path.with_name(f".{path.name}.partial")
    try:
        encoded.tofile(str(tmp))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def list_inputs(src_dir: Path) -> list[Path]:
    """Every visible regular file of ``src_dir``, sorted by name (hidden files such as
    ``.DS_Store`` are skipped; subfolders are not entered)."""
    return sorted(
        (p for p in Path(src_dir).iterdir() if p.is_file() and not p.name.startswith(".")), key=lambda p: p.name
    )


def prepare_save_dir(save_dir, src_dir=None) -> Path:
    """Create ``save_dir`` and prove a file can be written in it, so a bad output folder is told
    before any model loads (not after every image went through it). Raises OSError naming it."""
    save_dir = Path(save_dir)
    if src_dir is not None and save_dir.resolve() == Path(src_dir).resolve():
        raise ValueError(f"save_dir must differ from src_image_dir ({src_dir}): the inputs would be overwritten")
    if save_dir.exists() and not save_dir.is_dir():
        raise NotADirectoryError(f"the output folder {save_dir} is a file; give a folder (it is created if missing)")
    probe = save_dir / f".predict-write-test-{os.getpid()}"
    try:
        save_dir.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OSError(f"cannot write into the output folder {save_dir}: {exc.strerror or exc}") from exc
    return save_dir
