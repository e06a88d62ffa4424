"""One sharp page from its parts: style, margins and columns, header and footer, title, body
blocks, signature and seal, then the stroke weight, a slight turn and the photo look."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageDraw

from .. import text as T
from ..fonts import FontSet
from .blocks import block_chart, block_heading, block_list, block_paragraph, block_table
from .flow import Face, Flow, wrap
from .photo import photo_field
from .seals import apply_ink, rect_stamp_mask, stamp_mask
from .stroke_weight import change_stroke_weight
from .style import Style, choose_style

RED_HEAD = (200, 30, 35)


@dataclass
class RenderedPage:
    image: np.ndarray  # H x W x 3 uint8, RGB: the sharp ground truth
    lines: list[dict]  # {"text", "kind", "box": [x0, y0, x1, y1]} in reading order
    fonts: list[str]
    info: dict = field(default_factory=dict)


def paper_colour(rng) -> tuple:
    """Off-white paper, a little yellow, as an RGB tuple."""
    yellow = rng.uniform(0, 10)
    return tuple(
        int(round(v))
        for v in np.clip(np.array([252.0, 250.0 - 0.3 * yellow, 246.0 - yellow]) + rng.uniform(-10, 3), 0, 255)
    )


def margins_and_columns(rng, width: int, height: int, px: float, st: Style) -> tuple[tuple, list]:
    """The margins (left, right, top, bottom) and the text columns [(x0, x1)]: two columns on some
    landscape and English pages."""
    # margins follow the page, not the text size (tiny smoke pages keep room for text)
    ml, mr = (rng.uniform(0.055, 0.11, 2) * min(width, height)).astype(int)
    mt, mb = (rng.uniform(0.045, 0.09, 2) * max(width, height)).astype(int)
    landscape = width > height
    n_cols = 2 if (landscape and rng.random() < 0.5) or (st.lang == "en" and rng.random() < 0.15) else 1
    gutter = int(rng.uniform(20, 40) * px)
    col_w = (width - ml - mr - gutter * (n_cols - 1)) // n_cols
    columns = [(ml + i * (col_w + gutter), ml + i * (col_w + gutter) + col_w) for i in range(n_cols)]
    return (ml, mr, mt, mb), columns


def header_and_footer(rng, draw, st: Style, px: float, size: tuple, margins: tuple, main_lang: str, doc_title: str):
    """A running header with a rule (sometimes) and a page number (often). Returns their records,
    the faces they used, and the top and bottom left to the body."""
    width, height = size
    ml, mr, mt, mb = margins
    top, bottom = mt, height - mb
    head_records, foot_records, faces = [], [], set()
    if rng.random() < 0.45:  # running header with a rule
        hf = Flow(draw, [(ml, width - mr)], max(4, int(mt * 0.35)), mt)
        hf.text_line(
            doc_title, st.small, st.ink, "header", st.small.size * 1.4, align=T.pick(rng, ["left", "right", "center"])
        )
        rule_y = hf.y + 2 * px
        draw.line([(ml, rule_y), (width - mr, rule_y)], fill=st.ink, width=max(1, round(px)))
        head_records, top = hf.records, int(max(top, rule_y + st.body.size * 0.8))
        faces = hf.faces
    if rng.random() < 0.6:  # page number
        _, footer = T.header_footer(rng, main_lang, doc_title)
        ff = Flow(draw, [(ml, width - mr)], height - int(mb * 0.8), height)
        ff.text_line(footer, st.small, st.ink, "footer", st.small.size * 1.4, align="center")
        foot_records = ff.records
        faces |= ff.faces
        bottom = min(bottom, height - int(mb * 0.8) - st.small.size)
    return head_records, foot_records, faces, top, bottom


def choose_seal(rng, st: Style) -> str | None:
    """None, or the kind of seal the page gets: "round" (a company seal) or "rect" (an office stamp)."""
    seal = None
    if rng.random() < (0.3 if st.lang != "en" else 0.12):
        seal = "round" if (st.lang != "en" or rng.random() < 0.4) else "rect"
    return seal


def red_head(flow: Flow, rng, st: Style, px: float, draw, columns: list) -> None:
    """The head of an official notice: the issuer in large red type, a meta line, a red rule."""
    red = Face(st.title.spec, int(st.title.size * 1.2), st.title.stroke * 1.2)
    flow.text_line(
        f"{T.pick(rng, T.ZH_CITIES)}{T.pick(rng, T.ZH_NAMES)}集团文件",
        red,
        RED_HEAD,
        "title",
        red.size * 1.7,
        align="center",
    )
    flow.text_line(T.meta_line(rng, "zh"), st.small, st.ink, "meta", st.small.size * 1.8, align="center")
    y = flow.y + 2 * px
    draw.line([(columns[0][0], y), (columns[-1][1], y)], fill=RED_HEAD, width=max(1, round(2 * px)))
    flow.y = y + st.body.size


def title_block(flow: Flow, rng, st: Style, main_lang: str, doc_title: str) -> None:
    """The document's title (shrunk until it takes at most two lines), often with a meta line."""
    title_face = st.title
    while len(wrap(doc_title, title_face, flow.width)) > 2 and title_face.size > st.body.size:
        title_face = Face(title_face.spec, int(title_face.size * 0.9), title_face.stroke * 0.9)
    for line in wrap(doc_title, title_face, flow.width):
        flow.text_line(line, title_face, st.heading_color, "title", title_face.size * 1.6, align="center")
    if rng.random() < 0.6:
        flow.text_line(
            T.meta_line(rng, main_lang),
            st.small,
            st.ink,
            "meta",
            st.small.size * 1.7,
            align=T.pick(rng, ["center", "right"]),
        )
    flow.skip(st.body.size * 0.6)


