"""Session fixtures of the de-occlusion tests: the smoke profile's sample data and its preparation, one smoke
run of the inpainter trained on it, and the profile's untrained networks and their submission zip, each made
once per session (test_deocclusion_track.py, test_deocclusion_submission.py and the fault tests share them)."""

import paddle
import pytest


@pytest.fixture(scope="session")
def deocclusion_prepared(tmp_path_factory):
    """The smoke profile's sample data (seed 0) and its preparation: (data root, prepared folder)."""
    from lib.tracks import get_track
    from lib.tracks.deocclusion.data import ensure_dataset, prepare

    base = tmp_path_factory.mktemp("deocc_track")
    root = ensure_dataset("smoke", base / "data", seed=0, workers=1)
    cfg = get_track("deocclusion").config("smoke")
    return root, prepare(
        root,
        base / "prepared",
        cfg["prepare"]["seg_size"],
        cfg["repair"],
        desk_variants=cfg["prepare"]["desk_variants"],
    )


@pytest.fixture(scope="session")
def deocclusion_gan_run(tmp_path_factory, deocclusion_prepared):
    """The inpainter's smoke run on that preparation, every phase's end kept (keep_phase_ends only saves one
    more checkpoint): (trainer, history). Tests read its folder and never write in it."""
    from lib.tracks import get_track

    trainer = get_track("deocclusion").trainer(
        "smoke",
        tmp_path_factory.mktemp("deocc_gan_run") / "run",
        prepared=deocclusion_prepared[1],
        quiet=True,
        keep_phase_ends=True,
    )
    return trainer, trainer.fit()


@pytest.fixture(scope="session")
def deocclusion_networks():
    """The de-occlusion smoke profile's untrained segmenter and generator (seed 0), in eval mode,
    and the profile's options: (segmenter, generator, cfg)."""
    from lib.tracks import get_track
    from lib.train.registry import build_model

    track = get_track("deocclusion")
    paddle.seed(0)
    cfg = track.config("smoke")
    segmenter = build_model(dict(cfg["seg_model"]))
    generator = build_model(track.train_options(cfg)["model"]["generator"])
    segmenter.eval()
    generator.eval()
    return segmenter, generator, cfg


@pytest.fixture(scope="session")
def deocclusion_submission(tmp_path_factory, deocclusion_networks, worker_id):
    """dist-style de-occlusion zip of those networks, unzipped into a fresh folder: (folder, metadata, zip path).
    Exported once for the whole session (submission_helpers.unzipped_submission_once: the networks are seeded, so every
    worker's ``deocclusion_networks`` are the zipped ones)."""
    from submission_helpers import unzipped_submission_once

    from lib.tracks.deocclusion.export import build_submission

    segmenter, generator, cfg = deocclusion_networks

    def build_zip(zip_path):
        return build_submission(
            segmenter, generator, zip_path, seg_size=cfg["prepare"]["seg_size"], repair=cfg["repair"]
        )

    return unzipped_submission_once(tmp_path_factory, worker_id, "deocclusion_submission", build_zip)
