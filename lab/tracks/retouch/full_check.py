"""``make check-full``'s data for the retouching track: a few full-size faces in the competition's layout."""

from __future__ import annotations

from pathlib import Path

FACES = {"n_train": 3, "n_val": 1, "n_test": 1}


def sample_root(data_dir, work, profile: str = "full") -> Path:
    """3 training, 1 validation and 1 test face of ``profile``'s size generated under ``data_dir/retouch``, laid
    out under ``work/data`` as the competition's download: ``test_A/image/`` alone (no ground truth, no masks)."""
    from lib.data.folders import link_files, tree_files
    from lib.tracks.retouch.data import GT_DIR, MASK_DIR, TRACK, ensure_dataset

    generated = ensure_dataset(profile, Path(data_dir) / TRACK, options=FACES)
    return link_files(tree_files(generated, skip=(f"test_A/{GT_DIR}", f"test_A/{MASK_DIR}")), Path(work) / "data")


def data(track, data_dir, work, profile: str = "full"):
    """``(root, prepared)``: the root is what training reads."""
    root = sample_root(data_dir, work, profile)
    return root, root
