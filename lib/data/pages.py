"""Render sharp document pages that look like phone photos of real paperwork.

A page is laid out top to bottom (in one or two columns) from blocks: header and footer, title,
headings, paragraphs, bulleted or numbered lists, ruled tables, a small chart, a signature block
with a red seal. The flat page is then turned slightly, given paper grain, a colour cast, an
exposure and uneven lighting (gradient, vignette, sometimes a soft shadow) as a photo would have;
some pages come out greyscale, like a scan.

Every size is given in *units* and multiplied by ``px`` (pixels per unit): ``px = 1`` is a page
whose long side is 800 px; a training page rendered at 2x uses twice the ``px`` and so matches a
test page after 2x downsampling.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageDraw

from . import text as T
from .fonts import FontSet, FontSpec, load_font

INK_COLORS = [(25, 25, 25), (35, 35, 40), (15, 15, 20), (40, 38, 36), (20, 28, 60)]
HEADING_COLORS = [(20, 20, 20), (20, 20, 20), (31, 56, 100), (25, 40, 80)]
CHART_COLORS = [(68, 114, 196), (237, 125, 49), (165, 165, 165), (255, 192, 0), (91, 155, 213),
                (112, 173, 71)]
RED_HEAD = (200, 30, 35)
NO_LINE_START = set("，。、；：？！）》」』”’%,.;:?!)]")



@dataclass(frozen=True)
class PageJob:
    """One generated page of a data set, picklable for the generators' worker processes: where it
    goes, its split and index, the random seed it is drawn from, the data options and fonts. A
    generator names its files by :attr:`name` (subclass it for another naming)."""
    out_dir: str
    split: str
    index: int
    seed: int
    options: dict
    fonts: FontSet

    @property
    def name(self) -> str:
        return f"{self.index + 1:05d}"

@dataclass
class Face:
    """A font at one pixel size; ``stroke`` > 0 makes a faux-bold face for fonts without a bold cut."""

    spec: FontSpec
    size: int
    stroke: float = 0.0

    @property
    def font(self):
        return load_font(self.spec.path, self.spec.index, self.size)

    def width(self, s: str) -> float:
        return self.font.getlength(s) + 2 * self.stroke

    def label(self) -> str:
        bold = " Bold" if self.spec.bold else (" (faux bold)" if self.stroke else "")
        return f"{self.spec.name}{bold}"


@dataclass
class RenderedPage:
    image: np.ndarray            # H x W x 3 uint8, RGB: the sharp ground truth
    lines: list[dict]            # {"text", "kind", "box": [x0, y0, x1, y1]} in reading order
    fonts: list[str]
    info: dict = field(default_factory=dict)


def _has_cjk(s: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
               for ch in s)


_TOKEN = re.compile(r"[A-Za-z0-9¥$][A-Za-z0-9.,%:/¥$-]*|.")


def wrap(s: str, face: Face, width: float) -> list[str]:
    """Break ``s`` into lines no wider than ``width``: between characters for Chinese (numbers and
    Latin words stay whole, closing punctuation never starts a line), between words for English."""
    if not s:
        return []
    if _has_cjk(s):
        lines, line = [], ""
        for token in _TOKEN.findall(s):
            if line and face.width(line + token) > width and token[0] not in NO_LINE_START:
                if face.width(token) > width:  # a very long number: break it anywhere
                    for ch in token:
                        if face.width(line + ch) > width and line:
                            lines.append(line)
                            line = ""
                        line += ch
                    continue
                lines.append(line)
                line = token.lstrip()
            else:
                line += token
        return lines + [line] if line else lines
    lines, line = [], ""
    for word in s.split(" "):
        candidate = f"{line} {word}" if line else word
        if line and face.width(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + [line] if line else lines


class Flow:
    """Places lines top to bottom in one or more columns; records each line's text and box."""

    def __init__(self, draw: ImageDraw.ImageDraw, columns: list[tuple[int, int]], top: int, bottom: int):
        self.draw, self.columns, self.top, self.bottom = draw, columns, top, bottom
        self.col, self.y = 0, top
        self.records: list[dict] = []
        self.faces: set[str] = set()

    @property
    def x0(self) -> int:
        return self.columns[self.col][0]

    @property
    def width(self) -> int:
        return self.columns[self.col][1] - self.columns[self.col][0]

    def room(self, height: float) -> bool:
        """Move to the next column if ``height`` does not fit here; False when the page is full."""
        if self.y + height <= self.bottom:
            return True
        if self.col + 1 < len(self.columns):
            self.col += 1
            self.y = self.top
            return self.y + height <= self.bottom
        return False

    def fits_here(self, height: float) -> bool:
        return self.y + height <= self.bottom

    def skip(self, dy: float) -> None:
        if self.y > self.top:  # no gap at the top of a column
            self.y += dy

    def text_line(self, s: str, face: Face, color, kind: str, line_height: float,
                  x_offset: float = 0.0, align: str = "left", width: float | None = None,
                  record: bool = True, justify: bool = False) -> bool:
        if not self.room(line_height):
            return False
        width = self.width if width is None else width
        ascent = face.font.getmetrics()[0]
        baseline = self.y + (line_height - face.size) / 2 + ascent * 0.95
        w = face.width(s)
        x = self.x0 + x_offset
        if align == "center":
            x = self.x0 + (width - w) / 2
        elif align == "right":
            x = self.x0 + width - w
        tokens = _TOKEN.findall(s) if justify else [s]
        gap = (width - x_offset - w) / (len(tokens) - 1) if len(tokens) > 1 else 0.0
        if 0 < gap < face.size * 0.35:
            # Chinese text is set flush on both sides: spread the slack over the gaps between
            # characters (numbers and Latin words stay whole)
            pos = x
            for token in tokens:
                draw_text(self.draw, (pos, baseline), token, face, color)
                pos += face.font.getlength(token) + gap
            box = ink_box(face, s, x, baseline)
            box[2] = int(math.ceil(x + width - x_offset))
        else:
            draw_text(self.draw, (x, baseline), s, face, color)
            box = ink_box(face, s, x, baseline)
        if record and s.strip():
            self.records.append({"text": s.strip(), "kind": kind, "box": box})
        self.faces.add(face.label())
        self.y += line_height
        return True


