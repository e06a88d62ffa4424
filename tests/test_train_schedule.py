import math

import pytest

from lib.config import ConfigError, load_config
from lib.train.data import IterationBatchSampler
from lib.train.engine import resolve_options
from lib.train.schedule import CosineRestartLR, PiecewiseSchedule, build_scheduler, fixed_patch_schedule


def lr_curve(scheduler, n):
    values = []
    for _ in range(n):
        values.append(scheduler.get_lr())
        scheduler.step()
    return values


def test_piecewise_schedule_lookup_and_boundaries():
    s = PiecewiseSchedule([{"iters": 3}, {"iters": 5}, {"iters": 2}], "stages")
    assert s.total == 10 and s.boundaries() == [3, 8]
    assert [s.at(i).index for i in range(10)] == [0] * 3 + [1] * 5 + [2] * 2
    with pytest.raises(IndexError):
        s.at(10)
    with pytest.raises(ValueError, match=r"stages\[1\]: 'iters' must be a positive integer"):
        PiecewiseSchedule([{"iters": 3}, {"iters": 0}], "stages")


def test_cosine_restarts_follow_the_closed_form():
    sched = CosineRestartLR(1.0, periods=[4, 6], restart_weights=[1.0, 0.5], eta_min=0.0)
    lrs = lr_curve(sched, 10)
    expected = [0.5 * (1 + math.cos(math.pi * i / 4)) for i in range(4)]
    expected += [0.5 * 0.5 * (1 + math.cos(math.pi * i / 6)) for i in range(6)]
    assert lrs == pytest.approx(expected, abs=1e-12)
    assert lrs[4] > lrs[3]  # the restart jumps back up


def test_one_floor_per_period():
    """BasicSR's eta_mins: each period decays to its own floor (the winner's 1e-5, then 1e-6)."""
    sched = CosineRestartLR(1.0, periods=[4, 6], eta_min=[0.2, 0.1])
    lrs = lr_curve(sched, 10)
    expected = [0.2 + 0.5 * 0.8 * (1 + math.cos(math.pi * i / 4)) for i in range(4)]
    expected += [0.1 + 0.5 * 0.9 * (1 + math.cos(math.pi * i / 6)) for i in range(6)]
    assert lrs == pytest.approx(expected, abs=1e-12)
    with pytest.raises(ValueError, match="one per period"):
        CosineRestartLR(1.0, periods=[4, 6], eta_min=[0.1])


def test_warmup_ramps_the_first_period_linearly_then_follows_the_cosine():
    sched = CosineRestartLR(1.0, periods=[8, 4], eta_min=0.0, warmup_iters=4)
    lrs = lr_curve(sched, 12)
    cosine = [0.5 * (1 + math.cos(math.pi * i / 8)) for i in range(8)]
    cosine += [0.5 * (1 + math.cos(math.pi * i / 4)) for i in range(4)]
    expected = [c * min(1.0, (i + 1) / 4) for i, c in enumerate(cosine)]
    assert lrs == pytest.approx(expected, abs=1e-12)
    assert lrs[0] == pytest.approx(0.25) and lrs[8] == pytest.approx(1.0)  # a restart has no warm-up
    with pytest.raises(ValueError, match="warmup_iters"):
        CosineRestartLR(1.0, periods=[4], warmup_iters=4)


