"""A learner's `make train` publishes beside the runs and never over a shipped model; only the
deliberate `make ship` (python -m lib.train --ship) rebuilds one, and only by the demo recipe."""

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


@pytest.mark.parametrize("extra", [["--profile", "smoke"], ["--profile", "demo", "--set", "train.seed=1"]])
def test_ship_takes_only_the_demo_recipe(extra, capsys):
    with pytest.raises(SystemExit) as stop:
        train_main(["--config", "retouch", *extra, "--ship"])
    assert stop.value.code == 2 and "--ship rebuilds a shipped demo model" in capsys.readouterr().err


def test_publish_and_ship_are_one_or_the_other(capsys):
    with pytest.raises(SystemExit):
        train_main(["--config", "retouch", "--publish", "--ship"])
    assert "not allowed with argument" in capsys.readouterr().err
