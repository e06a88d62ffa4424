"""Tracks ``deocclusion`` (DeepFillv2 GAN) and ``deocclusion_seg`` (DeepLabV3): the solution's numbers in
``full``, the prepared training sets, a few training steps of each task through the engine (loss
down on a fixed batch), a smoke run with checkpoints, the mask scores against hand-counted values,
and the evaluation table (input, OpenCV Telea / NS, the model)."""

import json

import numpy as np
import paddle
import pytest

from lib.metrics import region_psnr
from lib.tracks import KNOWN_TRACKS, get_track
from lib.tracks.deocclusion.data import prepared_samples
from lib.tracks.deocclusion.repair import PSNR_CAP, mask_scores
from lib.train.data import KeyedPatchDataset, make_loader
from lib.train.engine import resolve_options

GAN, SEG = get_track("deocclusion"), get_track("deocclusion_seg")


@pytest.fixture(scope="module")
def prepared(deocclusion_prepared):  # conftest.py: shared with the submission tests
    return deocclusion_prepared


def test_registered_and_full_profile_holds_what_the_solutions_code_ran():
    assert KNOWN_TRACKS["deocclusion"] == "lib.tracks.deocclusion"
    assert KNOWN_TRACKS["deocclusion_seg"] == "lib.tracks.deocclusion"  # one folder, two tracks
    gan = resolve_options(GAN.train_options(GAN.config("full")), GAN.task)
    assert gan["stages"][0]["batch_size"] == 24 and gan["stages"][0]["patch_size"] == 256
    assert [p["d_every"] for p in gan["phases"]] == [1, 3]
    assert gan["optimizer"]["generator"]["lr"] == 1e-4 and gan["optimizer"]["discriminator"]["lr"] == 4e-4
    assert gan["scheduler"] == {"name": "step", "step_size": 100, "gamma": 0.95}
    assert gan["task"] == {
        "l1_weight": 1000.0,
        "gan_weight": 1.0,
        "gan_loss": "hinge",
        "d_loss_scale": 0.5,
        "coarse_l1_weight": 0.5,
        "perceptual_weight": 0.0,
        "mask_values": "fraction",  # the repair's mask_values: the solution's resize(mask) / 128, as full repairs
    }
    assert gan["amp"] is True
    assert gan["model"]["generator"]["latent_channels"] == 64
    seg_cfg = SEG.config("full")
    seg = resolve_options(SEG.train_options(seg_cfg), SEG.task)
    assert seg["stages"][0]["batch_size"] == 16 and seg["optimizer"]["lr"] == 1e-4
    assert seg["scheduler"] == {"name": "step", "step_size": 100, "gamma": 0.95}
    assert seg["task"] == {"class_weights": [1, 10], "dice_weight": 0.0} and seg["amp"] is False
    assert seg["model"]["backbone"] == "ResNet50_vd" and seg_cfg["prepare"]["seg_size"] == [640, 480]
    assert seg["model"]["pretrained"] is None  # the solution's segmenter started from random weights
    assert seg["model"]["output_stride"] == 16 and seg["model"]["aspp_ratios"] == [1, 3, 6, 9]
    assert SEG.config("demo")["seg_model"]["backbone"].startswith("MobileNetV2")


def test_full_generator_has_the_reference_parameter_count():
    from lib.models.deepfillv2 import count_parameters
    from lib.train.registry import build_model

    spec = GAN.train_options(GAN.config("full"))["model"]["generator"]
    assert count_parameters(build_model(spec)) == 26_937_100


