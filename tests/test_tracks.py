"""The multi-track engine: the registry, two tiny tracks of another kind (tests/tiny_tracks.py) that
train, are killed and resume to the same weights, export and predict through the same code as the
blurred-document track, and a clear error for each bad input before any work."""

import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from tiny_tracks import DENOISE, GAN, TinyDenoiseTrack, weights

from lib.checkpoints import load_checkpoint
from lib.config import ConfigError
from lib.data.pairs import read_image
from lib.export import run_submission
from lib.infer import predict_image
from lib.tracks import KNOWN_TRACKS, get_track, load_model, register_track, track_names
from lib.train.schedule import build_scheduler

pytestmark = pytest.mark.filterwarnings("ignore")
TESTS = Path(__file__).parent


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return DENOISE.generate_data("smoke", tmp_path_factory.mktemp("tiny") / "data", seed=0)


# ---------------------------------------------------------------- registry and bad input
@pytest.mark.slow
def test_unknown_track_is_an_error_listing_the_known_ones(capsys):
    with pytest.raises(ConfigError, match=r"unknown track 'nope'; known tracks: .*deblur"):
        get_track("nope")

    # each command line's own main, in this process (test_import_effects.py runs their `python -m` entry points):
    # argparse's exit status 2 and its message
    from lib.data.__main__ import main as data_main
    from lib.export.__main__ import main as export_main
    from lib.train.__main__ import main as train_main

    for main, args in ((data_main, ["nope"]), (train_main, ["--config", "nope"]), (export_main, ["--track", "nope"])):
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        stderr = capsys.readouterr().err
        assert exit_info.value.code == 2, (main.__module__, stderr)
        assert "invalid choice: 'nope'" in stderr and "deblur" in stderr, (main.__module__, stderr)


def test_registry_finds_the_course_and_test_tracks():
    assert {"deblur", "tiny_denoise", "tiny_gan"} <= set(track_names())
    assert get_track("deblur").notebooks[0] == "00_setup_and_data"
    assert get_track(DENOISE) is DENOISE


def test_a_config_missing_a_section_fails_before_any_work(tmp_path, tiny_data):
    broken = tmp_path / "broken.yaml"
    text = (TESTS / "configs" / "tiny_denoise.yaml").read_text()
    broken.write_text(text[: text.index("\ntrain:")])  # no train section

    class Broken(TinyDenoiseTrack):
        name = "tiny_broken"
        config_file = broken

    with pytest.raises(ConfigError, match=r"missing section\(s\) \['train'\]"):
        Broken().trainer("smoke", tmp_path / "run", prepared=tiny_data)
    assert not (tmp_path / "run").exists()


def test_a_phase_option_the_task_does_not_know_is_an_error(tmp_path, tiny_data):
    cfg = DENOISE.config("smoke")
    phases = [dict(p) for p in cfg["train"]["phases"]]
    phases[0]["d_every"] = 3  # a GAN option, not the restoration task's
    with pytest.raises(
        ConfigError, match=r"phases\[0\] \(task 'restoration_psnr_ssim'\): unknown option\(s\) \['d_every'\]"
    ):
        DENOISE.trainer("smoke", tmp_path / "a", prepared=tiny_data, phases=phases)
    gan_phases = [dict(p) for p in GAN.config("smoke")["train"]["phases"]]
    gan_phases[1]["loss"] = "l1"  # the GAN task builds its own losses
    with pytest.raises(ConfigError, match="unknown option"):
        GAN.trainer("smoke", tmp_path / "b", prepared=tiny_data, phases=gan_phases)
    with pytest.raises(ConfigError, match="unknown option"):
        GAN.trainer("smoke", tmp_path / "c", prepared=tiny_data, task={"l1_wieght": 3})
    with pytest.raises(ValueError, match="per-phase 'lr' needs the cosine_restart scheduler"):
        GAN.trainer("smoke", tmp_path / "d", prepared=tiny_data, phases=[{"iters": 5}, {"iters": 5, "lr": 1e-4}])
    with pytest.raises(ValueError, match="one spec per network"):
        GAN.trainer("smoke", tmp_path / "e", prepared=tiny_data, model={"generator": {"name": "tiny_conv"}})
    assert not any((tmp_path / name).exists() for name in "abcde")


def test_a_checkpoint_of_another_track_is_refused(tmp_path, tiny_data):
    trainer = DENOISE.trainer("smoke", tmp_path / "denoise", prepared=tiny_data, quiet=True)
    trainer.fit(stop_after=2)
    with pytest.raises(ValueError, match="belongs to track 'tiny_denoise', not 'tiny_gan'"):
        GAN.load_model(trainer.last_path)
    with pytest.raises(ValueError, match="belongs to track 'tiny_denoise', not 'deblur'"):
        load_model("deblur", trainer.last_path)
    with pytest.raises(ValueError, match="belongs to track 'tiny_denoise'"):
        GAN.trainer("smoke", tmp_path / "denoise", prepared=tiny_data).resume()


