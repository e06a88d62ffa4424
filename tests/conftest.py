import sys
from pathlib import Path

# tests import small helpers from each other (e.g. the tiny training task)
sys.path.insert(0, str(Path(__file__).parent))

# Session fixtures of the inference, export and submission tests (tests/test_infer.py,
# test_export.py, test_predict.py): a tiny NAFNet and its submission, exported once per session.
import zipfile

import lib  # noqa: F401
import paddle
import pytest

TINY_PATCH = 32          # "training" patch of the tiny model: TLC windows of 2.5 x 32 = 80 px
TINY_TILE_PIXELS = 128 * 128
TINY_OVERLAP = 16


def make_tiny_nafnet(seed: int = 0, width: int = 4):
    """A 4-level NAFNet of width 4 with non-zero beta/gamma, so every block (and every SCA that
    TLC changes) affects the output."""
    from lib.models.nafnet import NAFNet

    paddle.seed(seed)
    net = NAFNet(3, width, 1, [1, 1, 1, 1], [1, 1, 1, 1])
    for name, p in net.named_parameters():
        if name.endswith(".beta") or name.endswith(".gamma"):
            p.set_value(paddle.randn(p.shape) * 0.5)
    net.eval()
    return net


@pytest.fixture(scope="session")
def tiny_nafnet():
    return make_tiny_nafnet()


@pytest.fixture(scope="session")
def tiny_submission(tmp_path_factory, tiny_nafnet):
    """dist-style zip of the tiny model with TLC (small tiles, so tiling runs on small images),
    unzipped into a fresh folder: (folder, metadata, zip path)."""
    from lib.export import build_submission

    root = tmp_path_factory.mktemp("tiny_submission")
    meta = build_submission(tiny_nafnet, root / "submission.zip", tlc=True, patch_size=TINY_PATCH,
                            tile_pixels=TINY_TILE_PIXELS, overlap=TINY_OVERLAP)
    folder = root / "unzipped"
    with zipfile.ZipFile(root / "submission.zip") as archive:
        archive.extractall(folder)
    return folder, meta, root / "submission.zip"


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
    from lib.export.deocclusion import build_submission

    segmenter, generator, cfg = deocclusion_networks
    root = tmp_path_factory.mktemp("deocclusion_submission")
    meta = build_submission(segmenter, generator, root / "sub.zip", seg_size=cfg["prepare"]["seg_size"],
                            repair=cfg["repair"])
    folder = root / "unzipped"
    with zipfile.ZipFile(root / "sub.zip") as archive:
        archive.extractall(folder)
    return folder, meta, root / "sub.zip"
