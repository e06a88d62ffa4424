"""lab.tracks.deblur.learner: notebook 03's recipe is the one measured, and a run of another recipe is told apart."""

import json

from lab.tracks.deblur import learner
from lib.train import resolve_options


def _resolved(options: dict) -> dict:
    return resolve_options({**options["train"], "model": {"name": "nafnet", **options["model"]}})


def test_the_demo_recipe_is_the_recorded_measurement():
    """What the notebook trains in demo is what lab/bench/bench_deblur_short_recipe.py measured (seed 0)."""
    record = learner.recorded()
    assert record is not None and record["recipe"] == learner.RECIPE
    ours = json.loads(json.dumps(_resolved(learner.recipe_options("demo"))))
    keys = ("stages", "phases", "optimizer", "scheduler", "seed", "val_every", "val_max_images")
    assert {k: ours[k] for k in keys} == {k: record["options"][k] for k in keys}
    assert sum(s["iters"] for s in ours["stages"]) == record["iterations"]


def test_the_shipped_recipe_is_untouched_by_the_overlay():
    """The overlay changes the demo train section of the learner's run only, not lib/configs/deblur.yaml."""
    from lib.config import load_config

    shipped = load_config("deblur", "demo")["train"]
    ours = learner.recipe_options("demo")["train"]
    assert ours["optimizer"]["lr"] != shipped["optimizer"]["lr"]
    assert sum(s["iters"] for s in ours["stages"]) < sum(s["iters"] for s in shipped["stages"])


def test_trained_with_tells_the_recipe_from_another(tmp_path):
    """A checkpoint's options (options.json beside it) of the recipe match; another learning rate does not."""
    options = learner.recipe_options("demo")
    checkpoint = tmp_path / "model.pdparams"
    checkpoint.write_bytes(b"")
    (tmp_path / "options.json").write_text(json.dumps(_resolved(options)))
    assert learner.trained_with(options, checkpoint)
    other = json.loads(json.dumps(options))
    other["train"]["optimizer"]["lr"] = 2.0e-3
    assert not learner.trained_with(other, checkpoint)