def draw_text(draw: ImageDraw.ImageDraw, xy, s: str, face: Face, color) -> None:
    draw.text(xy, s, font=face.font, fill=color, anchor="ls",
              stroke_width=face.stroke, stroke_fill=color if face.stroke else None)


def ink_box(face: Face, s: str, x: float, baseline: float) -> list[int]:
    x0, y0, x1, y1 = face.font.getbbox(s, anchor="ls", stroke_width=face.stroke)
    return [int(math.floor(x + x0)), int(math.floor(baseline + y0)),
            int(math.ceil(x + x1)), int(math.ceil(baseline + y1))]


# ---------------------------------------------------------------- page style
@dataclass
class Style:
    lang: str          # zh | en | mixed
    body: Face
    body_latin: Face   # for English paragraphs on a mixed page
    heading: Face
    title: Face
    small: Face
    table: Face
    table_bold: Face
    line_spacing: float
    para_gap: float
    ink: tuple
    heading_color: tuple
    indent_first: bool
    justify: bool
    hanging_lists: bool


def _bold(spec: FontSpec, pool: tuple[FontSpec, ...], size: int) -> Face:
    for other in pool:
        if other.name == spec.name and other.bold:
            return Face(other, size)
    return Face(spec, size, stroke=max(0.35, size / 36))


