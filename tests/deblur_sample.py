"""A tiny generated deblur data set for the generator's tests (tests/tracks/deblur/) and the experiments'
switches (tests/experiments/): the same options, files read back byte for byte."""

from __future__ import annotations

from pathlib import Path

from lib.data import fonts
from lib.tracks.deblur.data import ensure_dataset

TINY = {"n_train": 3, "n_test": 2, "test_long_side": 192}


def make(root: Path, seed: int = 0, **kw) -> Path:
    return ensure_dataset("smoke", root, seed=seed, workers=1, options={**TINY, **kw.pop("options", {})}, **kw)


def all_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def fake_extra_fonts(root: Path) -> Path:
    """Every file of fonts._EXTRA_CJK under ``root``, each a link to one of mplfonts' Chinese faces
    (the real ones are Debian packages that CI does not fetch); their family names are the extra ones."""
    sources = [f.path for f in fonts.find_cjk_fonts() if f.path.endswith(".otf") or f.path.endswith(".ttf")]
    for i, (rel, *_) in enumerate(fonts._EXTRA_CJK):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        if not (root / rel).exists():
            (root / rel).symlink_to(sources[i % len(sources)])
    return root
