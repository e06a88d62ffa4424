"""The instructor's switch COURSE_SHIPPED=1: training cells load the shipped model instead of
training, even where a learner's own run exists; unset, the learner's run comes first."""

import pytest

from lib.tracks import get_track
from lib.train import launch


@pytest.fixture
def own_run(tmp_path, monkeypatch):
    """A learner's deblur run folder with a best.pdparams (its content is never read here)."""
    track = get_track("deblur")
    monkeypatch.setattr(type(track), "run_dir", lambda self, profile=None: tmp_path / "run")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "best.pdparams").write_bytes(b"not read")
    return track


def test_switch_on_loads_the_shipped_model_and_trains_nothing(own_run, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_SHIPPED", "1")
    monkeypatch.setattr(launch, "run_single", lambda *a, **k: pytest.fail("trained despite COURSE_SHIPPED=1"))
    monkeypatch.setattr(launch, "relaunch", lambda *a, **k: pytest.fail("trained despite COURSE_SHIPPED=1"))
    assert launch.train_track("deblur", "smoke") == own_run.shipped_dir
    assert "COURSE_SHIPPED=1：不训练" in capsys.readouterr().out
    assert (own_run.shipped_dir / "log.csv").is_file()  # what the notebook plots instead of its own log
    assert own_run.find_checkpoint("smoke") == own_run.shipped_dir / "model.pdparams"


@pytest.mark.parametrize("value", ["", "0", "no"])
def test_switch_off_keeps_the_learners_own_run_first(own_run, monkeypatch, value):
    monkeypatch.setenv("COURSE_SHIPPED", value)
    assert own_run.find_checkpoint("smoke") == own_run.run_dir("smoke") / "best.pdparams"


def test_switch_on_reuses_the_shipped_scores_only_on_the_generated_demo_data(monkeypatch, tmp_path):
    track = get_track("sdwnet")
    recorded = (track.shipped_dir / "metrics.json").read_text(encoding="utf-8")
    monkeypatch.delenv("COURSE_DATA", raising=False)
    monkeypatch.setenv("COURSE_SHIPPED", "1")
    scores = track.shipped_scores("demo")
    assert scores is not None and scores["command"] in recorded and scores["methods"]
    assert track.shipped_scores("smoke") is None  # another profile: score the model
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    assert track.shipped_scores("demo") is None  # the real data: score the model
    monkeypatch.delenv("COURSE_DATA")
    monkeypatch.setenv("COURSE_SHIPPED", "0")
    assert track.shipped_scores("demo") is None  # switch off
