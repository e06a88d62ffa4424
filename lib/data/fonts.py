"""Fonts for rendering document pages, found on a fresh machine without any download.

* Latin: DejaVu Sans/Serif and STIX (a Times-like serif), regular and bold, shipped inside
  matplotlib (``matplotlib.get_data_path()/fonts/ttf``); Source Sans Pro, Source Serif Pro and Lato
  in light, regular, semibold and bold weights from the pip packages ``font-source-sans-pro``,
  ``font-source-serif-pro`` and ``font-lato`` (stroke weights vary, so a model cannot learn that
  every stroke has one thickness).
* Chinese: the pip package ``mplfonts`` ships Noto Sans/Serif CJK SC, SimHei and Source Han
  Serif/Mono SC; Debian font packages (Noto CJK, AR PL Kaiti/Mingti) are used too when installed.
  CJK fonts also carry Latin glyphs, so mixed lines render with one font.
* Held out: Caladea and Manrope (pip ``font-caladea``, ``font-manrope``) and WenQuanYi Micro Hei
  (pip ``paperang-p2-fonts-cjk``, or Debian's ``fonts-wqy-microhei``) never appear in training or
  test_A pages; :func:`discover_fonts(heldout=True) <discover_fonts>` returns only them, for the
  held-out evaluation pages of :mod:`lib.data.heldout` (does a model generalise to unseen fonts?).
* Extra Chinese faces, for training pages only and only when asked for (:func:`find_extra_cjk_fonts`):
  Kai, Song and Ming designs and the Noto CJK weights from light to black, from Debian packages that
  ``python -m lib.data.fonts --fetch-extra-cjk`` unpacks into ``data/fonts`` (no root needed).

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

    name: str  # e.g. "Noto Serif CJK SC"
    path: str
    index: int = 0  # face index inside a .ttc collection
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
        return [
            f"{f.name}{' Bold' if f.bold else ''} [{Path(f.path).name}#{f.index}]" for f in (*self.latin, *self.cjk)
        ]


# (file name, family name, style, bold) inside matplotlib's fonts/ttf
_MATPLOTLIB_LATIN = [
    ("DejaVuSans.ttf", "DejaVu Sans", "sans", False),
    ("DejaVuSans-Bold.ttf", "DejaVu Sans", "sans", True),
    ("DejaVuSerif.ttf", "DejaVu Serif", "serif", False),
    ("DejaVuSerif-Bold.ttf", "DejaVu Serif", "serif", True),
    ("STIXGeneral.ttf", "STIX General", "serif", False),
    ("STIXGeneralBol.ttf", "STIX General", "serif", True),
]

# (pip package, file name, family name, style, bold) of the font-* packages: font files in <package>/files.
# Light and semibold cuts count as regular faces of their family (the bold cut is the family's bold).
_PIP_LATIN = [
    ("font_source_sans_pro", "SourceSansPro-Regular.ttf", "Source Sans Pro", "sans", False),
    ("font_source_sans_pro", "SourceSansPro-Light.ttf", "Source Sans Pro", "sans", False),
    ("font_source_sans_pro", "SourceSansPro-Semibold.ttf", "Source Sans Pro", "sans", False),
    ("font_source_sans_pro", "SourceSansPro-Bold.ttf", "Source Sans Pro", "sans", True),
    ("font_source_serif_pro", "SourceSerifPro-Regular.ttf", "Source Serif Pro", "serif", False),
    ("font_source_serif_pro", "SourceSerifPro-Light.ttf", "Source Serif Pro", "serif", False),
    ("font_source_serif_pro", "SourceSerifPro-Semibold.ttf", "Source Serif Pro", "serif", False),
    ("font_source_serif_pro", "SourceSerifPro-Bold.ttf", "Source Serif Pro", "serif", True),
    ("font_lato", "Lato-Regular.ttf", "Lato", "sans", False),
    ("font_lato", "Lato-Light.ttf", "Lato", "sans", False),
    ("font_lato", "Lato-Bold.ttf", "Lato", "sans", True),
    # held out (HELDOUT_FAMILIES)
    ("font_caladea", "Caladea-Regular.ttf", "Caladea", "serif", False),
    ("font_caladea", "Caladea-Bold.ttf", "Caladea", "serif", True),
    ("font_manrope", "Manrope-Regular.ttf", "Manrope", "sans", False),
    ("font_manrope", "Manrope-Light.ttf", "Manrope", "sans", False),
    ("font_manrope", "Manrope-Bold.ttf", "Manrope", "sans", True),
]

# Families kept for the held-out evaluation pages only (lib.data.heldout): one Latin serif, one
# Latin sans and one Chinese sans whose designs differ from every training font.
HELDOUT_FAMILIES = frozenset({"Caladea", "Manrope", "WenQuanYi Micro Hei"})

# (file name, family name, style) inside mplfonts/fonts; all regular weight
_MPLFONTS_CJK = [
    ("NotoSansCJKsc-Regular.otf", "Noto Sans CJK SC", "sans"),
    ("NotoSerifCJKsc-Regular.otf", "Noto Serif CJK SC", "serif"),
    ("SimHei.ttf", "SimHei", "sans"),
    ("SourceHanSerifSC-Regular.otf", "Source Han Serif SC", "serif"),
    ("NotoSansMonoCJKsc-Regular.otf", "Noto Sans Mono CJK SC", "mono"),
    ("SourceHanMonoSC-Regular.otf", "Source Han Mono SC", "mono"),
]

# Debian/Ubuntu font packages: (path, family, style, bold); collections are searched for the SC face.
# WenQuanYi Zen Hei is left out: a sibling of the held-out WenQuanYi Micro Hei must not train.
_SYSTEM_CJK = [
    ("paperang_p2_fonts_cjk/fonts/wqy-microhei.ttc", "WenQuanYi Micro Hei", "sans", False),  # pip, held out
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "WenQuanYi Micro Hei", "sans", False),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC", "sans", False),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "Noto Sans CJK SC", "sans", True),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC", "serif", False),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC", "serif", True),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", "AR PL UKai CN", "kai", False),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", "AR PL UMing CN", "serif", False),
]

CJK_PROBE = "合同通知报告"

# Optional extra Chinese faces for the training pages only (deblur's ``train_extra_cjk_fonts``): other
# designs (Kai, Song/Ming, a handwriting Kai) and the Noto CJK weights from light to black, from Debian
# packages unpacked into a course folder (:func:`fetch_extra_cjk_fonts`, no root needed), never from
# /usr/share, so installing a system font package never changes the default training pages.
# None is related to the held-out WenQuanYi (or its ancestor Droid Sans Fallback).
EXTRA_CJK_PACKAGES = (
    "fonts-lxgw-wenkai",
    "fonts-arphic-ukai",
    "fonts-arphic-uming",
    "fonts-arphic-gbsn00lp",
    "fonts-arphic-gkai00mp",
    "fonts-noto-cjk",
    "fonts-noto-cjk-extra",
)
# (path inside the unpacked packages' usr/share/fonts, family, style, bold); light, medium and black cuts
# count as regular faces of their family, like the Latin light and semibold cuts
_EXTRA_CJK = [
    ("truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf", "LXGW WenKai", "kai", False),
    ("truetype/lxgw-wenkai/LXGWWenKai-Light.ttf", "LXGW WenKai", "kai", False),
    ("truetype/lxgw-wenkai/LXGWWenKai-Bold.ttf", "LXGW WenKai", "kai", True),
    ("truetype/arphic/ukai.ttc", "AR PL UKai CN", "kai", False),
    ("truetype/arphic/uming.ttc", "AR PL UMing CN", "serif", False),
    ("truetype/arphic-gbsn00lp/gbsn00lp.ttf", "AR PL SungtiL GB", "serif", False),
    ("truetype/arphic-gkai00mp/gkai00mp.ttf", "AR PL KaitiM GB", "kai", False),
    ("opentype/noto/NotoSansCJK-Light.ttc", "Noto Sans CJK SC", "sans", False),
    ("opentype/noto/NotoSansCJK-Medium.ttc", "Noto Sans CJK SC", "sans", False),
    ("opentype/noto/NotoSansCJK-Black.ttc", "Noto Sans CJK SC", "sans", False),
    ("opentype/noto/NotoSansCJK-Bold.ttc", "Noto Sans CJK SC", "sans", True),
    ("opentype/noto/NotoSerifCJK-Light.ttc", "Noto Serif CJK SC", "serif", False),
    ("opentype/noto/NotoSerifCJK-SemiBold.ttc", "Noto Serif CJK SC", "serif", False),
    ("opentype/noto/NotoSerifCJK-Black.ttc", "Noto Serif CJK SC", "serif", False),
    ("opentype/noto/NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC", "serif", True),
]


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


def _cjk_face_index(path: str) -> int | None:
    """The face of a font file to render Chinese with: the SC face of a collection, else 0 if it has
    Chinese glyphs; None for a file without them."""
    if path.endswith(".ttc"):
        return _sc_face_index(path)
    return 0 if _renders_cjk(path, 0) else None


def _package_dir(module: str) -> Path | None:
    """The folder of an installed package, found without importing it (None when absent)."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    return Path(spec.origin).parent if spec is not None and spec.origin else None


