import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import sys
from pathlib import Path

# tests import small helpers from each other (e.g. the tiny training task)
sys.path.insert(0, str(Path(__file__).parent))

# Session fixtures of the inference, export and submission tests (tests/test_infer.py,
# test_export.py, test_predict.py, test_submission_faults.py): a tiny NAFNet and its submission, exported once.
import pytest
from submission_helpers import unzipped_submission_once
from tiny_nafnet import TINY_OVERLAP, TINY_PATCH, TINY_TILE_PIXELS, make_tiny_nafnet


@pytest.fixture(scope="session")
def tiny_nafnet():
    return make_tiny_nafnet()


@pytest.fixture(scope="session")
def tiny_submission(tmp_path_factory, tiny_nafnet, worker_id):
    """dist-style zip of the tiny model with TLC (small tiles, so tiling runs on small images),
    unzipped into a folder: (folder, metadata, zip path). Built once for the whole session
    (submission_helpers.unzipped_submission_once: the tiny model is seeded, so every worker's
    ``tiny_nafnet`` is the model in the zip)."""
    from lib.export import build_submission

    def build_zip(zip_path):
        return build_submission(
            tiny_nafnet,
            zip_path,
            tlc=True,
            tlc_factor=2.5,
            tlc_train_size=TINY_PATCH,
            tile_pixels=TINY_TILE_PIXELS,
            overlap=TINY_OVERLAP,
        )

    return unzipped_submission_once(tmp_path_factory, worker_id, "tiny_submission", build_zip)


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a connection or to download weights (PaddleSeg's models, the VGG-16 of the
    perceptual loss) fails the test: what a test of an offline build uses."""
    import socket

    import paddleseg.utils.download as download
    import paddleseg.utils.utils as seg_utils

    from lib import losses

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[:2]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(download, "download_file_and_uncompress", refuse)
    monkeypatch.setattr(seg_utils, "download_pretrained_model", refuse)
    monkeypatch.setattr(losses, "vgg16_features", refuse)