def choose_style(rng: np.random.Generator, fonts: FontSet, px: float) -> Style:
    """Language, fonts, sizes and colours of one page."""
    if fonts.has_cjk:
        lang = T.pick(rng, ["zh"] * 12 + ["en"] * 5 + ["mixed"] * 3)
    else:
        lang = "en"
    latin_regular = [f for f in fonts.latin if not f.bold]
    cjk_text = [f for f in fonts.cjk if f.style != "mono" and not f.bold]
    cjk_sans = [f for f in cjk_text if f.style == "sans"] or cjk_text

    body_size = int(round(rng.uniform(15, 21) * px))
    if lang == "en":
        body_spec = T.pick(rng, latin_regular + ([T.pick(rng, cjk_sans)] if cjk_sans else []))
        spacing = rng.uniform(1.25, 1.6)
    else:
        body_spec = T.pick(rng, cjk_text)
        spacing = rng.uniform(1.4, 1.9)
    pool = (*fonts.latin, *fonts.cjk)
    heading_spec = T.pick(rng, cjk_sans) if (lang != "en" and rng.random() < 0.7) else (
        body_spec if body_spec.cjk or rng.random() < 0.6 else T.pick(rng, latin_regular))
    title_spec = T.pick(rng, cjk_text) if lang != "en" else T.pick(rng, latin_regular)
    heading_size = int(round(body_size * rng.uniform(1.05, 1.3)))
    title_size = int(round(body_size * rng.uniform(1.4, 1.9)))
    small_size = max(int(round(body_size * rng.uniform(0.7, 0.85))), 5)
    table_size = max(int(round(body_size * rng.uniform(0.8, 0.95))), 5)
    table_spec = body_spec if rng.random() < 0.6 else (T.pick(rng, cjk_sans) if lang != "en" and cjk_sans
                                                       else T.pick(rng, latin_regular))
    body_latin = Face(T.pick(rng, latin_regular), body_size)
    ink = T.pick(rng, INK_COLORS)
    return Style(
        lang=lang, body=Face(body_spec, body_size), body_latin=body_latin,
        heading=_bold(heading_spec, pool, heading_size), title=_bold(title_spec, pool, title_size),
        small=Face(body_spec, small_size), table=Face(table_spec, table_size),
        table_bold=_bold(table_spec, pool, table_size), line_spacing=spacing,
        para_gap=rng.uniform(0.2, 0.8), ink=ink,
        heading_color=T.pick(rng, HEADING_COLORS) if rng.random() < 0.5 else ink,
        indent_first=(lang != "en") or rng.random() < 0.3,
        justify=rng.random() < 0.7, hanging_lists=rng.random() < 0.7)


# ---------------------------------------------------------------- blocks
def block_paragraph(flow: Flow, rng, st: Style, lang: str) -> bool:
    face = st.body if lang == "zh" or st.lang != "mixed" else st.body_latin
    n = int(rng.integers(1, 5)) if lang == "zh" else int(rng.integers(2, 5))
    s = T.paragraph(rng, lang, n)
    indent = 2 * face.size if st.indent_first and lang == "zh" else (
        1.5 * face.size if st.indent_first else 0)
    lh = face.size * st.line_spacing
    first = wrap(s, face, flow.width - indent)
    if not first:
        return True
    lines = [first[0]] + wrap(s[len(first[0]):].lstrip(), face, flow.width)
    justify = st.justify and _has_cjk(s)
    for i, line in enumerate(lines):
        if not flow.text_line(line, face, st.ink, "paragraph", lh, x_offset=indent if i == 0 else 0,
                              justify=justify and i < len(lines) - 1):
            return False
    flow.skip(face.size * st.para_gap)
    return True


def block_heading(flow: Flow, rng, st: Style, lang: str, number: int) -> bool:
    face = st.heading
    s = T.heading(rng, lang, number)
    flow.skip(face.size * 0.4)
    # keep a heading with at least two lines of its section
    lines = wrap(s, face, flow.width)
    if not flow.room(face.size * 1.6 * len(lines) + 2 * st.body.size * st.line_spacing):
        return False
    return all(flow.text_line(line, face, st.heading_color, "heading", face.size * 1.6) for line in lines)


def block_list(flow: Flow, rng, st: Style, lang: str) -> bool:
    face = st.body if lang == "zh" or st.lang != "mixed" else st.body_latin
    lh = face.size * st.line_spacing
    indent = face.size * rng.uniform(0.5, 2.0)
    for item in T.list_items(rng, lang, int(rng.integers(2, 6))):
        mark_end = max(item.find(" "), item.find("）")) + 1 or 2
        hang = face.width(item[:mark_end]) if st.hanging_lists else 0
        lines = wrap(item, face, flow.width - indent)
        if len(lines) > 1:
            lines = [lines[0]] + wrap("".join(lines[1:]) if _has_cjk(item) else " ".join(lines[1:]),
                                      face, flow.width - indent - hang)
        for i, line in enumerate(lines):
            if not flow.text_line(line, face, st.ink, "list", lh, x_offset=indent + (hang if i else 0)):
                return False
        flow.skip(face.size * 0.15)
    flow.skip(face.size * st.para_gap)
    return True


