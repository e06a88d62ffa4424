import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import sys
from pathlib import Path

# tests import small helpers from each other (e.g. the tiny training task)
sys.path.insert(0, str(Path(__file__).parent))

# Session fixtures of the inference, export and submission tests (tests/test_infer.py,
# test_export.py, test_predict.py, test_submission_faults.py): a tiny NAFNet and its submission, exported once.
import pickle
import zipfile

import pytest
from tiny_nafnet import TINY_OVERLAP, TINY_PATCH, TINY_TILE_PIXELS, make_tiny_nafnet


@pytest.fixture(scope="session")
def tiny_nafnet():
    return make_tiny_nafnet()


def shared_temp_folder(tmp_path_factory, worker_id: str) -> Path:
    """A folder every pytest-xdist worker of this session sees (their temp folders' parent; pytest-xdist's own
    recipe for session fixtures built once), or this session's temp folder without xdist."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture(scope="session")
def tiny_submission(tmp_path_factory, tiny_nafnet, worker_id):
    """dist-style zip of the tiny model with TLC (small tiles, so tiling runs on small images),
    unzipped into a folder: (folder, metadata, zip path). Built once for the whole session: the first
    worker that needs it exports it under a lock, the others read it (an export takes tens of seconds; the
    tiny model is seeded, so every worker's ``tiny_nafnet`` is the model in the zip). Tests that change
    the folder change a copy of it (submission_helpers.fresh_copy)."""
    from lib.export import build_submission
    from lib.train.launch import data_lock  # one process at a time, as for the data (a lock file in the folder)

    root = shared_temp_folder(tmp_path_factory, worker_id) / "tiny_submission"
    built = root / "meta.pickle"
    with data_lock(root.parent):
        if not built.is_file():
            root.mkdir(exist_ok=True)
            meta = build_submission(
                tiny_nafnet,
                root / "submission.zip",
                tlc=True,
                tlc_factor=2.5,
                tlc_train_size=TINY_PATCH,
                tile_pixels=TINY_TILE_PIXELS,
                overlap=TINY_OVERLAP,
            )
            with zipfile.ZipFile(root / "submission.zip") as archive:
                archive.extractall(root / "unzipped")
            built.write_bytes(pickle.dumps(meta))
    return root / "unzipped", pickle.loads(built.read_bytes()), root / "submission.zip"


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