def test_full_profile_is_the_schedule_the_solutions_code_ran():
    """Three runs of 600k iterations (one per config), each with the six progressive stages (patches capped at the
    dataset's gt_size 384) and its own two cosine cycles; run 2 at lr 1e-4; runs 2 and 3 start with a new optimizer
    from the last and the best weights of the run before."""
    opts = resolve_options(load_config("deblur", "full")["train"] | {"model": {"name": "nafnet"}})
    one_run = [(8, 192, 184000), (5, 256, 128000), (4, 320, 96000), (2, 384, 72000), (1, 384, 72000), (1, 384, 48000)]
    assert [(s["batch_size"], s["patch_size"], s["iters"]) for s in opts["stages"]] == one_run * 3
    assert opts["optimizer"]["lr"] == 2e-4 and opts["optimizer"]["weight_decay"] == 1e-4
    assert opts["optimizer"]["betas"] == [0.9, 0.999] and opts["grad_clip"] == 0.01
    phases = PiecewiseSchedule(opts["phases"], "phases")
    assert phases.total == 1800000 and phases.boundaries() == [600000, 1200000]
    assert [p.get("restart_from") for p in opts["phases"]] == [None, "last", "best"]
    sched = build_scheduler(opts["scheduler"], 2e-4, opts["phases"])
    # each run: a restart at 184k into the run; peaks 2e-4, 1e-4 (run 2), 2e-4; floors 1e-5 / 1e-6 (runs 1, 3)
    for run, (peak, floor) in enumerate(((2e-4, 1e-5), (1e-4, 1e-6), (2e-4, 1e-5))):
        start = 600000 * run
        for it, lr in ((0, peak), (183999, floor), (184000, peak), (599999, 1e-6)):
            sched.last_epoch = start + it
            assert sched.get_lr() == pytest.approx(lr, rel=1e-3), (run, it)
    assert [p["loss"] if isinstance(p["loss"], str) else p["loss"]["name"] for p in opts["phases"]] == [
        "l1",
        "charbonnier_msssim",
        "charbonnier_msssim",
    ]
    assert opts["phases"][2].get("all_data") is True
    assert opts["best_metric"] == "psnr" and opts["val_every"] == 1000 and opts["seed"] == 100
    assert opts["task"]["val_crop"] == 1024


def test_per_phase_learning_rates_with_restarts_inside_phases():
    from lib.train.schedule import period_weights

    assert period_weights([2, 3, 2, 3], [5, 5], [1.0, 0.5]) == [1.0, 1.0, 0.5, 0.5]
    with pytest.raises(ValueError, match="phase boundary"):
        period_weights([3, 4, 3], [5, 5], [1.0, 0.5])  # a cycle straddles the boundary at 5
    phases = [{"loss": "l1", "iters": 5}, {"loss": "l1", "iters": 5, "lr": 0.5}]
    with pytest.raises(ValueError, match="not both"):
        build_scheduler({"periods": [2, 3, 2, 3], "restart_weights": [1, 1, 1, 1]}, 1.0, phases)


def test_every_profile_resolves():
    for profile in ("smoke", "demo", "full"):
        resolve_options(load_config("deblur", profile)["train"] | {"model": {"name": "nafnet"}})


def base_options(**changes):
    opts = {
        "model": {"name": "nafnet", "width": 4},
        "stages": [{"batch_size": 2, "patch_size": 16, "iters": 4}],
        "phases": [{"loss": "l1", "iters": 4}],
    }
    opts.update(changes)
    return opts


def test_option_errors_are_caught_before_training():
    with pytest.raises(ConfigError, match="val_evry"):
        resolve_options(base_options(val_evry=3))
    with pytest.raises(ConfigError, match="lrr"):
        resolve_options(base_options(optimizer={"lrr": 1e-3}))
    with pytest.raises(ValueError, match="stages cover 4 iterations but phases cover 5"):
        resolve_options(base_options(phases=[{"loss": "l1", "iters": 5}]))
    with pytest.raises(ValueError, match="unknown loss 'l3'"):
        resolve_options(base_options(phases=[{"loss": "l3", "iters": 4}]))
    with pytest.raises(ConfigError, match="batch"):
        resolve_options(base_options(stages=[{"batch": 2, "patch_size": 16, "iters": 4}]))


def test_distributed_sampler_splits_the_global_batch_into_the_single_process_keys():
    """batch_size is the global batch: two ranks take half each, disjoint, and together exactly the
    keys one process with the whole batch takes (so the same patches)."""
    single = list(IterationBatchSampler(10, 13, batch_size=6))
    world = [list(IterationBatchSampler(10, 13, batch_size=6, rank=r, world_size=2)) for r in range(2)]
    for it in range(3):
        a, b = world[0][it], world[1][it]
        assert len(a) == len(b) == 3 and not set(a) & set(b)
        assert a + b == single[it] == list(range((10 + it) * 6, (11 + it) * 6))
    with pytest.raises(ValueError):
        IterationBatchSampler(0, 1, 2, rank=2, world_size=2)
    with pytest.raises(ValueError, match="batch_size 5 is the global batch and cannot be split evenly over 2"):
        IterationBatchSampler(0, 1, 5, rank=0, world_size=2)