# ---------------------------------------------------------------- the restoration task on another track
def test_tiny_denoise_trains_with_per_phase_lr_and_augmentation(tmp_path, tiny_data):
    trainer = DENOISE.trainer(
        "smoke",
        tmp_path / "run",
        prepared=tiny_data,
        quiet=True,
        stages=[{"batch_size": 4, "patch_size": 32, "iters": 40}],
        phases=[{"loss": "l1", "iters": 30}, {"loss": "l1", "iters": 10, "lr": 5e-4, "augment": {"rotate": False}}],
        val_every=40,
    )
    history = trainer.fit()
    losses = [r["loss"] for r in history if "loss" in r]
    assert np.mean(losses[-5:]) < 0.9 * np.mean(losses[:5]), losses
    lrs = {r["iteration"]: r["lr"] for r in history if "lr" in r}
    # logged after each step: the cosine anneals the first phase from 2e-3 and restarts at the
    # boundary (iteration 30) at the second phase's own peak
    assert lrs[1] == pytest.approx(2e-3 * 0.5 * (1 + np.cos(np.pi / 30)), rel=1e-3)
    assert lrs[29] < 1e-5 and lrs[30] == pytest.approx(5e-4)
    assert lrs[35] == pytest.approx(5e-4 * 0.5 * (1 + np.cos(np.pi * 5 / 10)), rel=1e-3)  # eta_min 1e-7
    val = [r for r in history if "psnr" in r]
    noisy = DENOISE.evaluate(lambda x: x, val=trainer.data.val)["methods"][0]["psnr"]
    assert val[-1]["psnr"] > noisy + 1.0, (val, noisy)


def test_step_decay_follows_paddles_formula():
    scheduler = build_scheduler({"name": "step", "step_size": 100, "gamma": 0.95}, 1e-4, [{"iters": 1000}])
    rates = []
    for _ in range(350):
        rates.append(scheduler.get_lr())
        scheduler.step()
    assert rates[0] == rates[99] == pytest.approx(1e-4)
    assert rates[100] == pytest.approx(0.95e-4) and rates[349] == pytest.approx(1e-4 * 0.95**3)


KILL_SCRIPT = """
import os, signal, sys
sys.path.insert(0, {tests!r})
import tiny_tracks  # registers the tiny tracks
from lib.tracks import get_track
track = get_track({track!r})
trainer = track.trainer("smoke", {out!r}, prepared=__import__("pathlib").Path({data!r}), quiet=True)
step = trainer._step
def dying_step(*args):
    if trainer.iteration == {die_at}:  # checkpoints exist every 2 iterations; die mid-run, no cleanup
        os.kill(os.getpid(), signal.SIGKILL)
    return step(*args)
trainer._step = dying_step
trainer.fit()
"""


@pytest.mark.slow
@pytest.mark.parametrize("track", [DENOISE, GAN], ids=lambda t: t.name)
def test_killed_run_resumes_to_the_weights_of_an_uninterrupted_one(track, tmp_path, tiny_data):
    out = tmp_path / "killed"
    script = KILL_SCRIPT.format(tests=str(TESTS), track=track.name, out=str(out), data=str(tiny_data), die_at=7)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    state = load_checkpoint(out / "last.pdparams", track=track.name)
    assert state["iteration"] == 6 and set(state["optimizers"]) == set(state["networks"])
    (out / "last.pdparams.tmp").write_bytes(b"half-written")  # as if killed while saving
    resumed = track.trainer("smoke", out, prepared=tiny_data, quiet=True)
    assert resumed.resume() and resumed.iteration == 6
    resumed.fit()
    reference = track.trainer("smoke", tmp_path / "reference", prepared=tiny_data, quiet=True)
    reference.fit()
    got, want = weights(resumed.networks), weights(reference.networks)
    assert set(got) == set(want) and len(got) >= 4
    for key, value in want.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-5, atol=1e-6, err_msg=key)
    for name, scheduler in reference.schedulers.items():
        assert resumed.schedulers[name].get_lr() == pytest.approx(scheduler.get_lr())


def test_gan_task_updates_the_discriminator_every_d_every_iterations(tmp_path, tiny_data):
    trainer = GAN.trainer("smoke", tmp_path / "gan", prepared=tiny_data, quiet=True)
    history = trainer.fit()
    d_updates = [r["iteration"] for r in history if r.get("d_loss") is not None]
    assert d_updates[:5] == [1, 2, 3, 4, 5]  # phase 0: every iteration
    assert d_updates[5:] == [7, 10]  # phase 1 (iterations 5..9): at 6 and 9, logged after the step
    lrs = {name: s.get_lr() for name, s in trainer.schedulers.items()}
    assert lrs == pytest.approx({"generator": 1e-3 * 0.9**5, "discriminator": 4e-3 * 0.9**5})
    assert trainer.best_path.is_file() and np.isfinite(trainer.best_score)


