"""Session fixtures of the de-occlusion submission tests: the smoke profile's untrained networks and
their submission zip, exported once per session."""

import zipfile

import paddle
import pytest


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
def deocclusion_submission(tmp_path_factory, deocclusion_networks):
    """dist-style de-occlusion zip of those networks, unzipped into a fresh folder:
    (folder, metadata, zip path)."""
    from lib.tracks.deocclusion.export import build_submission

    segmenter, generator, cfg = deocclusion_networks
    root = tmp_path_factory.mktemp("deocclusion_submission")
    meta = build_submission(
        segmenter, generator, root / "sub.zip", seg_size=cfg["prepare"]["seg_size"], repair=cfg["repair"]
    )
    folder = root / "unzipped"
    with zipfile.ZipFile(root / "sub.zip") as archive:
        archive.extractall(folder)
    return folder, meta, root / "sub.zip"