def test_schedule_scale_keeps_the_shape_and_aligned_boundaries():
    from lib.train.schedule import scale_schedule

    demo = load_config("deblur", "demo")["train"]
    longer = scale_schedule(demo, 4)
    stages, phases = PiecewiseSchedule(longer["stages"], "s"), PiecewiseSchedule(longer["phases"], "p")
    original = PiecewiseSchedule(demo["stages"], "s")
    assert stages.total == phases.total == 4 * original.total
    assert stages.boundaries() == [4 * b for b in original.boundaries()]
    assert [s["batch_size"] for s in longer["stages"]] == [s["batch_size"] for s in demo["stages"]]
    assert [p["loss"] for p in longer["phases"]] == [p["loss"] for p in demo["phases"]]
    assert longer["val_every"] == 4 * demo["val_every"]
    resolve_options({**demo, **longer, "model": {"name": "nafnet"}})  # a valid schedule
    odd = scale_schedule(
        {
            "stages": [{"iters": 3}, {"iters": 4}],
            "phases": [{"iters": 7}],
            "scheduler": {"periods": [7], "warmup_iters": 2},
        },
        1.5,
    )
    assert [s["iters"] for s in odd["stages"]] == [4, 6] and odd["scheduler"] == {"periods": [10], "warmup_iters": 3}
    with pytest.raises(ValueError, match="positive"):
        scale_schedule(demo, 0)
    with pytest.raises(ValueError, match="empty entry"):
        scale_schedule({"stages": [{"iters": 1}, {"iters": 1}], "phases": [{"iters": 2}]}, 0.2)


@pytest.mark.parametrize("track_name", ["deblur", "deocclusion", "deocclusion_seg", "denoise"])
def test_schedule_scale_of_the_cli_scales_the_tracks_own_training_section(track_name):
    from lib.tracks import get_track

    track = get_track(track_name)
    own = track.train_options(track.config("demo"))
    longer = track.scaled_schedule("demo", 2)  # what lib.train --schedule-scale 2 passes to the trainer
    assert [s["iters"] for s in longer["stages"]] == [2 * s["iters"] for s in own["stages"]]
    assert [{k: v for k, v in p.items() if k != "iters"} for p in longer["phases"]] == [
        {k: v for k, v in p.items() if k != "iters"} for p in own["phases"]
    ]  # the segmenter's, not the GAN's


def test_training_processes_per_profile():
    from lib.train.launch import default_nproc, launch_command

    assert [default_nproc("deblur", p) for p in ("smoke", "demo", "full")] == [1, 2, 1]
    assert [default_nproc("retouch", p) for p in ("smoke", "demo", "full")] == [1, 2, 1]
    assert [default_nproc("denoise", p) for p in ("smoke", "demo", "full")] == [1, 2, 1]
    # a track whose options live in another track's file (lib/configs/deocclusion.yaml)
    from lib.tracks import get_track

    seg = get_track("deocclusion_seg").config("demo").get("launch") or {}
    assert default_nproc("deocclusion_seg", "demo") == int(seg.get("nproc", 1))
    cmd = launch_command(["--config", "deblur", "--nproc", "2", "--nproc=3", "--publish"], 2, "/tmp/x")
    assert cmd[-4:] == [cmd[-4], "--config", "deblur", "--publish"] and cmd[-4].endswith("__main__.py")
    assert cmd[cmd.index("--nproc_per_node") + 1] == "2"


# ---------------------------------------------------------------------------------------------- schedules in epochs
def epoch_options(**changes):
    """Two stages in epochs of different batch sizes (2 epochs of batch 8, 1 of batch 4) and two
    phases whose boundary falls inside the first stage."""
    opts = {
        "stages": [{"batch_size": 8, "patch_size": 16, "epochs": 2}, {"batch_size": 4, "patch_size": 32, "epochs": 1}],
        "phases": [{"loss": "l1", "epochs": 1.5}, {"loss": "charbonnier", "epochs": 1.5}],
        "scheduler": {"eta_min": 1e-6, "warmup_epochs": 0.5},
        "task": {"mixup_from_epoch": 2.5, "other": 1},
    }
    opts.update(changes)
    return opts