def block_table(flow: Flow, rng, st: Style, lang: str, px: float) -> bool:
    """A ruled table (full grid or three-line style); False if it does not fit here."""
    rows = T.table(rng, lang, int(rng.integers(3, 8)))
    face, bold = st.table, st.table_bold
    pad = face.size * 0.5
    n_cols = len(rows[0])
    widths = np.array([max(max(face.width(r[c]), bold.width(rows[0][c])) for r in rows) + 2 * pad
                       for c in range(n_cols)])
    if widths.sum() > flow.width:
        return True  # too wide for this column: leave it out
    if rng.random() < 0.7:
        widths = widths + (flow.width - widths.sum()) * widths / widths.sum()
    row_h = face.size * rng.uniform(1.7, 2.2)
    height = row_h * len(rows)
    flow.skip(face.size * 0.5)
    if not flow.fits_here(height + face.size):
        return True
    grid = rng.random() < 0.7
    header_fill = rng.random() < 0.35
    x0 = flow.x0 + (flow.width - widths.sum()) / 2
    xs = np.concatenate([[x0], x0 + np.cumsum(widths)])
    y0 = flow.y
    draw = flow.draw
    thin, thick = max(1, round(px)), max(1, round(1.8 * px))
    line_color = tuple(int(c * 0.8) for c in st.ink)
    if header_fill:
        draw.rectangle([xs[0], y0, xs[-1], y0 + row_h], fill=(225, 225, 225))
    for r, row in enumerate(rows):
        y = y0 + r * row_h
        baseline = y + row_h / 2 + face.size * 0.35
        f = bold if r == 0 else face
        for c, cell in enumerate(row):
            if not cell:
                continue
            w = f.width(cell)
            numeric = cell.replace(",", "").replace(".", "").replace("%", "").replace("-", "").isdigit()
            if r == 0 or not numeric:
                x = xs[c] + pad if (c > 0 and r > 0 and not numeric and lang == "en") else (
                    xs[c] + (widths[c] - w) / 2)
            else:
                x = xs[c + 1] - pad - w
            draw_text(draw, (x, baseline), cell, f, st.ink)
        flow.records.append({"text": "\t".join(row).rstrip("\t"), "kind": "table",
                             "box": [int(xs[0]), int(y), int(math.ceil(xs[-1])), int(math.ceil(y + row_h))]})
        if grid or r == 0:
            draw.line([(xs[0], y + row_h), (xs[-1], y + row_h)], fill=line_color, width=thin)
    draw.line([(xs[0], y0), (xs[-1], y0)], fill=line_color, width=thick)
    draw.line([(xs[0], y0 + height), (xs[-1], y0 + height)], fill=line_color, width=thick)
    if grid:
        for x in xs:
            draw.line([(x, y0), (x, y0 + height)], fill=line_color, width=thin)
    flow.faces.update({face.label(), bold.label()})
    flow.y = y0 + height + face.size * 0.8
    return True


