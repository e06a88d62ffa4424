"""A competition's test board has no ground truth (deblurring: ``test_A/blur_image`` without
``gt_image``; retouching: ``test_A/image`` without ``groundtruth``). Evaluating, publishing or
rescoring a model on such a root used to crash ("no ground truth"); now the track restores the board
into a folder (default ``runs/predict/<track>-<profile>/test_A``), says so in one line and records
no metrics. The written images are checked against the network's own output on each image."""

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from lib.data.pairs import read_image
from lib.infer import predict_image
from lib.tracks import get_track

ROOT = Path(__file__).resolve().parents[1]
BOARDS = {"deblur": "blur_image", "sdwnet": "blur_image", "retouch": "image"}


def make_board(root: Path, input_dir: str, sizes=((40, 56), (33, 47))) -> list[str]:
    rng = np.random.default_rng(1)
    names = []
    for k, (h, w) in enumerate(sizes):
        image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        name = f"{k:05d}.png"
        (root / "test_A" / input_dir).mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(root / "test_A" / input_dir / name), image[..., ::-1])
        names.append(name)
    return names


def shipped_model(name: str):
    track = get_track(name)
    return track, track.load_model(track.shipped_dir / "model.pdparams")


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_evaluate_restores_a_board_without_ground_truth(name, tmp_path, capsys):
    track, model = shipped_model(name)
    names = make_board(tmp_path / "data", BOARDS[name])
    result = track.evaluate(model, "smoke", data=tmp_path / "data", out=tmp_path / "out")
    line = [text for text in capsys.readouterr().out.splitlines() if "no ground truth" in text]
    assert len(line) == 1 and f"{name}: test_A has no ground truth: restored 2 image(s)" in line[0]
    assert line[0].endswith("metrics skipped")
    assert result["ground_truth"] is False and result["restored"] == 2 and result["failed"] == []
    assert "methods" not in result and result["restored_dir"] == str(tmp_path / "out")
    deployed = track.deployed(model, "smoke")  # NAFNet with TLC, SDWNet edge-padded, gUNet as is
    for file in names:
        image = read_image(tmp_path / "data" / "test_A" / BOARDS[name] / file)
        written = read_image(tmp_path / "out" / file)
        assert written.shape == image.shape and not np.array_equal(written, image)
        np.testing.assert_array_equal(written, predict_image(deployed, image))


def test_default_folder_is_runs_predict(tmp_path, monkeypatch):
    import lib.tracks.base as base

    monkeypatch.setattr(base, "RUNS_DIR", tmp_path / "runs")
    assert get_track("deblur").predictions_dir("full") == tmp_path / "runs" / "predict" / "deblur-full" / "test_A"


def test_rescore_on_a_board_without_ground_truth_records_no_metrics(tmp_path, monkeypatch):
    """What ``--publish`` and ``--rescore`` write on a real download: how it was trained, and that
    the board was restored, not scored, into runs/predict/<track>-<profile>/test_A."""
    import lib.tracks.base as base

    monkeypatch.setattr(base, "RUNS_DIR", tmp_path / "runs")
    track = get_track("retouch")
    dest = tmp_path / "published"
    shutil.copytree(track.shipped_dir, dest)
    before = json.loads((dest / "metrics.json").read_text())
    make_board(tmp_path / "data", "image")
    track.rescore(dest, data=tmp_path / "data")
    metrics = json.loads((dest / "metrics.json").read_text())
    assert metrics["ground_truth"] is False and metrics["restored"] == 2 and "methods" not in metrics
    assert metrics["iterations"] == before["iterations"] and metrics["command"] == before["command"]
    assert metrics["restored_dir"] == str(tmp_path / "runs" / "predict" / f"retouch-{before['profile']}" / "test_A")
    assert sorted(p.name for p in Path(metrics["restored_dir"]).iterdir()) == ["00000.png", "00001.png"]
