"""``make check-full``'s data for the blurred-document tracks (deblur and sdwnet, which read the same pages):
a few full-size pages in the competition's layout, prepared with each track's own options."""

from __future__ import annotations

from pathlib import Path

PAGES = {"n_train": 3, "n_test": 1, "n_heldout": 0, "n_scans": 0}


def sample_root(data_dir, work, profile: str = "full") -> Path:
    """3 training pairs and 1 test page of ``profile``'s size, generated under ``data_dir/deblur`` and laid out
    under ``work/data`` as the competition's download is: ``train/`` with ``gt_image/``, ``test_A/blur_image/``
    alone (no ground truth)."""
    from lib.data.folders import link_files, tree_files
    from lib.tracks.deblur.data import TRACK, ensure_dataset

    generated = ensure_dataset(profile, Path(data_dir) / TRACK, options=PAGES)
    return link_files(
        tree_files(generated, skip=("test_A/gt_image", "test_A/text", "heldout", "scans")), Path(work) / "data"
    )


def data(track, data_dir, work, profile: str = "full"):
    """``(root, prepared)``: :func:`sample_root`, prepared by ``track`` with 1 validation page."""
    root = sample_root(data_dir, work, profile)
    return root, track.prepare(profile, source=root, out=Path(work) / "prepared", val_count=1)
