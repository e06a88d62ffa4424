"""Render sharp document pages that look like phone photos of real paperwork.

A page is laid out top to bottom (in one or two columns) from blocks: header and footer, title,
headings, paragraphs, bulleted or numbered lists, ruled tables, a small chart, a signature block
with a red seal. The flat page is then turned slightly, given paper grain, a colour cast, an
exposure and uneven lighting (gradient, vignette, sometimes a soft shadow) as a photo would have;
some pages come out greyscale, like a scan.

Every size is given in *units* and multiplied by ``px`` (pixels per unit): ``px = 1`` is a page
whose long side is 800 px; a training page rendered at 2x uses twice the ``px`` and so matches a
test page after 2x downsampling.

One concern per module: :mod:`.job` (a data set's page job), :mod:`.flow` (faces, line breaking,
lines placed in columns), :mod:`.style` (a page's look), :mod:`.blocks` (paragraphs, headings,
lists, tables, charts), :mod:`.seals` (seals and stamps), :mod:`.strokes` (bolder or lighter ink),
:mod:`.photo` (lighting and paper grain) and :mod:`.render` (a whole page).
"""

from __future__ import annotations

from .blocks import CHART_COLORS, block_chart, block_heading, block_list, block_paragraph, block_table
from .flow import NO_LINE_START, Face, Flow, draw_text, has_cjk, ink_box, wrap
from .job import PageJob
from .photo import photo_field
from .render import RED_HEAD, RenderedPage, render_page
from .seals import apply_ink, rect_stamp_mask, stamp_mask
from .stroke_weight import change_stroke_weight
from .style import HEADING_COLORS, INK_COLORS, Style, choose_style

__all__ = [
    "CHART_COLORS",
    "Face",
    "Flow",
    "HEADING_COLORS",
    "INK_COLORS",
    "NO_LINE_START",
    "PageJob",
    "RED_HEAD",
    "RenderedPage",
    "Style",
    "apply_ink",
    "block_chart",
    "block_heading",
    "block_list",
    "block_paragraph",
    "block_table",
    "change_stroke_weight",
    "choose_style",
    "draw_text",
    "has_cjk",
    "ink_box",
    "photo_field",
    "rect_stamp_mask",
    "render_page",
    "stamp_mask",
    "wrap",
]
