"""``python -m lab.check_full`` (``make check-full``): its plumbing on the smoke profile (the full
profile's run is ``make check-full`` itself, ~30+ minutes, recorded in lab/records/check_full.json).
The GPU estimate is checked against the formula with MACs counted independently by
lab.complexity.conv_macs, the batch-1 fallback by its choice and note, the crop by its pixels."""

import os

import cv2
import numpy as np
import pytest

from lab import check_full
from lab.complexity import conv_macs
from lib.tracks import get_track


@pytest.mark.slow
def test_one_track_end_to_end_on_the_smoke_profile(tmp_path):
    """retouch, smoke: data in the real layout, two steps at the stage's batch, evaluate on the
    board without ground truth, export, the zip's predict.py in an empty folder."""
    record = check_full.check_track("retouch", tmp_path, "smoke")
    track, cfg = get_track("retouch"), get_track("retouch").config("smoke")
    stage = cfg["train"]["stages"][0]
    [step] = record["steps"]
    assert step["measured_batch"] == stage["batch_size"] == 2 and step["steps_run"] == 3 and "note" not in step
    # forward conv MACs of a training step = the network's on a batch-1 patch x the batch
    from lib.train.registry import build_model

    per_sample = conv_macs(build_model(track.model_spec(cfg)), (1, 3, stage["patch_size"], stage["patch_size"]))
    assert step["forward_gmacs_per_step"] == pytest.approx(per_sample * 2 / 1e9, rel=1e-9)
    gpu = check_full.GPU
    expected_hours = 3 * per_sample * 2 * stage["iters"] * 2 / (gpu["fp32_peak_flops"] * gpu["efficiency"]) / 3600
    assert record["cost"]["gpu_hours"] == pytest.approx(expected_hours, rel=1e-9)
    assert record["cost"]["iterations"] == stage["iters"]
    assert record["evaluate"]["restored"] == 1 and record["submission"]["images"] == 1
    assert 0 < record["peak_rss_gib"] < 8 and record["parameters"]["model"] > 0
    out = list((tmp_path / "retouch" / "predictions").iterdir())
    board = list((tmp_path / "retouch" / "data" / "test_A" / "image").iterdir())
    assert [p.name for p in out] == [p.name for p in board]
    assert cv2.imread(str(out[0])).shape == cv2.imread(str(board[0])).shape
    assert not (tmp_path / "retouch" / "data" / "test_A" / "groundtruth").exists()  # the real layout


def test_a_step_over_budget_is_measured_at_batch_1_and_scaled(tmp_path):
    track = get_track("denoise")
    _, prepared = check_full.full_check("denoise").data(track, tmp_path / "generated", tmp_path, "smoke")
    result, _ = check_full.measure_stage(track, "smoke", prepared, tmp_path, 0, step_budget=0.0)
    assert result["measured_batch"] == 1 and result["batch_size"] == 2 and result["steps_run"] == 2
    assert result["note"].startswith("stage 0 measured at batch 1 and scaled x2 (batch 2 predicted")


def test_training_cost_takes_unmeasured_stages_per_pixel_from_the_nearest_measured_one():
    options = {
        "stages": [
            {"batch_size": 4, "patch_size": 100, "iters": 10},
            {"batch_size": 2, "patch_size": 150, "iters": 20},
            {"batch_size": 1, "patch_size": 400, "iters": 5},
        ]
    }
    measured = [
        {
            "stage": 0,
            "patch_size": 100,
            "forward_gmacs_per_step": 4.0,
            "forward_macs_per_pixel": 1e5,
            "cpu_gmac_per_s": 2.0,
        },
        {
            "stage": 2,
            "patch_size": 400,
            "forward_gmacs_per_step": 32.0,
            "forward_macs_per_pixel": 2e5,
            "cpu_gmac_per_s": 4.0,
        },
    ]
    gpu = {"fp32_peak_flops": 1e12, "efficiency": 0.5}
    cost = check_full.training_cost(options, measured, gpu)
    middle = 1e5 * 2 * 150**2  # stage 1 is nearer stage 0 (patch 150: 50 from 100, 250 from 400)
    macs = 3 * (4e9 * 10 + middle * 20 + 32e9 * 5)
    assert cost["train_pmacs"] == pytest.approx(macs / 1e15)
    assert cost["gpu_hours"] == pytest.approx(2 * macs / 0.5e12 / 3600)
    assert cost["cpu_days"] == pytest.approx((3 * 4e9 * 10 / 2e9 + 3 * middle * 20 / 2e9 + 3 * 32e9 * 5 / 4e9) / 86400)
    assert [r["measured"] for r in cost["stages"]] == [True, False, True]


def test_crop_to_budget_crops_centred_and_never_writes_through_a_link(tmp_path):
    source = tmp_path / "generated.png"
    image = np.arange(300 * 200 * 3, dtype=np.uint32).reshape(300, 200, 3).astype(np.uint8)
    cv2.imwrite(str(source), image)
    board = tmp_path / "board"
    board.mkdir()
    os.link(source, board / "page.png")
    # 1000 MACs per pixel at 1e6 MACs/s: 60,000 px take 60 s; a 10 s budget fits 10,000 px -> 96 x 96
    notes = check_full.crop_to_budget(board, 1000.0, 1e6, 10.0)
    cropped = cv2.imread(str(board / "page.png"))
    assert cropped.shape == (96, 96, 3)
    np.testing.assert_array_equal(cropped, image[102:198, 52:148])
    np.testing.assert_array_equal(cv2.imread(str(source)), image)  # the generated file is untouched
    assert notes == [
        "page.png: the full 200 x 300 image is predicted at 60 s in dygraph here (0.00 M MACs per "
        "pixel); evaluated on its centred 96 x 96 crop"
    ]
    assert check_full.crop_to_budget(board, 1000.0, 1e6, 10.0) == []


