"""Image files a person may bring to the app, written into a folder: good ones in every layout and
bad ones of every kind the app must refuse with a message (tests/test_app_*.py)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

HEIGHT, WIDTH = 48, 64  # landscape, so an EXIF rotation shows in the shape


def page(height=HEIGHT, width=WIDTH, seed=0) -> np.ndarray:
    """A small RGB uint8 test picture: smooth gradients and a few dark strokes."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), np.full_like(x, 200)], axis=2)
    rgb = rgb.astype(np.uint8)
    for _ in range(4):
        r = int(rng.integers(0, height - 4))
        rgb[r : r + 2, 4 : width - 4] = 20
    return rgb


def good_files(folder: Path) -> dict:
    """name -> (path, expected upright (h, w), words the app's note must contain or None)."""
    folder = Path(folder)
    rgb = page()
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    files = {}
    alpha = np.dstack([bgr, np.tile(np.linspace(0, 255, WIDTH).astype(np.uint8), (HEIGHT, 1))])
    cv2.imwrite(str(folder / "alpha.png"), alpha)
    files["png_alpha"] = (folder / "alpha.png", (HEIGHT, WIDTH), "透明")
    cv2.imwrite(str(folder / "grey.png"), cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    files["greyscale"] = (folder / "grey.png", (HEIGHT, WIDTH), "灰度")
    cv2.imwrite(str(folder / "deep.png"), bgr.astype(np.uint16) * 257)
    files["png_16bit"] = (folder / "deep.png", (HEIGHT, WIDTH), "16 位")
    Image.fromarray(rgb).convert("CMYK").save(folder / "cmyk.jpg", quality=95)
    files["cmyk_jpeg"] = (folder / "cmyk.jpg", (HEIGHT, WIDTH), None)
    exif = Image.Exif()
    exif[274] = 6  # rotate 90 degrees clockwise to show upright
    Image.fromarray(rgb).save(folder / "rotated.jpg", quality=95, exif=exif)
    files["exif_rotation"] = (folder / "rotated.jpg", (WIDTH, HEIGHT), "EXIF")
    return files


def bad_files(folder: Path) -> dict:
    """name -> (path, words the Chinese message must contain)."""
    from lib.app.images import MAX_PIXELS

    folder = Path(folder)
    files = {}
    ok, png = cv2.imencode(".png", cv2.cvtColor(page(), cv2.COLOR_RGB2BGR))
    (folder / "cut.png").write_bytes(png.tobytes()[: len(png) // 2])
    files["truncated_png"] = (folder / "cut.png", "不完整")
    ok, jpg = cv2.imencode(".jpg", cv2.cvtColor(page(), cv2.COLOR_RGB2BGR))
    (folder / "cut.jpg").write_bytes(jpg.tobytes()[: len(jpg) * 2 // 3])
    files["truncated_jpeg"] = (folder / "cut.jpg", "不完整")
    (folder / "notes.txt").write_text("not a picture\n", encoding="utf-8")
    files["non_image"] = (folder / "notes.txt", "不是图片文件")
    (folder / "fake.png").write_text("not a picture either\n", encoding="utf-8")
    files["non_image_named_png"] = (folder / "fake.png", "无法把")
    (folder / "empty.png").write_bytes(b"")
    files["empty"] = (folder / "empty.png", "空文件")
    side = int(MAX_PIXELS**0.5) + 8  # a flat image: a small file, over the pixel limit
    cv2.imwrite(str(folder / "huge.png"), np.full((side, side, 3), 255, np.uint8))
    files["over_limit"] = (folder / "huge.png", "百万像素")
    return files
