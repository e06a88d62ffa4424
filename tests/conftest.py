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
    meta = build_submission(tiny_nafnet, root / "submission.zip", tlc=True, tlc_factor=2.5, tlc_train_size=TINY_PATCH,
                            tile_pixels=TINY_TILE_PIXELS, overlap=TINY_OVERLAP)
    folder = root / "unzipped"
    with zipfile.ZipFile(root / "submission.zip") as archive:
        archive.extractall(folder)
    return folder, meta, root / "submission.zip"