def block_chart(flow: Flow, rng, st: Style, lang: str, px: float) -> bool:
    """A small bar or line chart with axes, grid and caption, drawn with PIL."""
    caption, labels, values = T.chart_data(rng, lang)
    face = st.small
    w = flow.width * rng.uniform(0.55, 0.85)
    h = w * rng.uniform(0.45, 0.62)
    total = h + face.size * 3.2
    flow.skip(face.size * 0.6)
    if not flow.fits_here(total):
        return True
    draw = flow.draw
    left = flow.x0 + (flow.width - w) / 2
    top = flow.y
    label_w = face.width(f"{values.max() * 1.2:.0f}") + face.size * 0.6
    ax0, ax1 = left + label_w, left + w
    ay0, ay1 = top + face.size * 0.5, top + h - face.size * 1.6
    vmax = float(values.max()) * 1.15
    raw = vmax / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude * min((m for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw))
    grid = (200, 200, 200)
    line_w = max(1, round(px))
    v = 0.0
    while v <= vmax:
        y = ay1 - (ay1 - ay0) * v / vmax
        draw.line([(ax0, y), (ax1, y)], fill=grid if v > 0 else st.ink, width=line_w)
        tick = f"{v:.0f}" if step >= 1 else f"{v:.1f}"
        draw_text(draw, (ax0 - face.size * 0.3 - face.width(tick), y + face.size * 0.35), tick, face, st.ink)
        v += step
    draw.line([(ax0, ay0), (ax0, ay1)], fill=st.ink, width=line_w)
    n = len(values)
    slot = (ax1 - ax0) / n
    color = T.pick(rng, CHART_COLORS)
    points = []
    bars = rng.random() < 0.6
    for i, (lab, val) in enumerate(zip(labels, values)):
        cx = ax0 + slot * (i + 0.5)
        y = ay1 - (ay1 - ay0) * val / vmax
        if bars:
            draw.rectangle([cx - slot * 0.3, y, cx + slot * 0.3, ay1], fill=color)
        points.append((cx, y))
        draw_text(draw, (cx - face.width(lab) / 2, ay1 + face.size * 1.2), lab, face, st.ink)
    if not bars:
        draw.line(points, fill=color, width=max(1, round(2 * px)))
        r = max(1.5, 2.5 * px)
        for cx, y in points:
            draw.ellipse([cx - r, y - r, cx + r, y + r], fill=color)
    flow.faces.add(face.label())
    flow.y = top + h
    ok = flow.text_line(caption, face, st.ink, "caption", face.size * 1.8, align="center")
    flow.skip(face.size * 0.6)
    return ok


# ---------------------------------------------------------------- seal
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
    grain = cv2.resize(rng.uniform(0.45, 1.0, (8, 8)).astype(np.float32), (size, size),
                       interpolation=cv2.INTER_CUBIC)
    return np.clip(m * grain * rng.uniform(0.8, 1.0), 0, 1)


def rect_stamp_mask(rng, height: float, word: str, face_spec: FontSpec) -> np.ndarray:
    """Grey mask of a rectangular office stamp such as ``APPROVED`` or ``已核对``."""
    font = load_font(face_spec.path, face_spec.index, int(max(6, height * 0.55)))
    w = int(font.getlength(word) + height * 0.8)
    h = int(height)
    mask = Image.new("L", (w + 4, h + 4), 0)
    draw = ImageDraw.Draw(mask)
    draw.rectangle([2, 2, w + 1, h + 1], outline=255, width=max(1, int(h * 0.07)))
    draw.text(((w + 4) / 2, (h + 4) / 2), word, font=font, fill=255, anchor="mm",
              stroke_width=max(0.3, h / 60), stroke_fill=255)
    m = np.asarray(mask, np.float32) / 255.0
    grain = cv2.resize(rng.uniform(0.5, 1.0, (4, 8)).astype(np.float32), (m.shape[1], m.shape[0]),
                       interpolation=cv2.INTER_CUBIC)
    return np.clip(m * grain, 0, 1)


def apply_ink(page: np.ndarray, mask: np.ndarray, center, angle: float, color) -> None:
    """Multiply-blend a rotated ink mask in ``color`` onto ``page`` (float RGB 0..1) in place."""
    h, w = mask.shape
    diag = int(math.ceil(math.hypot(h, w))) + 2
    canvas = np.zeros((diag, diag), np.float32)
    oy, ox = (diag - h) // 2, (diag - w) // 2
    canvas[oy:oy + h, ox:ox + w] = mask
    rot = cv2.getRotationMatrix2D((diag / 2, diag / 2), angle, 1.0)
    canvas = cv2.warpAffine(canvas, rot, (diag, diag), flags=cv2.INTER_LINEAR)
    x0, y0 = int(center[0] - diag / 2), int(center[1] - diag / 2)
    H, W = page.shape[:2]
    sx0, sy0 = max(0, -x0), max(0, -y0)
    dx0, dy0 = max(0, x0), max(0, y0)
    dx1, dy1 = min(W, x0 + diag), min(H, y0 + diag)
    if dx1 <= dx0 or dy1 <= dy0:
        return
    m = canvas[sy0:sy0 + dy1 - dy0, sx0:sx0 + dx1 - dx0, None]
    tint = np.asarray(color, np.float32) / 255.0
    page[dy0:dy1, dx0:dx1] *= 1.0 - m * (1.0 - tint)


