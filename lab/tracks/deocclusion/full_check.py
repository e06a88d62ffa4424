"""``make check-full``'s data and extra networks for the de-occlusion pair (the inpainter and the segmenter, one
data set): a few full-size pages in the download's layout, and the other network each one's pipeline needs."""

from __future__ import annotations

from pathlib import Path

PAGES = {"n_train": 2, "n_val": 0, "n_test": 1, "variants": 1}


def sample_root(data_dir, work, profile: str = "full") -> Path:
    """2 training pages and 1 test photo of ``profile``'s size generated under ``data_dir/deocclusion``, laid out
    under ``work/data`` as the download is: ``train_data_1/`` (gt/, the category folders, annotation.txt), no
    ``val/``, and ``test_A/`` holding the occluded photo alone."""
    from lib.data.folders import link_files, tree_files
    from lib.tracks.deocclusion.data import TRACK, ensure_dataset, list_samples

    generated = ensure_dataset(profile, Path(data_dir) / TRACK, options=PAGES)
    files = [(path, f"train_data_1/{rel}") for path, rel in tree_files(generated / "train")]
    files += [(s.image, f"test_A/{s.image.name}") for s in list_samples(generated / "test_A")]
    return link_files(files, Path(work) / "data")


def data(track, data_dir, work, profile: str = "full"):
    """``(root, prepared)``: :func:`sample_root`, prepared for both networks with its last page held out for
    validation."""
    from lib.tracks.deocclusion.data import prepare

    cfg = track.config(profile)
    root = sample_root(data_dir, work, profile)
    return root, prepare(
        root,
        Path(work) / "prepared",
        cfg["prepare"]["seg_size"],
        cfg["repair"],
        desk_variants=cfg["prepare"]["desk_variants"],
        val_pages=1,
    )


def segmenter_extras(profile: str = "full") -> tuple[dict, dict]:
    """The inpainter's pipeline needs a segmenter: untrained, from the profile's ``seg_model``, for both
    ``evaluate`` and ``build_submission``."""
    from lib.tracks import get_track
    from lib.train.registry import build_model

    seg_track = get_track("deocclusion_seg")
    segmenter = build_model(seg_track.model_spec(seg_track.config(profile)))
    segmenter.eval()
    return {"segmenter": segmenter}, {"segmenter": segmenter}


def generator_extras(profile: str = "full") -> tuple[dict, dict]:
    """The segmenter's submission needs the generator: untrained, from the profile's ``model``."""
    from lib.tracks import get_track
    from lib.train.registry import build_model
    from lib.train.tasks import get_task

    inpainter = get_track("deocclusion")
    specs = get_task(inpainter.task).network_specs({"model": inpainter.config(profile)["model"]})
    generator = build_model(specs["generator"])
    generator.eval()
    return {}, {"generator": generator}
