"""``make check-full``'s data for the denoising track: the scenes it restores at full size, and a root of them to
train on."""

from __future__ import annotations

from pathlib import Path

SCENES = {
    "train_photos": ["astronaut", "chelsea"],
    "scenes_per_photo": 1,
    "test_photos": ["coffee"],
    "test_isos": [3200],
}


def train_samples() -> int:
    """SIDD-Medium's patches, as the solution cuts them (lib.tracks.denoise.track.SIDD_MEDIUM_PATCHES)."""
    from lib.tracks.denoise.track import SIDD_MEDIUM_PATCHES

    return SIDD_MEDIUM_PATCHES


def data(track, data_dir, work, profile: str = "full"):
    """``(root, prepared)``: 2 training scenes and 1 held-out scene of ``profile``'s size generated under
    ``data_dir/denoise``, laid out under ``work/data`` as the solution's folder without ground truth to score:
    ``SIDD_Medium_Srgb/Data/<scene>/`` and the held-out scene's noisy image alone as
    ``SIDD_patches/val/input/0000-0000.png``; then 8 patches per training image (the last scene validates)."""
    from lib.data.folders import link_files, tree_files
    from lib.tracks.denoise.data import (
        INPUT_DIR,
        SIDD_VAL,
        TEST_DATA,
        TRACK,
        ensure_dataset,
        list_scenes,
        prepare_patches,
    )

    generated = ensure_dataset(profile, Path(data_dir) / TRACK, options=SCENES)
    noisy = next(p for _, p, _ in list_scenes(generated / TEST_DATA))
    root = link_files(
        [*tree_files(generated, skip=("test",)), (noisy, f"{SIDD_VAL}/{INPUT_DIR}/0000-0000.png")], Path(work) / "data"
    )
    return root, prepare_patches(
        profile, source=root, out=Path(work) / "prepared", num_patches=8, val_patches=2, val_scenes=1
    )