def test_epochs_become_iterations_of_the_training_samples():
    from lib.train.schedule import resolve_epochs

    out = resolve_epochs(epoch_options(), 100)
    # stages: ceil(2 x 100 / 8) = 25, ceil(1 x 100 / 4) = 25
    assert [(s["batch_size"], s["iters"]) for s in out["stages"]] == [(8, 25), (4, 25)]
    assert all("epochs" not in s for s in out["stages"] + out["phases"])
    # epoch 1.5 lies in the first stage: ceil(1.5 x 100 / 8) = 19; the rest of the 50
    assert [p["iters"] for p in out["phases"]] == [19, 31] and [p["loss"] for p in out["phases"]] == [
        "l1",
        "charbonnier",
    ]
    assert out["scheduler"] == {"eta_min": 1e-6, "warmup_iters": 7}  # ceil(0.5 x 100 / 8)
    assert out["task"] == {"mixup_from_iter": 25 + 13, "other": 1}  # 2 epochs, then ceil(0.5 x 100 / 4)
    # two processes draw a batch each per iteration: half the iterations per epoch
    two = resolve_epochs(epoch_options(), 100, world_size=2)
    assert [s["iters"] for s in two["stages"]] == [13, 13]
    # the engine accepts the result; options in iterations pass through unchanged
    resolve_options({**out, "model": {"name": "nafnet", "width": 4}, "task": {}})
    plain = base_options()
    assert resolve_epochs(plain, 7) == plain


def test_bad_schedules_in_epochs_are_clear_errors():
    from lib.train.schedule import resolve_epochs

    with pytest.raises(ValueError, match="every stage in epochs"):
        resolve_epochs(epoch_options(stages=[{"batch_size": 8, "patch_size": 16, "iters": 5}]), 100)
    with pytest.raises(ValueError, match="every phase gives epochs"):
        resolve_epochs(epoch_options(phases=[{"loss": "l1", "epochs": 1}, {"loss": "l1", "iters": 5}]), 100)
    with pytest.raises(ValueError, match="outside the stages' 3 epochs"):
        resolve_epochs(epoch_options(phases=[{"loss": "l1", "epochs": 4}]), 100)
    with pytest.raises(ValueError, match="needs training samples"):
        resolve_epochs(epoch_options(), 0)


def test_schedule_scale_multiplies_epochs():
    from lib.train.schedule import resolve_epochs, scale_schedule

    longer = scale_schedule(epoch_options(), 2)
    assert [s["epochs"] for s in longer["stages"]] == [4, 2] and [p["epochs"] for p in longer["phases"]] == [3, 3]
    assert longer["scheduler"]["warmup_epochs"] == 1 and longer["task"]["mixup_from_epoch"] == 5
    assert [s["iters"] for s in resolve_epochs({**epoch_options(), **longer}, 100)["stages"]] == [50, 50]


def test_fixed_patch_schedule_trains_the_same_pixels_at_one_size():
    options = {
        "stages": [
            {"batch_size": 8, "patch_size": 64, "iters": 200},
            {"batch_size": 4, "patch_size": 128, "iters": 50},
        ],
        "phases": [{"loss": "l1", "iters": 150}, {"loss": "psnr", "iters": 100, "all_data": True}],
        "scheduler": {"eta_min": 1e-6, "warmup_iters": 10},
    }
    out = fixed_patch_schedule(options)
    # 8 x 64^2 x 200 + 4 x 128^2 x 50 = 9,830,400 pixels = 150 iterations of 4 x 128^2
    assert out["stages"] == [{"batch_size": 4, "patch_size": 128, "iters": 150}]
    assert [p["iters"] for p in out["phases"]] == [90, 60]  # the phases' 60 / 40 % shares kept
    assert out["phases"][1]["all_data"] and out["scheduler"]["warmup_iters"] == 6
    assert fixed_patch_schedule(options, stage=0)["stages"][0]["iters"] == 300
    with pytest.raises(ValueError, match="resolve_epochs"):
        fixed_patch_schedule({**options, "stages": [{"batch_size": 2, "patch_size": 8, "epochs": 3}]})
