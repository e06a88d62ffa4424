"""lab.experiments.config and lab.experiments.train: an overlay merged over the track's options file, checked
against the options every recorded run saved, and handed to the course's engine
through ``python -m lib.train --options``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from lab.experiments import config, train
from lab.tracks.deblur import data as study
from lib.config import ConfigError, load_config, load_track_file
from lib.tracks import get_track
from lib.train.__main__ import with_options_file
from lib.train.registry import build_loss

REPO = Path(__file__).resolve().parents[2]
OVERLAYS = sorted(f"deblur/{p.stem}" for p in (REPO / "experiments" / "deblur").glob("*.yaml"))
# what an experiment changes, of the options a run saves (the rest are the engine's defaults and the loader's)
COMPARED = {"model", "stages", "phases", "optimizer", "scheduler", "seed", "val_every", "save_every", "log_every"}


def test_merge_merges_mappings_and_replaces_everything_else():
    base = {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "b": [1, 2], "c": 3}
    overlay = {"a": {"y": {"q": 5}, "z": 9}, "b": [7]}
    assert config.merge(base, overlay) == {"a": {"x": 1, "y": {"p": 1, "q": 5}, "z": 9}, "b": [7], "c": 3}
    assert base == {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "b": [1, 2], "c": 3}  # not changed in place


def test_an_overlay_changes_only_its_keys():
    merged, base = config.merged_options("deblur/17_pages160_cs_psnr", seed=2), load_track_file("deblur")
    demo = merged["data"]["demo"]
    assert demo == {
        **base["data"]["demo"],
        "n_train": 160,
        "train_shake_share": 0.3,
        "train_shake_copies": True,
        "train_stroke_grow": [-0.25, 0.15],
    }
    assert [p["loss"] for p in merged["train"]["demo"]["phases"]] == ["psnr"] * 3
    assert {k: v for k, v in merged["train"]["demo"].items() if k not in ("phases", "seed")} == {
        k: v for k, v in base["train"]["demo"].items() if k != "phases"
    }
    for profile in ("smoke", "full"):  # the overlay names demo only
        assert merged["data"][profile] == base["data"][profile]
    assert {merged["train"][p]["seed"] for p in ("smoke", "demo", "full")} == {2}
    assert "candidate" not in merged and set(merged) == set(base) | {"extensions"}


def test_bad_overlays_and_names_are_clear_errors(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match=r"no experiment 'deblur/nope'.*experiments: deblur/01_recipe"):
        config.merged_options("deblur/nope")
    monkeypatch.setattr(config, "ROOT", tmp_path)
    (tmp_path / "deblur" / "overlays").mkdir(parents=True)
    (tmp_path / "deblur" / "overlays" / "typo.yaml").write_text("modle: {demo: {width: 32}}\n")
    with pytest.raises(ConfigError, match=r"section 'modle' is not in lib/configs/deblur\.yaml"):
        config.merged_options("deblur/typo")
    (tmp_path / "deblur" / "overlays" / "profile.yaml").write_text("model: {dmeo: {width: 32}}\n")
    with pytest.raises(ConfigError, match=r"section 'model' must map some of \['smoke', 'demo', 'full'\]"):
        config.merged_options("deblur/profile")


def recorded_runs():
    """(overlay, seed, the options the run saved) for every candidate seed whose recorded run kept them."""
    for name in OVERLAYS:
        block = config.load_overlay(name)["candidate"]
        for seed, run in block["seeds"].items():
            results = run["results"] and REPO / run["results"]
            if results and results.is_dir() and (results / "options.json").is_file():
                yield name, seed, json.loads((results / "options.json").read_text()), block["schedule_scale"]
            elif results and results.suffix == ".json" and results.is_file():
                yield name, seed, json.loads(results.read_text())["options"], block["schedule_scale"]


@pytest.mark.parametrize("name, seed, saved, scale", list(recorded_runs()), ids=lambda v: str(v)[:30])
def test_each_overlay_gives_the_options_its_recorded_run_saved(name, seed, saved, scale, tmp_path):
    """Nothing is lost: the engine's options of the merged overlay (demo, the candidate's schedule scale, the seed)
    are the ones the recorded run saved (model, stages, phases and their losses, optimizer, schedule, seed)."""
    path = config.write_options(name, tmp_path / "options.yaml", seed)
    track = with_options_file(get_track("deblur"), path, "demo")
    options = track.train_options(track.config("demo"), **track.scaled_schedule("demo", scale))
    assert COMPARED <= set(saved)
    for key in sorted(COMPARED):
        expected = saved[key]
        if key in ("optimizer", "scheduler"):  # the saved ones add the engine's defaults (name, periods ...)
            expected = {k: v for k, v in expected.items() if k in options.get(key, {})}
        if key == "stages" and name == "deblur/01_recipe" and seed == 0:
            # the shipped model saved the batch of each of its 2 processes (lib/configs/deblur.yaml, train: demo)
            expected = [{**stage, "batch_size": 2 * stage["batch_size"]} for stage in expected]
        assert json.loads(json.dumps(options.get(key))) == expected, key


@pytest.mark.parametrize("name", OVERLAYS)
def test_every_overlay_is_options_the_product_accepts(name, tmp_path):
    """The merged data section passes the generator's checks (with the study's switches registered) and every
    phase's loss builds; the file lib.train reads gives the same demo options."""
    path = config.write_options(name, tmp_path / "options.yaml")
    cfg = load_config("deblur", "demo", path)
    from lib.tracks.deblur.data import data_options

    opts = data_options("demo", cfg["data"])
    assert {k: opts[k] for k in ("n_train", "n_test")} == {k: cfg["data"][k] for k in ("n_train", "n_test")}
    for phase in cfg["train"]["phases"]:
        build_loss(phase["loss"])
    assert yaml.safe_load(path.read_text())["extensions"]["demo"] == config.EXTENSIONS["deblur"]
    assert study.STRENGTH_KEY in study.TrainingSwitches.defaults


