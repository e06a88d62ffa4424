"""The blocks a page body is made of: paragraphs, headings, lists, ruled tables and a small chart.
Each places itself in the flow and returns False when it no longer fits."""

from __future__ import annotations

import math

import numpy as np

from .. import text as T
from .flow import Flow, draw_text, has_cjk, wrap
from .style import Style

CHART_COLORS = [(68, 114, 196), (237, 125, 49), (165, 165, 165), (255, 192, 0), (91, 155, 213), (112, 173, 71)]


def block_paragraph(flow: Flow, rng, st: Style, lang: str) -> bool:
    face = st.body if lang == "zh" or st.lang != "mixed" else st.body_latin
    n = int(rng.integers(1, 5)) if lang == "zh" else int(rng.integers(2, 5))
    s = T.paragraph(rng, lang, n)
    indent = 2 * face.size if st.indent_first and lang == "zh" else (1.5 * face.size if st.indent_first else 0)
    lh = face.size * st.line_spacing
    first = wrap(s, face, flow.width - indent)
    if not first:
        return True
    lines = [first[0]] + wrap(s[len(first[0]) :].lstrip(), face, flow.width)
    justify = st.justify and has_cjk(s)
    for i, line in enumerate(lines):
        if not flow.text_line(
            line,
            face,
            st.ink,
            "paragraph",
            lh,
            x_offset=indent if i == 0 else 0,
            justify=justify and i < len(lines) - 1,
        ):
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
            lines = [lines[0]] + wrap(
                "".join(lines[1:]) if has_cjk(item) else " ".join(lines[1:]), face, flow.width - indent - hang
            )
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
    widths = np.array(
        [max(max(face.width(r[c]), bold.width(rows[0][c])) for r in rows) + 2 * pad for c in range(n_cols)]
    )
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
                x = xs[c] + pad if (c > 0 and r > 0 and not numeric and lang == "en") else (xs[c] + (widths[c] - w) / 2)
            else:
                x = xs[c + 1] - pad - w
            draw_text(draw, (x, baseline), cell, f, st.ink)
        flow.records.append(
            {
                "text": "\t".join(row).rstrip("\t"),
                "kind": "table",
                "box": [int(xs[0]), int(y), int(math.ceil(xs[-1])), int(math.ceil(y + row_h))],
            }
        )
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
