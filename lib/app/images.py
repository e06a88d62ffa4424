"""A person's image file for the app: read through the submission's reader
(:func:`lib.infer.read_image_file`), turned upright and made 8-bit RGB, or refused with a clear
Chinese message (:class:`InputImageError`).

What a person may bring and what happens to it:

* PNG with alpha: composited over white (the models restore RGB; transparent pixels often hold
  arbitrary colours), and said so;
* greyscale: the grey channel three times (the submission's reader does this);
* 16-bit PNG / TIFF, float TIFF: scaled to 8 bits with :func:`lib.infer.to_unit` / ``from_unit``;
* CMYK JPEG: OpenCV's decoder converts it to RGB;
* EXIF rotation (phone photos): turned upright as a photo viewer shows it (the submission's reader
  keeps the stored pixel order, as a competition's files need; a person expects the photo the way
  they took it);
* a truncated file, a non-image, an empty file: refused, with the reader's reason;
* over :data:`MAX_FILE_BYTES`, a side shorter than the tab's model takes or longer than :data:`MAX_SIDE`, more
  pixels than the tab's :func:`max_pixels`: refused before decoding, with the one limit it breaks and why
  (:func:`check_size`); the preview and the restore check the same limits.

Each tab's limits are its track deployment's (lib.tracks.deployment): its model's shortest side, and the time budget
at the seconds per megapixel recorded in ``app/timing.json`` (the model, the classical method, OCR).
Messages never carry the reader's English reason (the server's log has it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..infer import ImageError, from_unit, read_image_file, to_unit
from ..tracks.deployment import MAX_PIXELS, MAX_SIDE, MIN_SIDE, TIME_BUDGET_S

MAX_FILE_BYTES = 40 * 1024 * 1024  # an 8 MP PNG of photo content is at most ~24 MB


def _deployment(track: str | None):
    from ..tracks import get_deployment

    return get_deployment(track) if track else None


def max_pixels(track: str | None = None) -> int:
    """The most pixels the tab of ``track`` accepts (:attr:`Deployment.max_pixels`; no tab named:
    :data:`MAX_PIXELS`)."""
    deployment = _deployment(track)
    return deployment.max_pixels if deployment else MAX_PIXELS


ORIENTATION_TAG = 274  # EXIF Orientation
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class InputImageError(ValueError):
    """An image the app cannot restore; the message is Chinese and says what to do."""


@dataclass
class LoadedImage:
    rgb: np.ndarray  # H x W x 3 uint8, upright
    notes: list = field(default_factory=list)  # what was converted, in Chinese
    name: str = ""


def _limits(track: str | None):
    """(min side, max side, min side's reason) of ``track``'s tab (the app's own without a tab)."""
    deployment = _deployment(track)
    if deployment is None:
        return MIN_SIDE, MAX_SIDE, "更小的图看不出恢复效果"
    return deployment.min_side_for(), deployment.max_side, deployment.min_side_reason_zh


def _time_reason(track: str | None) -> str:
    deployment = _deployment(track)
    seconds = deployment.seconds_per_megapixel if deployment else None
    if not seconds:
        return "原因是时间：CPU 每百万像素要几秒到几分钟，而应用一次只处理一张图"
    parts = ["模型"] + (["经典方法"] if deployment.classical else []) + (["OCR"] if deployment.ocr else [])
    return (
        f"原因是时间：在 2 核 CPU 上这一栏（{'、'.join(parts)}）每百万像素约需 {seconds:g} 秒，"
        f"一张图限在约 {TIME_BUDGET_S // 60} 分钟内，而应用一次只处理一张图"
    )


def limit_text(track: str | None = None) -> str:
    """The limits of ``track``'s tab, in Chinese, with the reason: the same at preview and at restore."""
    low, high, _ = _limits(track)
    megabytes = MAX_FILE_BYTES // (1024 * 1024)
    return (
        f"最大 {max_pixels(track) / 1e6:.1f} 百万像素、每边 {low} 到 {high} 像素、文件不超过 {megabytes} MB。"
        f"{_time_reason(track)}（大照片请先缩小）"
    )


def check_size(width: int, height: int, track: str | None = None) -> None:
    """:class:`InputImageError` naming the one limit of ``track``'s tab that ``width`` x ``height`` breaks:
    a side too short for its model, a side too long, or too many pixels for its time budget."""
    low, high, why_low = _limits(track)
    if min(width, height) < low:
        raise InputImageError(f"图片太小：{width} x {height} 像素，这一栏的模型要求每边至少 {low} 像素（{why_low}）。")
    if max(width, height) > high:
        raise InputImageError(
            f"图片的一边太长：{width} x {height} 像素，每边最多 {high} 像素"
            "（更长的边在网页的对比视图里也看不清）。请先缩小。"
        )
    limit = max_pixels(track)
    if width * height > limit:
        raise InputImageError(
            f"像素太多：{width} x {height} = {width * height / 1e6:.1f} 百万像素，这一栏最多 {limit / 1e6:.1f} "
            f"百万像素。{_time_reason(track)}。请先缩小。"
        )


def _header_size(path: Path):
    """(width, height) from the file's header without decoding the pixels (Pillow), else None."""
    try:
        from PIL import Image

        with Image.open(path) as image:
            return image.size, image.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # noqa: BLE001 -- not readable by Pillow: the submission's reader gives the reason
        return None, 1


def upright(rgb: np.ndarray, orientation: int) -> np.ndarray:
    """The array as EXIF ``orientation`` (1-8) says to show it (what Pillow's ``exif_transpose`` does)."""
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.transpose(1, 0, 2),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: a.transpose(1, 0, 2)[::-1, ::-1],
        8: lambda a: np.rot90(a, 1),
    }
    return np.ascontiguousarray(ops[orientation](rgb)) if orientation in ops else rgb


def _png_truncated(path: Path) -> bool:
    """A PNG file (by its signature) without its end chunk: cut short."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        handle.seek(max(path.stat().st_size - 16, 0))
        tail = handle.read()
    return head == PNG_SIGNATURE and b"IEND" not in tail


def load_image(path, track: str | None = None) -> LoadedImage:
    """Read an uploaded file as upright RGB uint8 for ``track``'s tab (its limits, :func:`check_size`: from the
    file's header before decoding when it has one); :class:`InputImageError` with a Chinese message otherwise."""
    if path is None or str(path) == "":
        raise InputImageError("请先上传一张图片（PNG、JPEG、BMP、TIFF 或 WebP）。")
    path = Path(path)
    if not path.is_file():
        raise InputImageError(f"找不到上传的文件 {path.name}，请重新上传。")
    size_bytes = path.stat().st_size
    if size_bytes > MAX_FILE_BYTES:
        raise InputImageError(
            f"文件太大：{size_bytes / 1024 / 1024:.1f} MB，最多 {MAX_FILE_BYTES // (1024 * 1024)} MB"
            "（上传和解码时整个文件都在内存里）。"
        )
    size, orientation = _header_size(path)
    if size is not None:
        check_size(*size, track)
    try:
        image, info = read_image_file(path)
    except ImageError as exc:
        reason = str(exc)
        if "not an image file" in reason:
            message = f"{path.name} 不是图片文件（只接受 PNG、JPEG、BMP、TIFF、WebP）。"
        elif "empty file" in reason:
            message = f"{path.name} 是空文件（0 字节）。"
        elif "truncated JPEG" in reason or _png_truncated(path):
            message = f"{path.name} 不完整：文件在图像数据结束之前就断了（上传或下载被中断？）。请换一个完整的文件。"
        else:
            message = f"无法把 {path.name} 解码为图片：文件损坏、不完整，或者内容与扩展名不符。"
        raise InputImageError(message) from exc
    notes = []
    if info["layout"] == "gray":
        notes.append("灰度图：按三个相同的通道处理。")
    if image.dtype != np.uint8:
        notes.append(f"{image.dtype} 像素（{'16 位' if image.dtype == np.uint16 else '浮点'}）：换算成 8 位后处理。")
        image = from_unit(to_unit(image), np.uint8)
    if "alpha" in info:
        alpha = to_unit(info["alpha"])[..., None]
        image = from_unit(to_unit(image) * alpha + (1.0 - alpha), np.uint8)
        notes.append("带透明通道：透明部分按白色背景合成后处理。")
    if orientation in range(2, 9):
        image = upright(image, orientation)
        notes.append(f"照片带 EXIF 方向标记（{orientation}）：已按拍摄方向转正。")
    if size is None:
        check_size(image.shape[1], image.shape[0], track)
    return LoadedImage(rgb=image, notes=notes, name=path.name)