def test_the_training_command_hands_the_merged_options_to_lib_train(tmp_path, monkeypatch, capsys):
    from lib import paths

    monkeypatch.setattr(paths, "RUNS_DIR", tmp_path)
    monkeypatch.setattr(train, "RUNS_DIR", tmp_path)
    assert train.main(["deblur/07_w32_x2", "--seed", "1", "--dry-run"]) == 0
    folder = tmp_path / "experiments" / "deblur" / "07_w32_x2-s1-x2"
    expected = f"--config deblur --options {folder / 'options.yaml'} --out {folder / 'train'} --schedule-scale 2"
    assert capsys.readouterr().out.strip() == f"python -m lib.train {expected}"
    cfg = load_config("deblur", "demo", folder / "options.yaml")
    assert cfg["model"]["width"] == 32 and cfg["train"]["seed"] == 1
    assert train.main(["deblur/07_w32_x2", "--schedule-scale", "3", "--profile", "smoke", "--dry-run"]) == 0
    assert capsys.readouterr().out.split()[-2:] == ["3", "--profile=smoke"]


def test_an_options_file_generates_its_own_data_folder(tmp_path, monkeypatch):
    """A track reading an experiment's options generates its data section into a folder named after those options,
    never over the shipped set's folder."""
    from lib import paths

    monkeypatch.setattr(paths, "DATA_DIR", tmp_path)
    monkeypatch.delenv(paths.DATA_ENV, raising=False)
    calls = []
    monkeypatch.setattr("lib.tracks.deblur.data.ensure_dataset", lambda *a, **kw: calls.append((a, kw)) or a[1])
    path = config.write_options("deblur/10_shake", tmp_path / "options.yaml")
    track = with_options_file(get_track("deblur"), path, "demo")
    out = track.generate_data("demo")
    assert out.parent == tmp_path and out.name.startswith("deblur-")
    assert out != paths.generated_data_root("deblur", "demo")
    assert calls[0][1]["options"]["train_shake_share"] == 0.3
    assert get_track("deblur").generate_data("demo") is None  # the product's track: its own folder, its own options
    assert calls[1][1]["options"] is None


def test_the_launched_training_processes_can_import_the_extensions(monkeypatch):
    """lib.train's ranks run its script by path: the repository goes first on their PYTHONPATH, once."""
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    train.importable_in_children()
    train.importable_in_children()
    assert os.environ["PYTHONPATH"].split(os.pathsep) == [str(REPO), "/elsewhere"]