# ---------------------------------------------------------------- trained models, export, submission
@pytest.mark.slow
@pytest.mark.parametrize("track", [DENOISE, GAN], ids=lambda t: t.name)
def test_trained_model_exports_and_predicts_like_deblur(track, tmp_path, tiny_data, monkeypatch):
    trainer = track.trainer("smoke", tmp_path / "run", prepared=tiny_data, quiet=True)
    trainer.fit()
    monkeypatch.setattr(type(track), "run_dir", lambda self, profile=None: tmp_path / "run")
    model = load_model(track.name, profile="smoke")  # the learner's own run is found first
    assert model.checkpoint_path == tmp_path / "run" / "best.pdparams" and model.track == track.name
    noisy = read_image(trainer.data.val[0][1])
    restored = predict_image(model, noisy)
    assert restored.shape == noisy.shape and restored.dtype == np.uint8

    dest = track.publish(trainer, "smoke", dest=tmp_path / "published")
    metrics = json.loads((dest / "metrics.json").read_text())
    assert metrics["track"] == track.name and {r["method"] for r in metrics["methods"]} == {"noisy input", "model"}
    best_at = [r["iteration"] for r in trainer.history if r.get(trainer.best_metric) == trainer.best_score][0]
    assert metrics["model_iteration"] == best_at and metrics["iterations"] == trainer.iteration  # weights vs run
    shipped = track.load_model(dest / "model.pdparams")
    np.testing.assert_array_equal(predict_image(shipped, noisy), restored)

    meta = track.build_submission(model, tmp_path / "sub.zip", tile_pixels=24 * 24, overlap=8)
    assert meta["onnx_max_abs_error"] < 1e-4 and meta["paddle_max_abs_error"] < 1e-4 and meta["tlc"] is None
    folder = tmp_path / "unzipped"
    zipfile.ZipFile(tmp_path / "sub.zip").extractall(folder)
    src = Path(trainer.data.val[0][1]).parent
    result, _ = run_submission(folder, src, tmp_path / "out", timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    for path in sorted(src.glob("*.png")):
        out = read_image(tmp_path / "out" / path.name)
        # ONNX Runtime vs dygraph, rounded to uint8; the submission tiles what the dygraph run did whole
        assert np.abs(out.astype(int) - predict_image(model, read_image(path)).astype(int)).max() <= 2


def test_data_cli_generates_and_checks_a_registered_track(tmp_path):
    from lib.data.__main__ import main as cli

    register_track(DENOISE)
    assert cli(["tiny_denoise", "--profile", "smoke", "--out", str(tmp_path / "d")]) == 0
    assert cli(["check", str(tmp_path / "d"), "--track", "tiny_denoise"]) == 0
    os.remove(tmp_path / "d" / "val" / "gt" / "000.png")
    assert cli(["check", str(tmp_path / "d"), "--track", "tiny_denoise"]) == 1


def test_settings_train_a_changed_network_in_a_folder_of_its_own(tmp_path, tiny_data, monkeypatch):
    """python -m lib.train --set: the run builds and saves the changed options, its default folder
    names them, and the registered track keeps its own."""
    from lib.train.__main__ import main

    monkeypatch.setattr("lib.tracks.base.RUNS_DIR", tmp_path / "runs")
    args = ["--config", "tiny_denoise", "--profile", "smoke", "--data", str(tiny_data), "--nproc", "1", "--iters", "2"]
    assert main([*args, "--set", "model.channels=4", "--set", "train.seed=3"]) == 0
    run = tmp_path / "runs" / "train" / "tiny_denoise-smoke-channels4-seed3"
    state = load_checkpoint(run / "last.pdparams")
    assert state["iteration"] == 2
    assert state["options"]["model"]["channels"] == 4 and state["options"]["seed"] == 3
    assert {tuple(v.shape)[0] for k, v in state["networks"]["model"].items() if k.endswith("weight")} == {4, 3}
    assert DENOISE.config("smoke")["model"]["channels"] == 8
    with pytest.raises(SystemExit):
        main([*args, "--set", "data.size=16"])  # the data is made once per profile: not settable
    with pytest.raises(SystemExit):
        main(["--config", "tiny_denoise", "--rescore", "--set", "model.channels=4"])


@pytest.mark.parametrize("name", sorted(KNOWN_TRACKS))
def test_every_shipped_checkpoint_is_at_most_10_mb(name):
    """The course's rule: a shipped demo checkpoint is at most 10 MB (10^7 bytes), so a wider network must say
    how it fits (e.g. a width-32 deblur NAFNet is 19.9 MB in float32) before it replaces one."""
    weights_file = get_track(name).shipped_dir / "model.pdparams"
    assert weights_file.is_file(), weights_file
    assert weights_file.stat().st_size <= 10_000_000, (weights_file, weights_file.stat().st_size)
