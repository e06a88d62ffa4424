"""Fonts for rendering document pages, found on a fresh machine without any download.

* Latin: DejaVu Sans/Serif and STIX (a Times-like serif), regular and bold, shipped inside
  matplotlib (``matplotlib.get_data_path()/fonts/ttf``).
* Chinese: the pip package ``mplfonts`` ships Noto Sans/Serif CJK SC, SimHei and Source Han
  Serif/Mono SC; Debian font packages (WenQuanYi, Noto CJK, AR PL Kaiti/Mingti) are used too when
  installed. CJK fonts also carry Latin glyphs, so mixed lines render with one font.

Discovery runs once in the parent process; the resulting :class:`FontSpec` list is passed to the
page workers, so every worker renders with the same fonts (and tests can replace the discovery).
"""
from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont


@dataclass(frozen=True)
class FontSpec:
    """One font face: where it is and what it is good for."""

    name: str          # e.g. "Noto Serif CJK SC"
    path: str
    index: int = 0     # face index inside a .ttc collection
    style: str = "sans"  # sans | serif | mono | kai
    bold: bool = False
    cjk: bool = False

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "path"} | {"file": Path(self.path).name}


@dataclass(frozen=True)
class FontSet:
    latin: tuple[FontSpec, ...]
    cjk: tuple[FontSpec, ...]

    @property
    def has_cjk(self) -> bool:
        return bool(self.cjk)

    def names(self) -> list[str]:
        """Stable identifiers of every face (recorded in the manifest: other fonts, other pages)."""
        return [f"{f.name}{' Bold' if f.bold else ''} [{Path(f.path).name}#{f.index}]"
                for f in (*self.latin, *self.cjk)]


# (file name, family name, style, bold) inside matplotlib's fonts/ttf
_MATPLOTLIB_LATIN = [
    ("DejaVuSans.ttf", "DejaVu Sans", "sans", False),
    ("DejaVuSans-Bold.ttf", "DejaVu Sans", "sans", True),
    ("DejaVuSerif.ttf", "DejaVu Serif", "serif", False),
    ("DejaVuSerif-Bold.ttf", "DejaVu Serif", "serif", True),
    ("STIXGeneral.ttf", "STIX General", "serif", False),
    ("STIXGeneralBol.ttf", "STIX General", "serif", True),
]

# (file name, family name, style) inside mplfonts/fonts; all regular weight
_MPLFONTS_CJK = [
    ("NotoSansCJKsc-Regular.otf", "Noto Sans CJK SC", "sans"),
    ("NotoSerifCJKsc-Regular.otf", "Noto Serif CJK SC", "serif"),
    ("SimHei.ttf", "SimHei", "sans"),
    ("SourceHanSerifSC-Regular.otf", "Source Han Serif SC", "serif"),
    ("NotoSansMonoCJKsc-Regular.otf", "Noto Sans Mono CJK SC", "mono"),
    ("SourceHanMonoSC-Regular.otf", "Source Han Mono SC", "mono"),
]

# Debian/Ubuntu font packages: (path, family, style, bold); collections are searched for the SC face
_SYSTEM_CJK = [
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "WenQuanYi Micro Hei", "sans", False),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "WenQuanYi Zen Hei", "sans", False),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC", "sans", False),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "Noto Sans CJK SC", "sans", True),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC", "serif", False),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC", "serif", True),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", "AR PL UKai CN", "kai", False),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", "AR PL UMing CN", "serif", False),
]

CJK_PROBE = "合同通知报告"


def _renders_cjk(path: str, index: int) -> bool:
    """True if the face has real glyphs for common Chinese characters (not the .notdef box)."""
    try:
        font = ImageFont.truetype(path, 32, index=index, layout_engine=ImageFont.Layout.BASIC)
    except OSError:
        return False
    masks = [bytes(font.getmask(ch)) for ch in CJK_PROBE]
    return len(set(masks)) == len(masks) and all(any(m) for m in masks)


def _sc_face_index(path: str) -> int | None:
    """Face index of the Simplified Chinese face of a collection (first CJK face otherwise)."""
    first = None
    for index in range(16):
        try:
            font = ImageFont.truetype(path, 16, index=index)
        except OSError:
            break
        family = " ".join(font.getname())
        if _renders_cjk(path, index):
            if " SC" in family or "CN" in family or "GB" in family:
                return index
            first = index if first is None else first
    return first


def find_latin_fonts() -> list[FontSpec]:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return [FontSpec(name, str(folder / file), 0, style, bold)
            for file, name, style, bold in _MATPLOTLIB_LATIN if (folder / file).is_file()]


def find_cjk_fonts() -> list[FontSpec]:
    """Every usable Simplified Chinese face: mplfonts first, then Debian font packages."""
    found: list[FontSpec] = []
    try:
        import mplfonts

        folder = Path(mplfonts.__file__).resolve().parent / "fonts"
        for file, name, style in _MPLFONTS_CJK:
            path = folder / file
            if path.is_file() and _renders_cjk(str(path), 0):
                found.append(FontSpec(name, str(path), 0, style, False, True))
    except ImportError:
        pass
    have = {(f.name, f.bold) for f in found}
    for path, name, style, bold in _SYSTEM_CJK:
        if (name, bold) in have or not Path(path).is_file():
            continue
        index = _sc_face_index(path) if path.endswith(".ttc") else (0 if _renders_cjk(path, 0) else None)
        if index is not None:
            found.append(FontSpec(name, path, index, style, bold, True))
            have.add((name, bold))
    return found


_warned_no_cjk = False


def discover_fonts() -> FontSet:
    """The fonts of this machine. Warns once, clearly, when there is no Chinese font."""
    global _warned_no_cjk
    latin = find_latin_fonts()
    if not latin:
        raise RuntimeError("no Latin font found: matplotlib's DejaVu fonts are missing "
                           "(reinstall the course requirements with `make setup`)")
    cjk = find_cjk_fonts()
    if not cjk and not _warned_no_cjk:
        _warned_no_cjk = True
        warnings.warn(
            "No Chinese (CJK) font found -- neither the pip package `mplfonts` nor Debian fonts "
            "(fonts-wqy-microhei, fonts-noto-cjk). Generating LATIN-ONLY document pages; "
            "run `make setup` to install mplfonts for pages with Chinese text.",
            RuntimeWarning, stacklevel=2)
    return FontSet(tuple(latin), tuple(cjk))


@lru_cache(maxsize=512)
def load_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    """A cached FreeType face at ``size`` px (loading a 20 MB CJK font per page would be slow).

    The BASIC layout engine keeps the rendering independent of whether libraqm is installed.
    """
    return ImageFont.truetype(path, max(int(size), 4), index=index,
                              layout_engine=ImageFont.Layout.BASIC)