def find_latin_fonts() -> list[FontSpec]:
    """Every Latin face: matplotlib's, then the font-* pip packages (held-out families included)."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    found = [
        FontSpec(name, str(folder / file), 0, style, bold)
        for file, name, style, bold in _MATPLOTLIB_LATIN
        if (folder / file).is_file()
    ]
    for module, file, name, style, bold in _PIP_LATIN:
        package = _package_dir(module)
        if package is not None and (package / "files" / file).is_file():
            found.append(FontSpec(name, str(package / "files" / file), 0, style, bold))
    return found


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
        if not path.startswith("/"):  # inside a pip package
            package = _package_dir(path.split("/")[0])
            if package is None:
                continue
            path = str(package.parent / path)
        if (name, bold) in have or not Path(path).is_file():
            continue
        index = _cjk_face_index(path)
        if index is not None:
            found.append(FontSpec(name, path, index, style, bold, True))
            have.add((name, bold))
    return found


_warned_no_cjk = False


def discover_fonts(heldout: bool = False) -> FontSet:
    """The training fonts of this machine (every family but :data:`HELDOUT_FAMILIES`), or with
    ``heldout=True`` only the held-out families. Warns once, clearly, when there is no Chinese font."""
    global _warned_no_cjk

    def keep(specs):
        return [f for f in specs if (f.name in HELDOUT_FAMILIES) == heldout]

    latin = keep(find_latin_fonts())
    if not latin:
        if heldout:
            raise RuntimeError(
                "no held-out Latin font found: the pip packages font-caladea and font-manrope "
                "are missing (reinstall the course requirements with `make setup`)"
            )
        raise RuntimeError(
            "no Latin font found: matplotlib's DejaVu fonts are missing "
            "(reinstall the course requirements with `make setup`)"
        )
    cjk = keep(find_cjk_fonts())
    if not cjk and not _warned_no_cjk:
        _warned_no_cjk = True
        warnings.warn(
            "No Chinese (CJK) font found -- neither the pip package `mplfonts` nor Debian fonts "
            "(fonts-wqy-microhei, fonts-noto-cjk). Generating LATIN-ONLY document pages; "
            "run `make setup` to install mplfonts for pages with Chinese text.",
            RuntimeWarning,
            stacklevel=2,
        )
    return FontSet(tuple(latin), tuple(cjk))


@lru_cache(maxsize=512)
def load_font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    """A cached FreeType face at ``size`` px (loading a 20 MB CJK font per page would be slow).

    The BASIC layout engine keeps the rendering independent of whether libraqm is installed.
    """
    return ImageFont.truetype(path, max(int(size), 4), index=index, layout_engine=ImageFont.Layout.BASIC)


def extra_cjk_fonts_dir() -> Path:
    """Where :func:`fetch_extra_cjk_fonts` unpacks the extra Chinese faces: ``data/fonts`` (moves with
    ``$COURSE_DATA_DIR``)."""
    from lib.paths import DATA_DIR

    return DATA_DIR / "fonts"


def find_extra_cjk_fonts(root: str | Path | None = None) -> list[FontSpec]:
    """The extra Chinese training faces (:data:`_EXTRA_CJK`) under ``root`` (default
    :func:`extra_cjk_fonts_dir`). A missing or unusable file is an error naming it and the fix."""
    root = Path(root) if root is not None else extra_cjk_fonts_dir()
    found, missing = [], []
    for rel, name, style, bold in _EXTRA_CJK:
        path = root / rel
        index = _cjk_face_index(str(path)) if path.is_file() else None
        if index is None:
            missing.append(str(path))
        else:
            found.append(FontSpec(name, str(path), index, style, bold, True))
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} extra Chinese font file(s) missing or without Chinese glyphs, first {missing[0]}; "
            f"unpack them with `python -m lib.data.fonts --fetch-extra-cjk` (Debian packages "
            f"{', '.join(EXTRA_CJK_PACKAGES)}, via apt-get download)"
        )
    return found


def fetch_extra_cjk_fonts(root: str | Path | None = None) -> Path:
    """Download :data:`EXTRA_CJK_PACKAGES` with ``apt-get download`` (no root needed) and unpack their
    font files into ``root`` (default :func:`extra_cjk_fonts_dir`), atomically: a failed fetch leaves
    no half folder. Returns ``root``; a complete folder is left as it is."""
    import shutil
    import subprocess
    import tempfile

    root = Path(root) if root is not None else extra_cjk_fonts_dir()
    try:
        find_extra_cjk_fonts(root)
        return root
    except FileNotFoundError:
        pass
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise RuntimeError(
                f"{tool} not found: the extra Chinese fonts come from Debian packages "
                f"({', '.join(EXTRA_CJK_PACKAGES)}); unpack their usr/share/fonts into {root}"
            )
    root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root.parent, prefix=".fonts-") as tmp:
        debs, unpacked = Path(tmp, "debs"), Path(tmp, "unpacked")
        debs.mkdir()
        result = subprocess.run(["apt-get", "download", *EXTRA_CJK_PACKAGES], cwd=debs, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(
                f"apt-get download {' '.join(EXTRA_CJK_PACKAGES)} failed: {result.stderr.strip()[-500:]}"
            )
        for deb in sorted(debs.glob("*.deb")):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
        fonts, staged = unpacked / "usr" / "share" / "fonts", Path(tmp, "fonts")
        find_extra_cjk_fonts(fonts)  # every face there before anything is moved into place
        for rel in dict.fromkeys(rel for rel, *_ in _EXTRA_CJK):  # only the faces used (the packages hold 3x more)
            (staged / rel).parent.mkdir(parents=True, exist_ok=True)
            (fonts / rel).rename(staged / rel)
        if root.exists():
            shutil.rmtree(root)
        staged.rename(root)
    return root


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m lib.data.fonts", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fetch-extra-cjk",
        action="store_true",
        help="unpack the extra Chinese training faces (Debian packages) into data/fonts",
    )
    args = parser.parse_args(argv)
    if args.fetch_extra_cjk:
        root = fetch_extra_cjk_fonts()
        print(f"{len(find_extra_cjk_fonts(root))} extra Chinese faces in {root}")
        return 0
    fonts = discover_fonts()
    print("\n".join(fonts.names()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