def body_blocks(flow: Flow, rng, st: Style, px: float, main_lang: str) -> None:
    """Headings with their paragraphs, lists, tables, paragraphs and at most one chart, until the
    page is full."""
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


def signature_block(rng, draw, st: Style, width: int, margins: tuple, bottom: int, sign_h: int, main_lang: str):
    """The signature lines above the seal, right of the page's middle; returns their flow."""
    ml, mr = margins[:2]
    face = st.body if main_lang == "zh" else st.body_latin
    sign = T.signature_lines(rng, main_lang)
    block_w = max(face.width(line) for line in sign)
    x0 = int(max(ml, min(width * rng.uniform(0.4, 0.55), width - mr - block_w)))
    sf = Flow(draw, [(x0, width - mr)], bottom + int(st.body.size * 0.5), bottom + sign_h + st.body.size)
    for line in (w for sign_line in sign for w in wrap(sign_line, face, width - mr - x0)):
        sf.text_line(line, face, st.ink, "signature", st.body.size * st.line_spacing)
    return sf


def stamp_seal(page, rng, st: Style, fonts: FontSet, px: float, seal: str, width: int, mr: int, band: tuple) -> None:
    """Ink a seal of kind ``seal`` in red onto ``page`` (in place), turned a little, in the
    signature band ``(bottom, height)`` right of the page's middle."""
    bottom, sign_h = band
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


def tilt(page, rng, lines: list, paper: tuple) -> tuple[np.ndarray, float]:
    """The page turned by a small angle (none on some pages), the lines' boxes moved with it (in
    place); returns the page and the angle in degrees."""
    # a phone never holds the page perfectly straight
    angle = float(rng.uniform(-1.2, 1.2)) if rng.random() < 0.7 else 0.0
    if angle:
        height, width = page.shape[:2]
        rot = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        page = cv2.warpAffine(
            page,
            rot,
            (width, height),
            flags=cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=tuple(c / 255 for c in paper),
        )
        for rec in lines:
            x0, y0, x1, y1 = rec["box"]
            corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], np.float64) @ rot.T
            rec["box"] = [
                int(math.floor(corners[:, 0].min())),
                int(math.floor(corners[:, 1].min())),
                int(math.ceil(corners[:, 0].max())),
                int(math.ceil(corners[:, 1].max())),
            ]
    return page, angle


def photo_look(page, rng) -> tuple[np.ndarray, dict]:
    """The float page as a phone photo (lighting, grain, lens flare; sometimes greyscale), as uint8."""
    light, light_info = photo_field(rng, page.shape[0], page.shape[1])
    flare = rng.uniform(0.0, 0.12)  # lens flare lifts the blacks a little
    page = np.clip(page, 0, 1) * light
    page = page * (1 - flare) + flare * 0.9
    grey = bool(rng.random() < 0.15)  # a greyscale scan or photo
    if grey:
        page = np.repeat(page @ np.array([0.299, 0.587, 0.114], page.dtype)[:, None], 3, axis=2)
    image = np.clip(np.round(page * 255), 0, 255).astype(np.uint8)
    return image, {"lighting": light_info, "flare": round(float(flare), 4), "greyscale": grey}


def render_page(
    rng: np.random.Generator, width: int, height: int, px: float, fonts: FontSet, stroke_grow: float = 0.0
) -> RenderedPage:
    """One sharp page, ``width`` x ``height`` px, ``px`` pixels per layout unit. ``stroke_grow``
    (layout units per side, default none) makes every stroke bolder (> 0) or lighter (< 0) before
    the seal and the photo look; it draws nothing from ``rng``, so the page is otherwise the same.
    The parts are drawn in a fixed order from ``rng``: the same seed gives the same page."""
    st = choose_style(rng, fonts, px)
    paper = paper_colour(rng)
    img = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(img)
    margins, columns = margins_and_columns(rng, width, height, px, st)
    main_lang = "en" if st.lang == "en" else "zh"
    doc_title = T.title(rng, main_lang)
    head_records, foot_records, header_faces, top, bottom = header_and_footer(
        rng, draw, st, px, (width, height), margins, main_lang, doc_title
    )
    seal = choose_seal(rng, st)
    sign_h = int(st.body.size * st.line_spacing * 3 + st.body.size) if seal else 0
    bottom -= sign_h

    flow = Flow(draw, columns, top, max(bottom, top + st.body.size * 2))
    if rng.random() < 0.15 and st.lang != "en" and len(columns) == 1:  # red-head official notice
        red_head(flow, rng, st, px, draw, columns)
    if rng.random() < 0.6:
        title_block(flow, rng, st, main_lang, doc_title)
    body_blocks(flow, rng, st, px, main_lang)

    sign_records, faces = [], flow.faces | header_faces
    info = {"language": st.lang, "columns": len(columns), "seal": seal}
    if seal:
        sf = signature_block(rng, draw, st, width, margins, bottom, sign_h, main_lang)
        sign_records = sf.records
        faces |= sf.faces
    page = change_stroke_weight(np.asarray(img, np.float32) / 255.0, stroke_grow * px)
    if seal:
        stamp_seal(page, rng, st, fonts, px, seal, width, margins[1], (bottom, sign_h))
    lines = head_records + flow.records + sign_records + foot_records
    page, angle = tilt(page, rng, lines, paper)
    image, look = photo_look(page, rng)
    info.update({"rotation_deg": round(angle, 3), "paper_rgb": list(paper), **look, "body_px": st.body.size})
    return RenderedPage(image, lines, sorted(faces), info)
