"""A learner's `make train` publishes beside the runs and never over a shipped model; only the
deliberate `make ship` (python -m lib.train --ship) rebuilds one, and only by its recipe
(tests/test_ship_recipes.py)."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lib.paths import CHECKPOINT_DIR, shown_path
from lib.train.__main__ import main as train_main


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.mark.slow
def test_make_train_publishes_the_learners_model_and_leaves_the_shipped_ones(tmp_path):
    before = tree_digest(CHECKPOINT_DIR)
    env = {**os.environ, "COURSE_RUNS_DIR": str(tmp_path / "runs"), "COURSE_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "lib.train", "--config", "retouch", "--profile", "smoke", "--publish"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    published = tmp_path / "runs" / "published" / "retouch_gunet_smoke"
    assert (published / "model.pdparams").is_file() and (published / "metrics.json").is_file()
    assert f"已发布到 {shown_path(published)}" in result.stdout
    assert tree_digest(CHECKPOINT_DIR) == before  # nothing under checkpoints/ changed


@pytest.mark.parametrize(
    "extra",
    [["--profile", "smoke"], ["--profile", "demo", "--set", "train.seed=1"], ["--schedule-scale", "2"]],
)
def test_ship_takes_only_the_demo_recipe(extra, capsys):
    with pytest.raises(SystemExit) as stop:
        train_main(["--config", "retouch", *extra, "--ship"])
    assert stop.value.code == 2 and "--ship rebuilds a shipped demo model" in capsys.readouterr().err


def test_publish_and_ship_are_one_or_the_other(capsys):
    with pytest.raises(SystemExit):
        train_main(["--config", "retouch", "--publish", "--ship"])
    assert "not allowed with argument" in capsys.readouterr().err


def _tiny_run(tmp_path, monkeypatch, publish=None):
    """A 4-iteration deblur-task run validated at 2 (the best score) and 4, the checkpoints of both kept."""
    import cv2
    import numpy as np

    from lib.train.engine import TrainData, Trainer

    rng = np.random.default_rng(0)
    pairs = []
    for i in range(2):
        paths = tmp_path / f"in{i}.png", tmp_path / f"gt{i}.png"
        for path in paths:
            cv2.imwrite(str(path), rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
        pairs.append(paths)
    options = {
        "model": {"name": "nafnet", "width": 4, "enc_blk_nums": [1], "dec_blk_nums": [1], "middle_blk_num": 1},
        "stages": [{"batch_size": 2, "patch_size": 16, "iters": 4}],
        "phases": [{"loss": "l1", "iters": 4}],
        "val_every": 2,
        "save_every": 2,
        **({"publish": publish} if publish else {}),
    }
    scores = iter([0.9, 0.1])
    monkeypatch.setattr(Trainer, "validate", lambda self: {"psnr": 0.0, "ms_ssim": 0.0, "score": next(scores)})
    trainer = Trainer(
        options, TrainData(train=pairs, all=pairs, val=[("v", *pairs[0])]), tmp_path / "run", quiet=True, track="deblur"
    )
    trainer.fit()
    return trainer


@pytest.mark.parametrize("publish, iteration", [(None, 2), ("best", 2), ("last", 4)])
def test_publish_best_or_last(publish, iteration, tmp_path, monkeypatch):
    """train option publish: best (the default: the best validated weights, here those of iteration 2) or last (the
    weights where training ended, iteration 4, as a solution that ships its final model); the published weights are
    those of that checkpoint, and metrics.json says which iteration they come from."""
    import json

    import numpy as np

    from lib.checkpoints import load_checkpoint
    from lib.tracks import get_track

    trainer = _tiny_run(tmp_path, monkeypatch, publish)
    track = get_track("deblur")
    monkeypatch.setattr(type(track), "evaluate", lambda self, model, profile=None, **kw: {"evaluated": True})
    dest = track.publish(trainer, "smoke", dest=tmp_path / "published")
    metrics = json.loads((dest / "metrics.json").read_text())
    assert metrics["model_iteration"] == iteration and metrics["iterations"] == 4
    source = load_checkpoint(tmp_path / "run" / ("last.pdparams" if iteration == 4 else "best.pdparams"))
    assert source["iteration"] == iteration
    published = load_checkpoint(dest / "model.pdparams")
    assert published["iteration"] == iteration
    for key, value in source["networks"]["model"].items():
        np.testing.assert_array_equal(np.asarray(published["networks"]["model"][key]), np.asarray(value), err_msg=key)


def test_publish_option_is_checked(tmp_path):
    from lib.checkpoints import publish
    from lib.train.engine import resolve_options

    options = {
        "model": {"name": "nafnet", "width": 4, "enc_blk_nums": [1], "dec_blk_nums": [1]},
        "stages": [{"batch_size": 2, "patch_size": 16, "iters": 4}],
        "phases": [{"loss": "l1", "iters": 4}],
    }
    assert resolve_options(options)["publish"] == "best"
    with pytest.raises(ValueError, match="'publish' must be one of best, last, got 'final'"):
        resolve_options({**options, "publish": "final"})
    with pytest.raises(ValueError, match="which must be best or last"):
        publish(tmp_path, tmp_path / "out", {}, which="final")
