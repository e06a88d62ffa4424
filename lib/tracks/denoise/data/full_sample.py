"""The scenes ``make check-full`` restores at full size, and a root of them to train on."""

from __future__ import annotations

from pathlib import Path

from .generator import ensure_dataset
from .layout import INPUT_DIR, SIDD_VAL, TEST_DATA, TRACK
from .patches import PreparedPatches, prepare_patches
from .read import list_scenes

CHECK_FULL_SCENES = {
    "train_photos": ["astronaut", "chelsea"],
    "scenes_per_photo": 1,
    "test_photos": ["coffee"],
    "test_isos": [3200],
}


def check_full_root(data_dir, work, profile: str = "full") -> tuple[Path, PreparedPatches]:
    """For ``python -m lab.check_full``: 2 training scenes and 1 held-out scene of ``profile``'s
    size generated under ``data_dir/denoise``, laid out under ``work/data`` as the solution's folder
    without ground truth to score: ``SIDD_Medium_Srgb/Data/<scene>/`` and the held-out scene's noisy
    image alone as ``SIDD_patches/val/input/0000-0000.png``; then 8 patches per training image
    (the last scene validates)."""
    from lib.data.folders import link_files, tree_files

    generated = ensure_dataset(profile, Path(data_dir) / TRACK, options=CHECK_FULL_SCENES)
    noisy = next(p for _, p, _ in list_scenes(generated / TEST_DATA))
    root = link_files(
        [*tree_files(generated, skip=("test",)), (noisy, f"{SIDD_VAL}/{INPUT_DIR}/0000-0000.png")], Path(work) / "data"
    )
    return root, prepare_patches(
        profile, source=root, out=Path(work) / "prepared", num_patches=8, val_patches=2, val_scenes=1
    )