def test_prepared_sets(prepared):
    _, out = prepared
    seg = prepared_samples(out, "seg", "train")
    crops = prepared_samples(out, "inpaint", "train")
    from lib.data.pairs import read_image
    from lib.tracks.deocclusion.data import list_samples
    from lib.train.data import read_gray

    photos = list_samples(prepared[0] / "train")
    pages = {s.gt.stem for s in photos}
    originals = [(image, label) for image, label in seg if not image.name.startswith("desk")]
    negatives = [(image, label) for image, label in originals if image.name.startswith("gt_")]
    assert len(originals) == len(photos) + len(pages) and len(crops) >= len(photos)
    assert sorted(i.stem for i, _ in negatives) == sorted(f"gt_{p}" for p in pages)
    assert GAN.config("smoke")["prepare"]["desk_variants"] == 1
    assert sorted(i.name for i, _ in seg if i.name.startswith("desk")) == sorted(
        f"desk0_{i.name}" for i, _ in originals
    )
    for image, label in seg:
        assert read_image(image).shape == (128, 96, 3) and set(np.unique(read_gray(label))) <= {0, 1}
        # a photo's label marks its occluder (on another desk too); a clean page (negative) is all background
        assert (
            read_gray(label).any() != image.name.split("_", 1)[-1].startswith("gt_")
            if image.name.startswith("desk")
            else read_gray(label).any() != image.name.startswith("gt_")
        )
    for image, mask in crops:
        assert read_image(image).shape == (64, 64, 3)  # 96 / 1.5
        m = read_gray(mask)
        assert set(np.unique(m)) <= {0, 255} and 0 < (m > 0).mean() < 1


def _fixed_batch(trainer, samples):
    stage = trainer.opts["stages"][0]
    dataset = KeyedPatchDataset(
        samples, stage["patch_size"], kinds=trainer.task_class.sample_kinds, augment={"rotate": False}
    )
    return next(iter(make_loader(dataset, 0, 1, stage["batch_size"])))


@pytest.mark.slow
@pytest.mark.parametrize("track, key, steps", [(SEG, "loss", 25), (GAN, "l1", 16)])
def test_task_loss_goes_down_on_a_fixed_batch(prepared, tmp_path, track, key, steps):
    _, out = prepared
    trainer = track.trainer("smoke", tmp_path / "run", prepared=out, quiet=True)
    batch = _fixed_batch(trainer, trainer.data.train)
    runner = trainer.task_runner
    runner.start_phase({"d_every": 1})
    losses = [runner.train_step(batch, i)[key] for i in range(steps)]
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3]), losses


@pytest.mark.slow
def test_smoke_runs_save_both_networks_and_validate(prepared, deocclusion_gan_run, tmp_path):
    root, out = prepared
    trained = {}
    for track, metrics, nets in (
        (SEG, ("miou", "boundary_f"), {"model"}),
        (GAN, ("psnr", "psnr_hole"), {"generator", "discriminator"}),
    ):
        if track is GAN:  # the session's inpainter run (conftest.py), also read by the phase-end and export tests
            trainer, history = deocclusion_gan_run
        else:
            trainer = track.trainer("smoke", tmp_path / track.name, prepared=out, quiet=True)
            history = trainer.fit()
        assert trainer.iteration == trainer.total_iters and trainer.last_path.is_file()
        assert any(all(k in row for k in metrics) for row in history)
        state = paddle.load(str(trainer.last_path))
        assert set(state["networks"]) == nets
        model = track.load_model(trainer.last_path)
        assert not model.training
        trained[track.name] = (trainer, model)
    # a published inpainter scored again with another segmenter: its metrics follow, how it was trained stays
    from lib.checkpoints import publish

    gan_trainer, segmenter = trained["deocclusion"][0], trained["deocclusion_seg"][1]
    dest = publish(
        gan_trainer.out_dir,
        tmp_path / "shipped",
        {"track": "deocclusion", "profile": "smoke", "iterations": 3, "command": "make it", "stale": 1},
    )
    GAN.rescore(dest, data=root, segmenter=None)
    first = json.loads((dest / "metrics.json").read_text())
    assert first["mask"].startswith("true") and first["command"] == "make it" and "stale" not in first
    GAN.rescore(dest, data=root, segmenter=segmenter)
    second = json.loads((dest / "metrics.json").read_text())
    assert second["mask"].startswith("predicted") and "segmentation" in second and second["iterations"] == 3
    with pytest.raises(FileNotFoundError, match="no published model"):
        GAN.rescore(tmp_path / "nothing")


