"""`make ship` (python -m lib.train --ship) trains each shipped demo model again by its recipe,
lib/configs/shipped/<track>.yaml: the recipe gives the options the shipped model was trained with (its own
options.json in checkpoints/), it reaches the trainer, and a bad recipe is a clear error naming its file."""

import json

import pytest

from lib.config import ConfigError, as_setting_value, parse_setting, ship_recipe
from lib.paths import RUNS_DIR
from lib.tracks import KNOWN_TRACKS, get_track
from lib.train.engine import DEFAULTS, resolve_options

TRACKS = sorted(KNOWN_TRACKS)  # the course's, not the tiny tracks tests register
# Models shipped before a stage's batch_size became the global batch (commit 7468b93, 2026-11-24): their options.json
# gives the batch of each of the processes they trained in.
PROCESSES_OF_PER_PROCESS_BATCHES = {"deblur": 2, "sdwnet": 2}
# Options of a mapping that the engine, the tasks and the models gained after the models were shipped, at the value
# that does what was done before them (an option of the recipe outside this list and the shipped file fails).
ADDED_SINCE = {
    ("task", "mixup"): None,
    ("task", "val_crop"): None,
    ("task", "clip_output"): False,
    ("task", "mixup_from_iter"): None,
    ("task", "mixup_beta"): 1.2,  # unused without mixup_from_iter
    ("task", "class_weights"): None,
    ("task", "gan_loss"): "hinge",
    ("task", "perceptual_weight"): 0.0,
    ("task", "coarse_l1_weight"): 1.0,
    ("task", "d_loss_scale"): 1.0,
    ("task", "mask_values"): "binary",
    ("model", "pretrained"): None,
    ("model", "input_norm"): None,
}


def recipe_options(name: str) -> dict:
    """The engine's options of ``name``'s shipped recipe, as the trainer resolves them."""
    recipe = ship_recipe(name)
    track = get_track(name).with_settings(recipe["settings"])
    scaled = track.scaled_schedule("demo", recipe["schedule_scale"]) if recipe["schedule_scale"] else {}
    return resolve_options(track.train_options(track.config("demo"), **scaled), track.task)


@pytest.mark.parametrize("name", TRACKS)
def test_the_recipe_is_what_the_shipped_model_was_trained_with(name):
    """Every option the shipped model's options.json records, the recipe gives (a mapping: on the keys it records);
    options the engine gained since are at their defaults, which are what it did before them."""
    shipped = json.loads((get_track(name).shipped_dir / "options.json").read_text(encoding="utf-8"))
    ours = recipe_options(name)
    processes = PROCESSES_OF_PER_PROCESS_BATCHES.get(name, 1)
    shipped["stages"] = [{**s, "batch_size": s["batch_size"] * processes} for s in shipped["stages"]]
    loader_workers = shipped.pop("num_workers", 0)  # moved into the loader options
    assert ours["loader"]["num_workers"] == loader_workers
    for key, value in shipped.items():
        if isinstance(value, dict):
            assert {k: ours[key].get(k) for k in value} == value, key
            for extra in set(ours[key]) - set(value):
                assert (key, extra) in ADDED_SINCE and ours[key][extra] == ADDED_SINCE[key, extra], (key, extra)
        else:
            assert ours[key] == value, key
    for key in set(ours) - set(shipped) - {"loader"}:
        assert ours[key] == DEFAULTS[key], key


def test_every_track_has_a_recipe_and_a_shipped_model():
    for name in TRACKS:
        assert ship_recipe(name)["path"].name == f"{name}.yaml"
        assert (get_track(name).shipped_dir / "model.pdparams").is_file(), name


@pytest.mark.parametrize("value", [8.0e-5, 1e-3, 32, True, None, "l1", [1, 2.5e-7], {"name": "adam", "lr": 1.0e-3}])
def test_a_recipe_value_reads_back_equal_as_a_setting(value):
    keys, parsed = parse_setting(f"train.x={as_setting_value(value)}")
    assert keys == ["train", "x"] and parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("schedule_scal: 2\n", r"unknown option\(s\) \['schedule_scal'\]"),
        ("schedule_scale: 0\n", "schedule_scale must be a positive number"),
        ("nproc: 1.5\n", "nproc must be a whole number"),
        ("set: {n_feat: 32}\n", "'set' must map options"),
        ("- 1\n", "expected a mapping"),
    ],
)
def test_a_bad_recipe_names_its_file_and_the_problem(tmp_path, text, message):
    path = tmp_path / "denoise.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as error:
        ship_recipe("denoise", path)
    assert str(path) in str(error.value)


def test_a_missing_recipe_lists_the_recipes():
    with pytest.raises(ConfigError, match="no shipped recipe for track 'nope'.*recipes: deblur, denoise, deocclusion"):
        ship_recipe("nope")


def test_ship_trains_the_recipe_in_its_own_run_folder(monkeypatch):
    """The trainer of `--ship` gets the recipe's settings and schedule (denoise: n_feat 32, x8, one process) and the
    folder runs/train/denoise-demo-ship (stopped there: the test trains nothing)."""
    import lib.train.launch as launch
    from lib.tracks.base import Track
    from lib.train.__main__ import main as train_main

    class Stop(Exception):
        pass

    seen = {}

    def trainer(self, profile, out, prepared=None, **overrides):
        seen.update(track=self, profile=profile, out=out, overrides=overrides)
        raise Stop

    monkeypatch.setattr(launch, "prepare_once", lambda *args, **kwargs: None)
    monkeypatch.setattr(Track, "trainer", trainer)
    with pytest.raises(Stop):
        train_main(["--config", "denoise", "--profile", "demo", "--ship"])
    track, recipe = seen["track"], ship_recipe("denoise")
    assert seen["profile"] == "demo" and seen["out"] == RUNS_DIR / "train" / "denoise-demo-ship"
    assert track.config("demo")["model"]["n_feat"] == 32 and track.settings == tuple(recipe["settings"])
    assert seen["overrides"] == track.scaled_schedule("demo", 8)
    assert sum(s["iters"] for s in seen["overrides"]["stages"]) == 4320
