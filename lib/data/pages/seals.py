"""Red company seals and office stamps: their ink masks and the multiply-blend onto a page."""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image, ImageDraw

from ..fonts import FontSpec, load_font


def stamp_mask(rng, radius: float, arc_text: str, center_text: str, face_spec: FontSpec) -> np.ndarray:
    """Grey mask (0..1) of a round company seal: ring, text along the upper arc, star, bottom text."""
    size = int(2 * radius + 8)
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    c = size / 2
    ring = max(1.5, radius * rng.uniform(0.05, 0.08))
    draw.ellipse([c - radius, c - radius, c + radius, c + radius], outline=255, width=int(round(ring)))
    # five-pointed star
    star_r = radius * 0.27
    pts = []
    for k in range(10):
        r = star_r if k % 2 == 0 else star_r * 0.4
        a = math.pi / 2 + k * math.pi / 5
        pts.append((c + r * math.cos(a), c - r * math.sin(a)))
    draw.polygon(pts, fill=255)
    # text along the arc, letters upright towards the rim
    char_size = int(max(6, radius * (0.26 if len(arc_text) <= 12 else 0.21)))
    font = load_font(face_spec.path, face_spec.index, char_size)
    text_r = radius - ring - char_size * 0.7
    n = len(arc_text)
    span = min(250.0, 22.0 * n) if face_spec.cjk else min(300.0, 13.0 * n)
    for i, ch in enumerate(arc_text):
        theta = 90 + span / 2 - (i * span / (n - 1) if n > 1 else 0)
        tile = Image.new("L", (char_size * 2, char_size * 2), 0)
        ImageDraw.Draw(tile).text((char_size, char_size), ch, font=font, fill=255, anchor="mm")
        tile = tile.rotate(theta - 90, resample=Image.BICUBIC)
        x = c + text_r * math.cos(math.radians(theta)) - char_size
        y = c - text_r * math.sin(math.radians(theta)) - char_size
        mask.paste(255, (int(round(x)), int(round(y))), tile)
    if center_text:
        small = load_font(face_spec.path, face_spec.index, int(max(5, radius * 0.17)))
        draw.text((c, c + radius * 0.55), center_text, font=small, fill=255, anchor="mm")
    m = np.asarray(mask, np.float32) / 255.0
    # uneven ink: smooth random density, some nearly empty patches
    grain = cv2.resize(rng.uniform(0.45, 1.0, (8, 8)).astype(np.float32), (size, size), interpolation=cv2.INTER_CUBIC)
    return np.clip(m * grain * rng.uniform(0.8, 1.0), 0, 1)


def rect_stamp_mask(rng, height: float, word: str, face_spec: FontSpec) -> np.ndarray:
    """Grey mask of a rectangular office stamp such as ``APPROVED`` or ``已核对``."""
    font = load_font(face_spec.path, face_spec.index, int(max(6, height * 0.55)))
    w = int(font.getlength(word) + height * 0.8)
    h = int(height)
    mask = Image.new("L", (w + 4, h + 4), 0)
    draw = ImageDraw.Draw(mask)
    draw.rectangle([2, 2, w + 1, h + 1], outline=255, width=max(1, int(h * 0.07)))
    draw.text(
        ((w + 4) / 2, (h + 4) / 2),
        word,
        font=font,
        fill=255,
        anchor="mm",
        stroke_width=max(0.3, h / 60),
        stroke_fill=255,
    )
    m = np.asarray(mask, np.float32) / 255.0
    grain = cv2.resize(
        rng.uniform(0.5, 1.0, (4, 8)).astype(np.float32), (m.shape[1], m.shape[0]), interpolation=cv2.INTER_CUBIC
    )
    return np.clip(m * grain, 0, 1)


def apply_ink(page: np.ndarray, mask: np.ndarray, center, angle: float, color) -> None:
    """Multiply-blend a rotated ink mask in ``color`` onto ``page`` (float RGB 0..1) in place."""
    h, w = mask.shape
    diag = int(math.ceil(math.hypot(h, w))) + 2
    canvas = np.zeros((diag, diag), np.float32)
    oy, ox = (diag - h) // 2, (diag - w) // 2
    canvas[oy : oy + h, ox : ox + w] = mask
    rot = cv2.getRotationMatrix2D((diag / 2, diag / 2), angle, 1.0)
    canvas = cv2.warpAffine(canvas, rot, (diag, diag), flags=cv2.INTER_LINEAR)
    x0, y0 = int(center[0] - diag / 2), int(center[1] - diag / 2)
    H, W = page.shape[:2]
    sx0, sy0 = max(0, -x0), max(0, -y0)
    dx0, dy0 = max(0, x0), max(0, y0)
    dx1, dy1 = min(W, x0 + diag), min(H, y0 + diag)
    if dx1 <= dx0 or dy1 <= dy0:
        return
    m = canvas[sy0 : sy0 + dy1 - dy0, sx0 : sx0 + dx1 - dx0, None]
    tint = np.asarray(color, np.float32) / 255.0
    page[dy0:dy1, dx0:dx1] *= 1.0 - m * (1.0 - tint)