def test_mask_scores_against_hand_counts():
    true = np.zeros((20, 20), bool)
    true[5:15, 5:15] = True
    pred = np.zeros((20, 20), bool)
    pred[5:15, 5:10] = True
    s = mask_scores(pred, true, tolerance=1)
    # occluder IoU 50 / 100, page IoU 300 / 350
    assert s["miou"] == pytest.approx((50 / 100 + 300 / 350) / 2)
    assert mask_scores(true, true)["boundary_f"] == 1.0 and mask_scores(true, true)["miou"] == 1.0
    assert mask_scores(np.zeros_like(true), true)["boundary_f"] == 0.0
    shifted = np.roll(true, 1, axis=1)
    assert mask_scores(shifted, true, tolerance=1)["boundary_f"] == 1.0  # within 1 px everywhere
    assert mask_scores(shifted, true, tolerance=0.5)["boundary_f"] < 1.0
    a = np.full((4, 4, 3), 100, np.uint8)
    b = a.copy()
    b[0, 0] = 110  # three values off by 10
    assert region_psnr(a, b, cap=PSNR_CAP) == pytest.approx(10 * np.log10(255**2 / (300 / 48)))
    assert region_psnr(a, b, np.eye(4, dtype=bool), cap=PSNR_CAP) == pytest.approx(10 * np.log10(255**2 / (300 / 12)))
    assert region_psnr(a, a, cap=PSNR_CAP) == PSNR_CAP and region_psnr(a, a) == float("inf")


def test_evaluation_table(prepared):
    root, _ = prepared
    from lib.train.registry import build_model

    gen = build_model(GAN.train_options(GAN.config("smoke"))["model"]["generator"])
    gen.eval()
    result = GAN.evaluate(gen, "smoke", data=root, segmenter=None)
    rows = {r["method"]: r for r in result["methods"]}
    assert set(rows) == {"occluded input", "OpenCV Telea", "OpenCV Navier-Stokes", "DeepFillv2 (local repair)"}
    assert result["mask"].startswith("true") and "test_A" in result["evaluated_on"]
    # with the true mask the classical inpainters beat the occluded input inside it
    assert rows["OpenCV Telea"]["psnr_mask"] > rows["occluded input"]["psnr_mask"] + 3
    seg = build_model(SEG.train_options(SEG.config("smoke"))["model"])
    seg.eval()
    with_seg = SEG.evaluate(seg, "smoke", data=root)
    assert 0 <= with_seg["segmentation"]["miou"] <= 1 and "predicted" in with_seg["mask"]
    assert {r["method"] for r in with_seg["methods"]} == {"occluded input", "OpenCV Telea", "OpenCV Navier-Stokes"}