@pytest.mark.slow
def test_offline_the_pretrained_networks_start_from_random_weights_and_say_so(monkeypatch):
    """make check-full measures cost: where a network's ImageNet weights cannot be fetched (a failing
    download here; the segmenter with its ImageNet backbone option on), the same network is built from
    random weights and a note says so; outside the measurement it still stops with the clear error."""
    import paddleseg.utils.utils as seg_utils

    from lib.models import deeplab
    from lib.tracks import get_track
    from lib.train.registry import build_model

    def no_network(url):
        raise ConnectionError(f"no network ({url})")

    monkeypatch.setattr(seg_utils, "download_pretrained_model", no_network)
    seg = get_track("deocclusion_seg")
    spec = {**seg.model_spec(seg.config("full")), "pretrained": deeplab.PRETRAINED_URLS["ResNet50_vd"]}
    notes = []
    with check_full.random_weights_where_offline(notes):
        net = build_model(spec)
    assert sum(int(p.numel()) for p in net.parameters()) > 1e7  # the ResNet50_vd DeepLabV3, not a stand-in
    assert len(notes) == 1 and spec["pretrained"] in notes[0] and "random weights" in notes[0]
    with pytest.raises(deeplab.PretrainedWeightsError, match="pretrained: null"):
        build_model(spec)


@pytest.mark.parametrize("name", ["deblur", "sdwnet", "denoise"])
def test_full_steps_build_a_trainer_whatever_the_schedule(name):
    """full's schedule in epochs (sdwnet, denoise) is counted over the real data's samples, and a
    floor per period (deblur's eta_min list) becomes the measured phase's own: the trainer's options
    resolve for the first and the last stage."""
    from lab.check_full import _phase_at, schedule_in_iterations, step_options
    from lib.train.engine import resolve_options
    from lib.train.schedule import resolve_epochs
    from lib.train.tasks import get_task

    track = get_track(name)
    options, note = schedule_in_iterations(name, track.train_options(track.config("full")))
    assert all("iters" in s for s in options["stages"]) and ("epochs" in note) == (name != "deblur")
    for index in (0, len(options["stages"]) - 1):
        start = sum(s["iters"] for s in options["stages"][:index])
        overrides = step_options(options, options["stages"][index], _phase_at(options, start), 2, start)
        # what Track.trainer and the engine do with them, on a handful of samples
        resolved = resolve_options(
            resolve_epochs(track.train_options(track.config("full"), **overrides), 3), get_task(track.task)
        )
        assert resolved["stages"][0]["iters"] == 2 and not isinstance(resolved["scheduler"].get("eta_min"), list)
    if name == "deblur":  # the last phase's floor (its cosine period's), not the first's
        assert overrides["scheduler"]["eta_min"] == track.config("full")["train"]["scheduler"]["eta_min"][-1]
    if name == "denoise":  # 96,000 SIDD patches: 30 epochs of batch 8
        assert options["stages"][0]["iters"] == 30 * 96_000 // 8


def test_an_epoch_schedule_without_a_sample_count_is_a_clear_error():
    from lab.check_full import schedule_in_iterations

    with pytest.raises(ValueError, match="'toy'.*FULL_CHECKS states no train_samples"):
        schedule_in_iterations(
            "toy",
            {"stages": [{"batch_size": 2, "patch_size": 8, "epochs": 1}], "phases": [{"loss": "l1", "epochs": 1}]},
        )


def test_the_recorded_cost_follows_todays_full_schedules():
    """lab/records/check_full.json's cost of each track is that of its full schedule as the config gives it now
    (python -m lab.check_full --recost lab/records/check_full.json refreshes it from the measured steps)."""
    import copy
    import json
    from pathlib import Path

    path = Path(check_full.__file__).parent / "records" / "check_full.json"
    report = json.loads(path.read_text(encoding="utf-8"))
    assert check_full.recost(copy.deepcopy(report)) == [], "stale: run python -m lab.check_full --recost " + str(path)
    # a probe: a record of a longer schedule is caught
    report["tracks"][0]["cost"]["iterations"] += 1
    assert check_full.recost(report)


def test_every_course_track_has_its_full_check_here_and_lib_knows_none():
    """The check's hooks live in lab.check_full.FULL_CHECKS, one row per course track; lib's Track has none."""
    from lib.tracks import KNOWN_TRACKS, Track

    assert set(check_full.FULL_CHECKS) == set(KNOWN_TRACKS) == set(check_full.DEFAULT_TRACKS)
    words = ("check_full", "full_train", "cost_scales")
    assert [name for name in dir(Track) if any(w in name for w in words)] == []
    for name in KNOWN_TRACKS:
        assert [a for a in dir(get_track(name)) if any(w in a for w in words)] == [], name
    assert check_full.full_check("denoise").samples() == 320 * 300  # SIDD-Medium's patches
    with pytest.raises(ValueError, match="'toy' has no full-size check"):
        check_full.full_check("toy")
