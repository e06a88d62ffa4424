"""Track ``sdwnet``: the solution's numbers in ``full``, the Charbonnier + SSIM loss against NumPy and
scikit-image, the model options of the ablations (no wavelet branch, branch widths), the gather
upsampling and the edge-padded deployment network, offline vs online crops, training through the
engine, the evaluation table and its quality bar, and the submission's predict.py on awkward files."""

import zipfile

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest
from skimage.metrics import structural_similarity

from lib.data.pairs import read_image
from lib.data.prepare import downsample, prepare_patches, read_meta_file, training_pages
from lib.losses import CharbonnierSSIMLoss
from lib.models.nafnet import count_parameters
from lib.models.sdwnet import (
    SDWNET_PARAM_COUNTS,
    BilinearUp2x,
    EdgePadded,
    SDWNet,
    bilinear_up2x_gathers,
    sdwnet_from_config,
)
from lib.tracks import KNOWN_TRACKS, get_track
from lib.tracks.sdwnet.track import quality_checks
from lib.train.engine import resolve_options
from lib.train.registry import build_loss
from lib.train.schedule import resolve_epochs

TRACK = get_track("sdwnet")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """Smoke pages (the deblur generator) and this track's smoke preparation, in a temporary folder."""
    root = tmp_path_factory.mktemp("sdwnet")
    data = TRACK.generate_data("smoke", root / "data", seed=0, workers=1)
    prepared = prepare_patches("smoke", source=data, out=root / "prepared", track="sdwnet")
    return data, prepared


# ---------------------------------------------------------------------------------------------- options
def test_registered_with_its_notebook_and_zip():
    assert KNOWN_TRACKS["sdwnet"] == "lib.tracks.sdwnet"
    assert TRACK.notebooks == ("06_sdwnet",) and TRACK.shipped_dir.name == "sdwnet_sdwnet_demo"
    assert TRACK.submission_zip == "sdwnet_submission.zip" and TRACK.tlc is False


def test_full_profile_is_the_reference_repository():
    cfg = TRACK.config("full")
    assert cfg["train"]["stages"] == [{"batch_size": 12, "patch_size": 256, "epochs": 500}]
    # the solution's 500 epochs of GoPro (2,103 frames x 24 windows, batch 12) were 2,103,000 iterations
    assert resolve_epochs(TRACK.train_options(cfg), 2103 * 24)["stages"][0]["iters"] == 2_103_000
    # the same 500 epochs of 900 full-size pages (48 windows each): ceil(500 x 43,200 / 12)
    opts = resolve_options(resolve_epochs(TRACK.train_options(cfg), 900 * 48), TRACK.task)
    assert opts["stages"] == [{"batch_size": 12, "patch_size": 256, "iters": 1_800_000}]
    assert opts["phases"] == [{"loss": "charbonnier_ssim", "iters": 1_800_000}]
    assert opts["optimizer"] == {"name": "adamw", "lr": 4e-4, "weight_decay": 1e-4, "betas": [0.9, 0.999]}
    assert opts["scheduler"]["name"] == "cosine_restart" and opts["scheduler"]["periods"] == [1_800_000]
    assert opts["augment"] == {"flip": True, "rotate": True, "vflip": True}
    assert {k: cfg["prepare"][k] for k in ("patch_size", "stride", "grad_threshold")} == {
        "patch_size": 480,
        "stride": 240,
        "grad_threshold": 0,
    }
    spec = TRACK.model_spec(cfg)
    with paddle.LazyGuard():
        assert (
            count_parameters(sdwnet_from_config({k: v for k, v in spec.items() if k != "name"}))
            == SDWNET_PARAM_COUNTS["paper"]
            == 10_748_803
        )