class _Constant(paddle.nn.Layer):
    """A 'segmenter' whose logits say ``occluded`` in the middle third of the rows (or nowhere)."""

    def __init__(self, occluded: bool):
        super().__init__()
        self.occluded = occluded

    def forward(self, x):
        score = -paddle.ones_like(x[:, :1])
        if self.occluded:
            h = x.shape[2]
            score[:, :, h // 3 : 2 * h // 3] = 1.0
        return paddle.concat([-score, score], axis=1)


def test_clean_pages_report_what_the_pipeline_changes(prepared):
    root, _ = prepared
    nothing = GAN.evaluate(None, "smoke", data=root, segmenter=_Constant(False))["clean_pages"]
    assert nothing["pages"] >= 1 and nothing["pages_unchanged"] == nothing["pages"]
    assert nothing["changed_pixels_%"] == 0 and nothing["predicted_occluded_%"] == 0 and nothing["psnr"] == PSNR_CAP
    everything = GAN.evaluate(None, "smoke", data=root, segmenter=_Constant(True))["clean_pages"]
    assert 30 < everything["predicted_occluded_%"] < 37 and 5 < everything["changed_pixels_%"] < 45
    assert everything["pages_unchanged"] == 0 and everything["psnr"] < PSNR_CAP
    assert (
        everything["worst_psnr"] <= everything["psnr"]
        and everything["worst_changed_pixels_%"] >= everything["changed_pixels_%"]
    )
    assert nothing["worst_psnr"] == PSNR_CAP and nothing["worst_changed_pixels_%"] == 0
    # the stated tolerance (options evaluate.clean_tolerance) is applied page by page
    assert nothing["tolerance"] == GAN.config("smoke")["evaluate"]["clean_tolerance"]
    assert nothing["all_within_tolerance"] and nothing["pages_within_tolerance"] == nothing["pages"]
    assert not everything["all_within_tolerance"] and everything["pages_within_tolerance"] == 0


def test_phase_end_checkpoint_is_kept(deocclusion_gan_run):
    """The session's inpainter run (conftest.py) was made with keep_phase_ends."""
    from lib.checkpoints import load_checkpoint

    run = deocclusion_gan_run[0].out_dir
    state = load_checkpoint(run / "phase0_end.pdparams", track="deocclusion")
    assert state["iteration"] == 3  # smoke phases: 3 iterations at 1:1, then 3 at 3:1
    assert not (run / "phase1_end.pdparams").exists()  # the last phase ends in last.pdparams


def test_shipped_demo_pair_meets_the_quality_bars():
    """Issue 14's bars on the shipped pair's test_A numbers (masks predicted by the shipped segmenter):
    the repair beats the occluded input, OpenCV Telea and Navier-Stokes on the page and inside the
    mask, and every clean page comes back within the stated tolerance."""
    metrics = json.loads((GAN.shipped_dir / "metrics.json").read_text())
    assert metrics["mask"].startswith("predicted") and metrics["evaluated_on"].startswith("test_A")
    by = {r["method"]: r for r in metrics["methods"]}
    model = by["DeepFillv2 (local repair)"]
    for other in ("occluded input", "OpenCV Telea", "OpenCV Navier-Stokes"):
        for key in ("psnr", "psnr_mask"):
            assert model[key] > by[other][key], (key, other, model, by[other])
    clean = metrics["clean_pages"]
    assert clean["pages"] >= 8 and clean["all_within_tolerance"], clean
    assert clean["tolerance"] == GAN.config("demo")["evaluate"]["clean_tolerance"]


def test_a_segmenter_trained_from_pretrained_weights_loads_without_them(prepared, tmp_path, monkeypatch):
    """full starts the backbone from PaddleSeg's URL; a trained checkpoint carries that option, but
    loading it never fetches the initial weights again (the checkpoint replaces them all)."""
    import paddleseg.utils.utils as seg_utils

    from lib.train.registry import build_model

    _, out = prepared
    spec = SEG.model_spec(SEG.config("smoke"))
    weights = tmp_path / "imagenet.pdparams"
    paddle.save(build_model(spec).model.backbone.state_dict(), str(weights))
    fetched = []
    monkeypatch.setattr(seg_utils, "download_pretrained_model", lambda url: fetched.append(url) or str(weights))
    url = "https://example.invalid/backbone.tar.gz"
    trainer = SEG.trainer("smoke", tmp_path / "run", prepared=out, quiet=True, model={**spec, "pretrained": url})
    assert fetched == [url]
    trainer.fit()

    def no_network(url):
        raise AssertionError(f"download attempted: {url}")

    monkeypatch.setattr(seg_utils, "download_pretrained_model", no_network)
    model = SEG.load_model(trainer.last_path)
    assert not model.training and fetched == [url]


class _Recording:
    """Calls a network and keeps what it returned (numpy), for checking the task's loss by hand."""

    def __init__(self, net, seen):
        self.net, self.seen = net, seen

    def __call__(self, *args):
        out = self.net(*args)
        self.seen.append([o.numpy() for o in out] if isinstance(out, (tuple, list)) else out.numpy())
        return out


def test_full_gan_step_is_the_base_repositorys_wgan_with_the_perceptual_term(prepared, tmp_path, monkeypatch):
    """gan_loss wgan + perceptual_weight (full's task options): D loss = -mean D(real) + mean D(fake);
    G loss = l1 x (L1 coarse + L1 refined composites) + perceptual x L1(features) + gan x -mean D(fake).
    The VGG-16 is replaced by a fixed stand-in (no download here)."""
    from stand_in_features import StandInFeatures

    from lib import losses as lib_losses

    _, out = prepared
    monkeypatch.setattr(lib_losses, "vgg16_features", lambda **kwargs: StandInFeatures())
    task_options = {"l1_weight": 1000.0, "gan_weight": 1.0, "gan_loss": "wgan", "perceptual_weight": 10.0}
    trainer = GAN.trainer("smoke", tmp_path / "run", prepared=out, quiet=True, task=task_options)
    runner = trainer.task_runner
    assert isinstance(runner.perceptual, StandInFeatures)
    gen_out, disc_out = [], []
    runner.train_nets = {
        "generator": _Recording(runner.train_nets["generator"], gen_out),
        "discriminator": _Recording(runner.train_nets["discriminator"], disc_out),
    }
    runner.start_phase({"d_every": 1})
    img, mask = _fixed_batch(trainer, trainer.data.train)
    losses = runner.train_step((img, mask), 0)
    real, fake_for_d, fake_for_g = disc_out
    assert losses["d_loss"] == pytest.approx(-real.mean() + fake_for_d.mean(), rel=1e-4, abs=1e-6)
    ((coarse, refined),) = gen_out
    im, m = img.numpy(), mask.numpy()
    comp_c, comp_r = im * (1 - m) + coarse * m, im * (1 - m) + refined * m
    perceptual = np.abs(StandInFeatures.numpy(comp_r) - StandInFeatures.numpy(im)).mean()
    total = 1000 * (np.abs(comp_c - im).mean() + np.abs(comp_r - im).mean()) + 10 * perceptual - fake_for_g.mean()
    assert losses["perceptual"] == pytest.approx(perceptual, rel=1e-4)
    assert losses["loss"] == pytest.approx(total, rel=1e-4)


@pytest.mark.slow
def test_gan_task_options_are_checked_and_the_vgg_download_named(prepared, tmp_path, monkeypatch):
    import paddle.vision.models.vgg as vgg_module

    from lib.losses import VGG16_URL, PretrainedWeightsError

    _, out = prepared
    with pytest.raises(ValueError, match="gan_loss must be one of wgan, hinge"):
        GAN.trainer("smoke", tmp_path / "a", prepared=out, quiet=True, task={"gan_loss": "lsgan"})

    def no_network(url, md5sum=None):
        raise ConnectionError(f"no route to {url}")

    monkeypatch.setattr(vgg_module, "get_weights_path_from_url", no_network)
    with pytest.raises(PretrainedWeightsError) as error:
        GAN.trainer("smoke", tmp_path / "b", prepared=out, quiet=True, task={"perceptual_weight": 10.0})
    assert VGG16_URL in str(error.value) and "perceptual_weight: 0 in lib/configs/deocclusion.yaml" in str(error.value)


def test_a_full_submission_without_a_segmenter_names_the_full_training_command(monkeypatch, capsys):
    """The error says how to train the missing network of the profile asked for, not the demo one."""
    from lib.export.__main__ import main as export_main

    track = get_track("deocclusion")
    monkeypatch.setattr(type(track), "segmenter", lambda self, profile=None: None)
    with pytest.raises(FileNotFoundError, match=r"`make train TRACK=deocclusion_seg COURSE_PROFILE=full`"):
        track.build_submission(model=None, profile="full")
    monkeypatch.setattr(type(track), "load_model", lambda self, path=None, profile=None: None)
    assert export_main(["--track", "deocclusion", "--profile", "full"]) == 2  # a message, no traceback
    assert "COURSE_PROFILE=full" in capsys.readouterr().err
