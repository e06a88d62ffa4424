"""The app's example images, ``app/examples/<track>.png``: one test input per tab from the course's own
generators (smoke profile, seed 0; each deployment's ``example_source`` says which file), so every tab shows
something before anyone uploads. ``python -m lib.app.examples`` writes them again (a few seconds)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import cv2

from ..tracks.deployment import EXAMPLES_DIR

OUT_DIR = EXAMPLES_DIR
MAX_SIDE = 320  # px: small files in the repository


def make_examples(out_dir=OUT_DIR) -> list[Path]:
    """Generate the smoke data of each tab's ``example_source`` in a temporary folder and copy one input per
    tab, its long side at most :data:`MAX_SIDE`, as PNG."""
    from ..tracks import get_track
    from .restore import tabs

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        roots = {}
        for deployment in tabs():
            if deployment.example_source is None:
                continue
            generator, rel = deployment.example_source
            if generator not in roots:
                roots[generator] = get_track(generator).generate_data("smoke", out=Path(tmp) / generator, seed=0)
            image = cv2.imread(str(Path(roots[generator]) / rel), cv2.IMREAD_COLOR)
            if image is None:
                raise FileNotFoundError(f"the {generator} generator wrote no {rel}")
            scale = MAX_SIDE / max(image.shape[:2])
            if scale < 1:
                image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            path = out_dir / f"{deployment.name}.png"
            cv2.imwrite(str(path.with_suffix(".tmp.png")), image)
            shutil.move(str(path.with_suffix(".tmp.png")), path)
            written.append(path)
    return written


if __name__ == "__main__":
    for p in make_examples(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT_DIR):
        print(p)