@pytest.mark.parametrize("profile", ["smoke", "demo", "full"])
def test_every_profile_resolves_with_sliding_windows_of_stride_half(profile):
    cfg = TRACK.config(profile)
    opts = resolve_options(resolve_epochs(TRACK.train_options(cfg), 1000), TRACK.task)
    assert sum(p["iters"] for p in opts["phases"]) == sum(s["iters"] for s in opts["stages"])
    assert all(p["loss"] == "charbonnier_ssim" for p in opts["phases"])
    assert cfg["prepare"]["stride"] * 2 == cfg["prepare"]["patch_size"]
    assert max(s["patch_size"] for s in opts["stages"]) <= cfg["prepare"]["patch_size"]
    assert TRACK.crop_mode(profile) in ("offline", "online")


# ---------------------------------------------------------------------------------------------- loss
def test_charbonnier_ssim_matches_numpy_and_scikit_image():
    rng = np.random.default_rng(0)
    clean = rng.uniform(0, 1, (2, 3, 32, 32))
    noisy = np.clip(clean + rng.normal(0, 0.1, clean.shape), 0, 1)
    charbonnier = np.sqrt((noisy - clean) ** 2 + 1e-6).mean()
    ssim = np.mean(
        [
            structural_similarity(
                noisy[i],
                clean[i],
                channel_axis=0,
                data_range=1.0,
                gaussian_weights=True,
                sigma=1.5,
                use_sample_covariance=False,
            )
            for i in range(2)
        ]
    )

    def t(a):
        return paddle.to_tensor(a, dtype="float32")

    assert float(build_loss("charbonnier_ssim")(t(noisy), t(clean))) == pytest.approx(charbonnier + 1 - ssim, abs=1e-4)
    weighted = CharbonnierSSIMLoss(charbonnier_weight=2.0, ssim_weight=0.5)(t(noisy), t(clean))
    assert float(weighted) == pytest.approx(2 * charbonnier + 0.5 * (1 - ssim), abs=1e-4)


# ---------------------------------------------------------------------------------------------- model options
def test_without_wavelet_branch_removes_exactly_its_parameters():
    with paddle.LazyGuard():
        full = SDWNet(num_blocks=16, d_mult=32)
        plain = SDWNet(num_blocks=16, d_mult=32, wavelet=False)
    branch = (64 * 7 * 32 * 81 + 64) + (32 * 64 * 25 + 32) + (3 * 32 * 25 + 3)
    assert branch == 1_214_915
    assert count_parameters(full) - count_parameters(plain) == branch
    assert not any(k.startswith("SRCNN.") for k in plain.state_dict())


def test_wavelet_widths_set_the_branch():
    with paddle.LazyGuard():
        net = SDWNet(num_blocks=2, d_mult=8, wavelet_widths=(16, 8))
        plain = SDWNet(num_blocks=2, d_mult=8, wavelet=False)
    assert count_parameters(net) - count_parameters(plain) == (16 * 56 * 81 + 16) + (8 * 16 * 25 + 8) + (3 * 8 * 25 + 3)
    with pytest.raises(ValueError, match="widths"):
        SDWNet(num_blocks=1, d_mult=4, wavelet_widths=(8,))


def test_no_wavelet_output_is_input_plus_spatial_head():
    paddle.seed(0)
    net = SDWNet(num_blocks=1, d_mult=4, wavelet=False)
    net.eval()
    x = paddle.rand([1, 3, 40, 36])
    out = net(x)
    down0 = net.downsampling_layers[0](x)
    down1 = net.downsampling_layers[1](down0)
    up = net.upsampling_layers[0](paddle.concat([net.blocks(down1), down1], axis=1))
    feats = net.upsampling_layers[1](paddle.concat([up, down0], axis=1))
    np.testing.assert_allclose(out.numpy(), (x + net.output_layer(feats)).numpy(), atol=1e-6)


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 3, 5, 7), (1, 4, 16, 9)])
def test_gather_upsampling_equals_paddles_bilinear(shape):
    x = paddle.rand(shape)
    ref = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
    np.testing.assert_allclose(bilinear_up2x_gathers(x).numpy(), ref.numpy(), atol=1e-5)
    np.testing.assert_allclose(BilinearUp2x()(x).numpy(), ref.numpy(), atol=1e-5)