# ---------------------------------------------------------------- photo look
def photo_field(rng, h: int, w: int) -> tuple[np.ndarray, dict]:
    """Smooth per-pixel illumination (H x W x 3): colour cast, gradient, vignette, maybe a shadow."""
    gh = 48
    gw = max(2, int(round(gh * w / h)))
    yy, xx = np.meshgrid(np.linspace(-1, 1, gh), np.linspace(-1, 1, gw), indexing="ij")
    slope = 0.3 if rng.random() < 0.3 else 0.12  # sometimes light from one side, as under a desk lamp
    gx, gy = rng.uniform(-slope, slope, 2)
    field = 1.0 + gx * xx + gy * yy
    cx, cy = rng.uniform(-0.4, 0.4, 2)
    vignette = rng.uniform(0.03, 0.2)
    field *= 1.0 - vignette * ((xx - cx) ** 2 + (yy - cy) ** 2) / 2
    info = {"gradient": [round(float(gx), 4), round(float(gy), 4)], "vignette": round(float(vignette), 4)}
    if rng.random() < 0.3:
        phi = rng.uniform(0, 2 * math.pi)
        offset, soft, depth = rng.uniform(0.3, 0.9), rng.uniform(0.05, 0.35), rng.uniform(0.1, 0.3)
        d = xx * math.cos(phi) + yy * math.sin(phi)
        field *= 1.0 - depth / (1.0 + np.exp(-(d - offset) / soft))
        info["shadow"] = {"angle_deg": round(math.degrees(phi), 1), "depth": round(float(depth), 3)}
    field *= rng.uniform(0.62, 1.0)  # exposure: phone photos and scans are often darker than white paper
    # paper grain: low-contrast mottling a few pixels wide
    grain = 1.0 + rng.normal(0, rng.uniform(0.004, 0.012), (gh * 4, gw * 4))
    field = cv2.resize(field.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    grain = cv2.resize(grain.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    warm = rng.uniform(-0.05, 0.07)  # > 0 warm (indoor light), < 0 cool (daylight)
    tint = np.array([1.0 + warm * 0.3, 1.0, 1.0 - warm], np.float32)
    info["white_balance"] = [round(float(t), 4) for t in tint]
    return (field * grain)[..., None] * tint, info


# ---------------------------------------------------------------- page
def change_stroke_weight(page: np.ndarray, grow: float) -> np.ndarray:
    """Dark ink on light paper made bolder (``grow`` > 0) or lighter (< 0) by ``|grow|`` px on each
    side of every stroke: a grey-level erosion (bolder) or dilation (lighter) by a 3 x 3 square,
    repeated ``ceil(|grow|)`` times and blended back for the fractional part."""
    if grow == 0:
        return page
    steps = math.ceil(abs(grow))
    op = cv2.erode if grow > 0 else cv2.dilate  # erosion spreads the darker value: the ink
    moved = op(page, np.ones((3, 3), np.uint8), iterations=steps, borderType=cv2.BORDER_REPLICATE)
    return page + (abs(grow) / steps) * (moved - page)


def render_page(rng: np.random.Generator, width: int, height: int, px: float, fonts: FontSet,
                stroke_grow: float = 0.0) -> RenderedPage:
    """One sharp page, ``width`` x ``height`` px, ``px`` pixels per layout unit. ``stroke_grow``
    (layout units per side, default none) makes every stroke bolder (> 0) or lighter (< 0) before
    the seal and the photo look; it draws nothing from ``rng``, so the page is otherwise the same."""
    st = choose_style(rng, fonts, px)
    yellow = rng.uniform(0, 10)
    paper = tuple(int(round(v)) for v in np.clip(
        np.array([252.0, 250.0 - 0.3 * yellow, 246.0 - yellow]) + rng.uniform(-10, 3), 0, 255))
    img = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(img)
    # margins follow the page, not the text size (tiny smoke pages keep room for text)
    ml, mr = (rng.uniform(0.055, 0.11, 2) * min(width, height)).astype(int)
    mt, mb = (rng.uniform(0.045, 0.09, 2) * max(width, height)).astype(int)
    landscape = width > height
    n_cols = 2 if (landscape and rng.random() < 0.5) or (st.lang == "en" and rng.random() < 0.15) else 1
    gutter = int(rng.uniform(20, 40) * px)
    col_w = (width - ml - mr - gutter * (n_cols - 1)) // n_cols
    columns = [(ml + i * (col_w + gutter), ml + i * (col_w + gutter) + col_w) for i in range(n_cols)]
    main_lang = "en" if st.lang == "en" else "zh"
    doc_title = T.title(rng, main_lang)

    top, bottom = mt, height - mb
    head_records, foot_records, header_faces = [], [], set()
    if rng.random() < 0.45:  # running header with a rule
        hf = Flow(draw, [(ml, width - mr)], max(4, int(mt * 0.35)), mt)
        hf.text_line(doc_title, st.small, st.ink, "header", st.small.size * 1.4,
                     align=T.pick(rng, ["left", "right", "center"]))
        rule_y = hf.y + 2 * px
        draw.line([(ml, rule_y), (width - mr, rule_y)], fill=st.ink, width=max(1, round(px)))
        head_records, top = hf.records, int(max(top, rule_y + st.body.size * 0.8))
        header_faces = hf.faces
    if rng.random() < 0.6:  # page number
        _, footer = T.header_footer(rng, main_lang, doc_title)
        ff = Flow(draw, [(ml, width - mr)], height - int(mb * 0.8), height)
        ff.text_line(footer, st.small, st.ink, "footer", st.small.size * 1.4, align="center")
        foot_records = ff.records
        header_faces |= ff.faces
        bottom = min(bottom, height - int(mb * 0.8) - st.small.size)

    seal = None
    if rng.random() < (0.3 if st.lang != "en" else 0.12):
        seal = "round" if (st.lang != "en" or rng.random() < 0.4) else "rect"
    sign_h = 0
    if seal:
        sign_h = int(st.body.size * st.line_spacing * 3 + st.body.size)
        bottom -= sign_h

    flow = Flow(draw, columns, top, max(bottom, top + st.body.size * 2))
    if rng.random() < 0.15 and st.lang != "en" and n_cols == 1:  # red-head official notice
        red = Face(st.title.spec, int(st.title.size * 1.2), st.title.stroke * 1.2)
        flow.text_line(f"{T.pick(rng, T.ZH_CITIES)}{T.pick(rng, T.ZH_NAMES)}集团文件", red, RED_HEAD,
                       "title", red.size * 1.7, align="center")
        flow.text_line(T.meta_line(rng, "zh"), st.small, st.ink, "meta", st.small.size * 1.8, align="center")
        y = flow.y + 2 * px
        draw.line([(columns[0][0], y), (columns[-1][1], y)], fill=RED_HEAD, width=max(1, round(2 * px)))
        flow.y = y + st.body.size
    if rng.random() < 0.6:
        title_face = st.title
        while len(wrap(doc_title, title_face, flow.width)) > 2 and title_face.size > st.body.size:
            title_face = Face(title_face.spec, int(title_face.size * 0.9), title_face.stroke * 0.9)
        for line in wrap(doc_title, title_face, flow.width):
            flow.text_line(line, title_face, st.heading_color, "title", title_face.size * 1.6, align="center")
        if rng.random() < 0.6:
            flow.text_line(T.meta_line(rng, main_lang), st.small, st.ink, "meta", st.small.size * 1.7,
                           align=T.pick(rng, ["center", "right"]))
        flow.skip(st.body.size * 0.6)

    want_chart = rng.random() < 0.3
    section = int(rng.integers(1, 6))
    for _ in range(200):
        block_lang = main_lang if st.lang != "mixed" else ("en" if rng.random() < 0.35 else "zh")
        r = rng.random()
        if r < 0.16:
            ok = block_heading(flow, rng, st, block_lang, section)
            section += 1
            ok = ok and block_paragraph(flow, rng, st, block_lang)
        elif r < 0.28:
            ok = block_list(flow, rng, st, block_lang)
        elif r < 0.38:
            ok = block_table(flow, rng, st, block_lang, px)
        elif r < 0.46 and want_chart:
            ok = block_chart(flow, rng, st, block_lang, px)
            want_chart = False
        else:
            ok = block_paragraph(flow, rng, st, block_lang)
        if not ok and not flow.records:  # a heading or list that did not fit: still give the page text
            ok = block_paragraph(flow, rng, st, block_lang) and bool(flow.records)
        if not ok:
            break

    sign_records, faces = [], flow.faces | header_faces
    info = {"language": st.lang, "columns": n_cols, "seal": seal}
    if seal:
        face = st.body if main_lang == "zh" else st.body_latin
        sign = T.signature_lines(rng, main_lang)
        block_w = max(face.width(line) for line in sign)
        x0 = int(max(ml, min(width * rng.uniform(0.4, 0.55), width - mr - block_w)))
        sf = Flow(draw, [(x0, width - mr)], bottom + int(st.body.size * 0.5), bottom + sign_h + st.body.size)
        for line in (w for line in sign for w in wrap(line, face, width - mr - x0)):
            sf.text_line(line, face, st.ink, "signature", st.body.size * st.line_spacing)
        sign_records = sf.records
        faces |= sf.faces
    page = change_stroke_weight(np.asarray(img, np.float32) / 255.0, stroke_grow * px)
    if seal:
        color = (int(rng.integers(190, 235)), int(rng.integers(20, 60)), int(rng.integers(30, 70)))
        if seal == "round":
            stamp_font = T.pick(rng, fonts.cjk) if (fonts.cjk and st.lang != "en") else T.pick(rng, fonts.latin)
            radius = rng.uniform(55, 80) * px
            arc = T.zh_company(rng) if stamp_font.cjk else T.pick(rng, T.EN_COMPANIES).upper()
            center = T.pick(rng, ["合同专用章", "财务专用章", "", "业务专用章"]) if stamp_font.cjk else ""
            mask = stamp_mask(rng, radius, arc, center, stamp_font)
        else:
            stamp_font = T.pick(rng, [f for f in fonts.latin if f.bold] or list(fonts.latin))
            word = T.pick(rng, ["APPROVED", "RECEIVED", "PAID", "COPY", "VERIFIED"])
            mask = rect_stamp_mask(rng, rng.uniform(28, 40) * px, word, stamp_font)
        low = width * 0.55
        cx = rng.uniform(low, max(low, width - mr - mask.shape[1] * 0.2))
        cy = rng.uniform(bottom, bottom + sign_h)
        apply_ink(page, mask, (cx, cy), rng.uniform(-25, 25), color)

    # a phone never holds the page perfectly straight
    angle = float(rng.uniform(-1.2, 1.2)) if rng.random() < 0.7 else 0.0
    lines = head_records + flow.records + sign_records + foot_records
    if angle:
        rot = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        page = cv2.warpAffine(page, rot, (width, height), flags=cv2.INTER_CUBIC,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=tuple(c / 255 for c in paper))
        for rec in lines:
            x0, y0, x1, y1 = rec["box"]
            corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], np.float64) @ rot.T
            rec["box"] = [int(math.floor(corners[:, 0].min())), int(math.floor(corners[:, 1].min())),
                          int(math.ceil(corners[:, 0].max())), int(math.ceil(corners[:, 1].max()))]
    light, light_info = photo_field(rng, height, width)
    flare = rng.uniform(0.0, 0.12)  # lens flare lifts the blacks a little
    page = np.clip(page, 0, 1) * light
    page = page * (1 - flare) + flare * 0.9
    grey = bool(rng.random() < 0.15)  # a greyscale scan or photo
    if grey:
        page = np.repeat(page @ np.array([0.299, 0.587, 0.114], page.dtype)[:, None], 3, axis=2)
    image = np.clip(np.round(page * 255), 0, 255).astype(np.uint8)
    info.update({"rotation_deg": round(angle, 3), "paper_rgb": list(paper), "lighting": light_info,
                 "flare": round(float(flare), 4), "greyscale": grey, "body_px": st.body.size})
    return RenderedPage(image, lines, sorted(faces), info)
