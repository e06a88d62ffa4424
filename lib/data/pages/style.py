"""The look of one page: language, fonts, sizes, spacing and colours."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import text as T
from ..fonts import FontSet, FontSpec
from .flow import Face

INK_COLORS = [(25, 25, 25), (35, 35, 40), (15, 15, 20), (40, 38, 36), (20, 28, 60)]

HEADING_COLORS = [(20, 20, 20), (20, 20, 20), (31, 56, 100), (25, 40, 80)]


@dataclass
class Style:
    lang: str  # zh | en | mixed
    body: Face
    body_latin: Face  # for English paragraphs on a mixed page
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
    heading_spec = (
        T.pick(rng, cjk_sans)
        if (lang != "en" and rng.random() < 0.7)
        else (body_spec if body_spec.cjk or rng.random() < 0.6 else T.pick(rng, latin_regular))
    )
    title_spec = T.pick(rng, cjk_text) if lang != "en" else T.pick(rng, latin_regular)
    heading_size = int(round(body_size * rng.uniform(1.05, 1.3)))
    title_size = int(round(body_size * rng.uniform(1.4, 1.9)))
    small_size = max(int(round(body_size * rng.uniform(0.7, 0.85))), 5)
    table_size = max(int(round(body_size * rng.uniform(0.8, 0.95))), 5)
    table_spec = (
        body_spec
        if rng.random() < 0.6
        else (T.pick(rng, cjk_sans) if lang != "en" and cjk_sans else T.pick(rng, latin_regular))
    )
    body_latin = Face(T.pick(rng, latin_regular), body_size)
    ink = T.pick(rng, INK_COLORS)
    return Style(
        lang=lang,
        body=Face(body_spec, body_size),
        body_latin=body_latin,
        heading=_bold(heading_spec, pool, heading_size),
        title=_bold(title_spec, pool, title_size),
        small=Face(body_spec, small_size),
        table=Face(table_spec, table_size),
        table_bold=_bold(table_spec, pool, table_size),
        line_spacing=spacing,
        para_gap=rng.uniform(0.2, 0.8),
        ink=ink,
        heading_color=T.pick(rng, HEADING_COLORS) if rng.random() < 0.5 else ink,
        indent_first=(lang != "en") or rng.random() < 0.3,
        justify=rng.random() < 0.7,
        hanging_lists=rng.random() < 0.7,
    )