def test_traced_upsampling_exports_gathers_not_bilinear_interp():
    """Training runs Paddle's bilinear op (fast backward); the traced program, what is exported, has none."""
    from paddle.static import InputSpec

    static = paddle.jit.to_static(
        BilinearUp2x(), input_spec=[InputSpec([None, 4, None, None], "float32")], full_graph=True
    )
    x = paddle.rand([2, 4, 9, 6])
    ref = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
    np.testing.assert_allclose(static(x).numpy(), ref.numpy(), atol=1e-5)
    program = static.forward.concrete_program.main_program
    ops = {op.name() for op in program.global_block().ops}
    assert not any("bilinear" in name or "interp" in name for name in ops), sorted(ops)
    assert any("index_select" in name for name in ops), sorted(ops)


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (17, 40), (33, 18)])
def test_edge_padded_takes_any_size_and_matches_a_replicate_pad_by_hand(size):
    paddle.seed(1)
    net = SDWNet(num_blocks=1, d_mult=4, wavelet_widths=(4, 4))
    net.eval()
    deployed = EdgePadded(net)
    assert deployed.margin == net.min_size == 17
    x = np.random.default_rng(0).random((1, 3) + size).astype("float32")
    out = deployed(paddle.to_tensor(x)).numpy()
    padded = np.pad(x, ((0, 0), (0, 0), (17, 17), (17, 17)), mode="edge")
    expected = net(paddle.to_tensor(padded)).numpy()[:, :, 17 : 17 + size[0], 17 : 17 + size[1]]
    assert out.shape == x.shape
    np.testing.assert_allclose(out, expected, atol=1e-5)


# ---------------------------------------------------------------------------------------------- crops
@pytest.mark.slow
def test_online_pages_are_the_downsampled_training_pages(smoke):
    data, prepared = smoke
    pages = training_pages(prepared)
    split = prepared.read_split()
    assert len(pages) == len(split["train"]) == prepared.stats["train_images"]
    for (blur, gt), name in zip(pages, split["train"]):
        source = read_image(data / "train" / "gt_image" / name)
        np.testing.assert_array_equal(read_image(gt), downsample(source, prepared.factor))
        assert read_image(blur).shape == read_image(gt).shape
    offline = TRACK.train_data(prepared, "offline")
    online = TRACK.train_data(prepared, "online")
    assert offline.train == read_meta_file(prepared.meta_file) and online.train == pages
    assert offline.val == online.val and len(online.all) == len(pages) + len(online.val)
    assert all(read_image(b).shape[0] == prepared.options["patch_size"] for b, _ in offline.train[:5])
    with pytest.raises(ValueError, match="crops"):
        TRACK.train_data(prepared, "random")


@pytest.mark.slow
@pytest.mark.parametrize("crops", ["offline", "online"])
def test_trains_through_the_engine(smoke, tmp_path, crops):
    _, prepared = smoke
    trainer = TRACK.trainer("smoke", tmp_path / crops, prepared=prepared, quiet=True, crops=crops)
    assert trainer.opts["model"]["name"] == "sdwnet"
    trainer.fit()
    losses = [r["loss"] for r in trainer.history if "loss" in r]
    assert len(losses) == trainer.total_iters and all(np.isfinite(losses))
    assert trainer.best_path.is_file()
    model = TRACK.load_model(trainer.best_path)
    assert isinstance(model, SDWNet) and model.wavelet


