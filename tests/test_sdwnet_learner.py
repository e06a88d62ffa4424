"""Notebook 06's own run (lab.tracks.sdwnet.learner): its recipe is the overlay merged over the track's options, the
paired interval is the t interval of the page differences, a classical method's row is what it restores, and the
shipped scores are reused only on the pages they were made on."""

import json
import math

import numpy as np
import pytest

from lab.experiments.config import load_overlay
from lab.tracks.sdwnet import learner
from lib.config import load_track_file
from lib.evaluate.deconvolution import unsharp
from lib.metrics import psnr
from lib.tracks import get_track

T_975_DF2 = 4.302652729911275  # Student's t, 97.5 % quantile, 2 degrees of freedom (printed tables)


def test_the_recipe_is_the_overlay_over_the_track_options():
    overlay = load_overlay(learner.RECIPE)
    base = load_track_file("sdwnet")
    for profile in ("smoke", "demo"):
        recipe = learner.recipe_options(profile=profile)
        # what the overlay sets wins, what it leaves out is the track's own value
        assert recipe["model"] == {**base["model"][profile], **overlay.get("model", {}).get(profile, {})}
        for key, value in base["train"][profile].items():
            expected = overlay["train"][profile].get(key, value)
            if isinstance(value, dict) and isinstance(expected, dict):
                expected = {**value, **expected}
            assert recipe["train"][key] == expected, key
    smoke = learner.recipe_options(profile="smoke")["train"]
    assert smoke["stages"][0]["iters"] <= 10, "the smoke recipe must train in seconds (nbval)"


def test_paired_interval_is_the_t_interval_of_the_page_differences():
    a = [{"psnr": 21.0}, {"psnr": 22.0}, {"psnr": 24.0}]
    b = [{"psnr": 20.0}, {"psnr": 20.0}, {"psnr": 20.0}]
    d = learner.paired(a, b)
    diffs = np.array([1.0, 2.0, 4.0])
    sd = math.sqrt(sum((x - diffs.mean()) ** 2 for x in diffs) / 2)
    assert d["pages"] == 3
    assert d["mean"] == pytest.approx(7 / 3)
    assert d["half"] == pytest.approx(T_975_DF2 * sd / math.sqrt(3))
    assert math.isnan(learner.paired(a[:1], b[:1])["half"])
    with pytest.raises(ValueError):
        learner.paired(a, b[:2])  # different pages cannot be paired


def test_compare_scores_each_method_on_every_page():
    rng = np.random.default_rng(0)
    sharp = [(rng.random((176, 180, 3)) * 255).astype(np.uint8) for _ in range(3)]
    blurred = [(0.5 * s + 0.5 * s.mean()).astype(np.uint8) for s in sharp]
    pairs = [(f"{i}.png", b, s) for i, (b, s) in enumerate(zip(blurred, sharp))]
    result = learner.compare({"oracle": lambda x: sharp[[b is x for b in blurred].index(True)]}, pairs, pairs[:2])
    assert set(result["pages"]) == {"blurred input", learner.CLASSICAL, "oracle"}
    for (_, b, s), row in zip(pairs, result["pages"][learner.CLASSICAL]):
        assert row["psnr"] == pytest.approx(psnr(unsharp(b, **result["params"]), s))
    assert [r["psnr"] for r in result["pages"]["blurred input"]] == pytest.approx([psnr(b, s) for _, b, s in pairs])
    assert all(math.isinf(r["psnr"]) or r["psnr"] > 90 for r in result["pages"]["oracle"])
    given = learner.compare({}, pairs, [], params=result["params"])  # tuned already: no validation pages needed
    assert given["params"] == result["params"]


def test_the_shipped_scores_count_only_on_the_pages_they_were_made_on(monkeypatch, tmp_path):
    metrics = json.loads((get_track("sdwnet").shipped_dir / "metrics.json").read_text(encoding="utf-8"))
    monkeypatch.delenv("COURSE_DATA", raising=False)
    assert learner.recorded_here(metrics, "demo")
    assert not learner.recorded_here(metrics, "smoke")  # another profile's pages
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    assert not learner.recorded_here(metrics, "demo")  # the real data


def test_training_minutes_read_the_log(tmp_path):
    (tmp_path / "log.csv").write_text(
        "iteration,stage,phase,loss,lr,psnr,ms_ssim,score,seconds\n10,0,0,0.5,0.001,,,,30\n10,0,0,,,21.0,0.9,0.55,90\n",
        encoding="utf-8",
    )
    assert learner.training_minutes(tmp_path) == pytest.approx(1.5)
    assert learner.read_log(tmp_path)[0]["loss"] == 0.5
    assert learner.training_minutes(tmp_path / "missing") is None


def test_recorded_runs_come_in_the_order_asked_and_by_seed(monkeypatch, tmp_path):
    runs = [{"name": "b", "seed": 1}, {"name": "a", "seed": 0}, {"name": "b", "seed": 0}, {"name": "c", "seed": 0}]
    path = tmp_path / "learner_runs.json"
    path.write_text(json.dumps({"runs": runs}), encoding="utf-8")
    monkeypatch.setattr(learner, "RESULTS", path)
    assert [(r["name"], r["seed"]) for r in learner.recorded(["b", "a", "missing"])] == [("b", 0), ("b", 1), ("a", 0)]


def test_the_notebook_recipe_has_its_runs_recorded():
    rows = learner.recorded([learner.RECIPE])
    assert rows, f"{learner.RECIPE} has no row in {learner.RESULTS.name}: python -m lab.tracks.sdwnet.learner"
    assert all(r["profile"] == "demo" and r["test_a_pages"] == 10 for r in rows)
