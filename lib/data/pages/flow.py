"""Text on a page: a font at a size (:class:`Face`), line breaking for Chinese and English
(:func:`wrap`) and the placing of lines top to bottom in columns, each recorded with its box
(:class:`Flow`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from PIL import ImageDraw

from ..fonts import FontSpec, load_font

NO_LINE_START = set("，。、；：？！）》」』”’%,.;:?!)]")


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


def has_cjk(s: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" for ch in s)


_TOKEN = re.compile(r"[A-Za-z0-9¥$][A-Za-z0-9.,%:/¥$-]*|.")


def wrap(s: str, face: Face, width: float) -> list[str]:
    """Break ``s`` into lines no wider than ``width``: between characters for Chinese (numbers and
    Latin words stay whole, closing punctuation never starts a line), between words for English."""
    if not s:
        return []
    if has_cjk(s):
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

    def text_line(
        self,
        s: str,
        face: Face,
        color,
        kind: str,
        line_height: float,
        x_offset: float = 0.0,
        align: str = "left",
        width: float | None = None,
        record: bool = True,
        justify: bool = False,
    ) -> bool:
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
    draw.text(
        xy,
        s,
        font=face.font,
        fill=color,
        anchor="ls",
        stroke_width=face.stroke,
        stroke_fill=color if face.stroke else None,
    )


def ink_box(face: Face, s: str, x: float, baseline: float) -> list[int]:
    x0, y0, x1, y1 = face.font.getbbox(s, anchor="ls", stroke_width=face.stroke)
    return [
        int(math.floor(x + x0)),
        int(math.floor(baseline + y0)),
        int(math.ceil(x + x1)),
        int(math.ceil(baseline + y1)),
    ]