def test_a_schedule_in_epochs_counts_the_prepared_windows(smoke, tmp_path):
    """full's schedule is in epochs; the trainer turns them into iterations over the samples it
    trains on (here the smoke windows, batch 2: 3 epochs = ceil(3 n / 2))."""
    _, prepared = smoke
    n = len(read_meta_file(prepared.meta_file))
    trainer = TRACK.trainer(
        "smoke",
        tmp_path / "epochs",
        prepared=prepared,
        quiet=True,
        stages=[{"batch_size": 2, "patch_size": 48, "epochs": 3}],
        phases=[{"loss": "charbonnier_ssim", "epochs": 3}],
    )
    assert trainer.total_iters == -(-3 * n // 2) and trainer.opts["scheduler"]["periods"] == [trainer.total_iters]


# ---------------------------------------------------------------------------------------------- evaluation
def test_quality_checks_compare_with_input_and_best_classical():
    rows = [
        {"method": "blurred input", "psnr": 20.0, "score": 0.55},
        {"method": "unsharp mask", "psnr": 21.0, "score": 0.56},
        {"method": "Wiener", "psnr": 20.5, "score": 0.57},
        {"method": "SDWNet", "psnr": 20.8, "score": 0.58},
    ]
    checks = quality_checks(rows)
    assert checks["best_classical"] == "unsharp mask"
    assert checks["beats_input"] and not checks["beats_best_classical"]
    assert checks["psnr_gain_over_input"] == pytest.approx(0.8)
    rows[-1]["psnr"] = 21.5
    assert quality_checks(rows)["beats_best_classical"]


@pytest.mark.slow
def test_evaluation_table_on_smoke_pages(smoke):
    data, prepared = smoke
    paddle.seed(0)
    model = SDWNet(num_blocks=1, d_mult=4, wavelet_widths=(4, 4))
    model.eval()
    from lib.data.pairs import list_pairs

    result = TRACK.evaluate(model, "smoke", data=data, val=list_pairs(prepared.val_dir), ocr=False)
    methods = [r["method"] for r in result["methods"]]
    assert methods[0] == "blurred input" and methods[-1] == "SDWNet" and len(methods) == 5
    splits = {r["split"] for r in result["readability"]}
    assert "test_A" in splits
    assert set(result["checks"]) >= {"beats_input", "beats_best_classical", "best_classical"}
    assert result["readability_gain"]["SDWNet"]["test_A"]["psnr_gain"] == pytest.approx(
        next(r["psnr"] for r in result["readability"] if r["split"] == "test_A" and r["method"] == "SDWNet")
        - next(r["psnr"] for r in result["readability"] if r["split"] == "test_A" and r["method"] == "blurred input")
    )


# ---------------------------------------------------------------------------------------------- submission
@pytest.mark.slow
def test_submission_agrees_with_dygraph_and_survives_awkward_files(tmp_path):
    from lib.export import run_submission, write_awkward_inputs

    paddle.seed(2)
    model = SDWNet(num_blocks=1, d_mult=4, wavelet_widths=(4, 4))
    model.eval()
    meta = TRACK.build_submission(model, tmp_path / "sdwnet_submission.zip")
    assert meta["paddle_max_abs_error"] < 1e-4 and meta["onnx_max_abs_error"] < 1e-4 and meta["tlc"] is None
    with zipfile.ZipFile(meta["zip"]) as archive:
        assert {"predict.py", "model.onnx", "model.pdiparams", "model.json"} <= set(archive.namelist())
        archive.extractall(tmp_path / "sub")
    page = np.random.default_rng(0).integers(0, 256, (45, 61, 3), dtype=np.uint8)
    files = write_awkward_inputs(tmp_path / "src", page)
    result, _ = run_submission(tmp_path / "sub", tmp_path / "src", tmp_path / "out", timeout=600)
    assert result.returncode != 0
    for name in files["bad"]:
        assert name in result.stdout + result.stderr
    for name in files["restorable"]:
        assert (tmp_path / "out" / name).is_file(), name


def test_reads_the_deblur_pages(monkeypatch):
    from lib.paths import generated_data_root

    monkeypatch.delenv("COURSE_DATA", raising=False)
    assert TRACK.data_track == "deblur"
    assert TRACK.data_root("smoke") == generated_data_root("deblur", "smoke")
    assert get_track("retouch").data_root("smoke") == generated_data_root("retouch", "smoke")  # others: their own
