"""Track ``denoise`` (issue 12): the solution's numbers in the config, the SIDD-layout generator and
loader, the solution's patch cutting, the tuned classical denoisers, export size, the TIPC chain (lite
train -> export -> infer on the exported model) and the shipped checkpoint's quality bar."""

import csv
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import restoration
from skimage.metrics import peak_signal_noise_ratio

from lib.config import load_config
from lib.data.pairs import DataError, read_image
from lib.tracks import get_track
from lib.tracks.denoise import data as dd
from lib.tracks.denoise.track import (
    SEED_BATCHES,
    SEED_EPOCHS,
    SEED_PATCHES,
    SIDD_MEDIUM_PATCHES,
    TRACK,
    epochs_to_iters,
)

ROOT = Path(__file__).resolve().parents[3]


def _files(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _write(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


@pytest.fixture(scope="module")
def smoke_data(tmp_path_factory):
    return dd.ensure_dataset("smoke", tmp_path_factory.mktemp("denoise") / "data", seed=0)


# ----------------------------------------------------------------------------- config
def test_epochs_convert_to_iterations_as_the_seeds_dataloader_counts_them():
    assert epochs_to_iters([30, 15, 10, 5], [8, 6, 4, 2], 96_000) == [360_000, 240_000, 240_000, 240_000]
    assert epochs_to_iters([1], [3], 10) == [4]  # a last partial batch is an iteration
    with pytest.raises(ValueError, match="2 epoch counts for 1 batch sizes"):
        epochs_to_iters([1, 2], [3], 10)


def test_full_profile_holds_the_seeds_numbers():
    """full = the solution's train_denoising_1card.py: progressive stages in epochs of the prepared
    patches, Charbonnier on the clipped output, MixUp from the 6th epoch, a 3-epoch warm-up."""
    from lib.models.mirnet_v2 import MIRNET_CONFIGS
    from lib.train.engine import resolve_options
    from lib.train.schedule import resolve_epochs

    cfg = load_config("denoise", "full")
    stages = cfg["train"]["stages"]
    assert [s["patch_size"] for s in stages] == list(SEED_PATCHES) == [128, 160, 192, 256]
    assert [s["batch_size"] for s in stages] == list(SEED_BATCHES) == [8, 6, 4, 2]
    assert [s["epochs"] for s in stages] == list(SEED_EPOCHS) == [30, 15, 10, 5]
    assert cfg["train"]["optimizer"] == {"name": "adam", "lr": 2e-4, "betas": [0.9, 0.999]}
    assert [p["loss"] for p in cfg["train"]["phases"]] == ["charbonnier"]
    assert cfg["train"]["task"] == {"clip_output": True, "mixup_from_epoch": 5, "mixup_beta": 1.2}
    # on SIDD-Medium's 96,000 patches: the solution's iterations, MixUp from iteration 5 x 96000 / 8,
    # the warm-up over 3 epochs of batch 8
    opts = resolve_options(resolve_epochs(TRACK.train_options(cfg), SIDD_MEDIUM_PATCHES), TRACK.task)
    assert [s["iters"] for s in opts["stages"]] == epochs_to_iters(SEED_EPOCHS, SEED_BATCHES, SIDD_MEDIUM_PATCHES)
    assert opts["task"] == {"clip_output": True, "mixup_from_iter": 60_000, "mixup_beta": 1.2}
    assert opts["scheduler"]["warmup_iters"] == 36_000 and opts["scheduler"]["eta_min"] == 1e-6
    assert (cfg["prepare"]["ps"], cfg["prepare"]["num_patches"], cfg["prepare"]["num_cores"]) == (256, 300, 10)
    assert TRACK.model_spec(cfg) == {"name": "mirnet_v2", **MIRNET_CONFIGS["paddle-repro"]}
    # demo: the learner's run of notebook 07 narrows the named demo network (the shipped model keeps its options.json)
    demo = {"name": "mirnet_v2", **MIRNET_CONFIGS["demo"], "n_feat": 16}
    assert TRACK.model_spec(load_config("denoise", "demo")) == demo
    for profile in ("smoke", "demo", "full"):
        opts = resolve_options(resolve_epochs(TRACK.train_options(TRACK.config(profile)), 1000), TRACK.task)
        assert opts["scheduler"]["periods"] == [sum(s["iters"] for s in opts["stages"])]  # one cosine
    # smoke / demo: no clipping, no MixUp; smoke trains L1 without a warm-up, demo (the learner's run) the PSNR loss
    # after a 100-iteration warm-up (lab/tracks/denoise/overlays/11_lr4e-3.yaml)
    for profile, loss, warmup in (("smoke", "l1", None), ("demo", "psnr", 100)):
        opts = resolve_options(TRACK.train_options(TRACK.config(profile)), TRACK.task)
        assert opts["task"] == {"clip_output": False, "mixup_from_iter": None, "mixup_beta": 1.2}
        assert [p["loss"] for p in opts["phases"]] == [loss] and opts["scheduler"].get("warmup_iters") == warmup
    with pytest.raises(ValueError, match="unknown config 'nope'"):
        TRACK.model_spec({"model": {"config": "nope"}})


# ----------------------------------------------------------------------------- MixUp and clipping
def test_mixup_blends_each_sample_with_its_partner_as_the_seed():
    import paddle

    from lib.tracks.denoise.tasks import mixup_draw, mixup_pairs

    rng = np.random.default_rng(0)
    noisy, clean = rng.random((5, 3, 4, 6), dtype=np.float32), rng.random((5, 3, 4, 6), dtype=np.float32)
    order, lam = np.array([3, 0, 4, 1, 2]), np.array([0.1, 0.5, 0.9, 0.3, 0.7])
    got_in, got_gt = mixup_pairs(paddle.to_tensor(noisy), paddle.to_tensor(clean), order, lam)
    for k in range(5):  # sample k with sample order[k], both images with the same weight
        np.testing.assert_allclose(got_in.numpy()[k], lam[k] * noisy[k] + (1 - lam[k]) * noisy[order[k]], rtol=1e-6)
        np.testing.assert_allclose(got_gt.numpy()[k], lam[k] * clean[k] + (1 - lam[k]) * clean[order[k]], rtol=1e-6)
    order, lam = mixup_draw(8, 1.2, np.random.default_rng(1))
    assert sorted(order) == list(range(8)) and ((0 < lam) & (lam < 1)).all()
    lam = mixup_draw(20000, 1.2, np.random.default_rng(2))[1]  # Beta(1.2, 1.2): mean 1/2, variance 1/13.6
    assert lam.mean() == pytest.approx(0.5, abs=0.01) and lam.var() == pytest.approx(1 / 13.6, abs=0.003)


def test_training_step_clips_the_output_and_mixes_from_the_given_iteration():
    """The task as full runs it: before ``mixup_from_iter`` the loss sees the batch as drawn, from
    then on the MixUp of (run seed, iteration, rank); always the network's output clipped to [0, 1]."""
    import paddle

    from lib.tracks.denoise.tasks import DenoiseTask, mixup_draw

    paddle.seed(0)
    net = paddle.nn.Conv2D(3, 3, 1)
    with paddle.no_grad():
        net.weight.set_value(paddle.eye(3).reshape([3, 3, 1, 1]) * 2.0)
        net.bias.set_value(paddle.full([3], -0.3))
    optimizer = paddle.optimizer.SGD(learning_rate=0.0, parameters=net.parameters())
    options = {"seed": 7, "task": {"clip_output": True, "mixup_from_iter": 10, "mixup_beta": 1.2}}
    task = DenoiseTask(options, {"model": net}, {"model": net}, {"model": optimizer}, {})
    seen = []

    def recording_loss(pred, target):
        seen.append((pred.numpy(), target.numpy()))
        return (pred - target).abs().mean()

    task.criterion = recording_loss
    rng = np.random.default_rng(3)
    noisy, clean = rng.random((4, 3, 5, 5), dtype=np.float32), rng.random((4, 3, 5, 5), dtype=np.float32)
    for iteration in (9, 10):
        task.train_step((paddle.to_tensor(noisy), paddle.to_tensor(clean)), iteration)
    (pred9, target9), (pred10, target10) = seen
    np.testing.assert_allclose(pred9, np.clip(2 * noisy - 0.3, 0, 1), atol=1e-6)
    np.testing.assert_array_equal(target9, clean)
    order, lam = mixup_draw(4, 1.2, np.random.default_rng([7, 10, 0]))
    w = lam.reshape(-1, 1, 1, 1)
    mixed_in, mixed_gt = w * noisy + (1 - w) * noisy[order], w * clean + (1 - w) * clean[order]
    np.testing.assert_allclose(target10, mixed_gt, rtol=1e-5)
    np.testing.assert_allclose(pred10, np.clip(2 * mixed_in - 0.3, 0, 1), atol=1e-5)
    assert pred9.min() == 0.0 and pred9.max() == 1.0  # the clip was reached on both sides


def test_shipped_demo_model_still_loads():
    model = TRACK.load_model(TRACK.shipped_dir / "model.pdparams")
    assert model.checkpoint_path.name == "model.pdparams"


# ----------------------------------------------------------------------------- generator
def test_generator_writes_sidd_scenes_deterministically(tmp_path, smoke_data):
    again = dd.ensure_dataset("smoke", tmp_path / "again", seed=0, workers=2)
    other = dd.ensure_dataset("smoke", tmp_path / "other", seed=1)
    assert _files(smoke_data) == _files(again)
    assert _files(smoke_data) != _files(other)
    manifest = json.loads((smoke_data / "manifest.json").read_text())
    opts = load_config("denoise", "smoke")["data"]
    train = dd.list_scenes(smoke_data / dd.SIDD_DATA)
    test = dd.list_scenes(smoke_data / dd.TEST_DATA)
    assert len(train) == len(opts["train_photos"]) * opts["scenes_per_photo"]
    assert len(test) == len(opts["test_photos"]) * len(opts["test_isos"])
    recipes = {r["scene"]: r for r in manifest["scenes"]}
    for name, noisy, gt in train + test:
        scene = name.split("/")[0]
        fields = dd.parse_scene_name(scene)
        assert (
            noisy.name == f"{fields['instance']:04d}_NOISY_SRGB_010.PNG"
            and gt.name == f"{fields['instance']:04d}_GT_SRGB_010.PNG"
        )
        assert fields["iso"] == recipes[scene]["iso"]
        assert read_image(noisy).shape == read_image(gt).shape
    lo, hi = opts["iso_range"]
    assert all(lo <= dd.scene_iso(n) <= hi for n, _, _ in train)
    assert sorted({dd.scene_iso(n) for n, _, _ in test}) == sorted(opts["test_isos"])
    assert not {recipes[n.split("/")[0]]["photo"] for n, _, _ in test} & set(opts["train_photos"])


def test_generated_noise_is_camera_like_and_grows_with_iso(smoke_data):
    """Demosaicked camera noise is spatially correlated (white noise has lag-1 correlation ~0) and
    the PSNR of the noisy image falls as the ISO rises (independent: scikit-image's PSNR)."""
    test = dd.list_scenes(smoke_data / dd.TEST_DATA)
    by_iso = sorted(test, key=lambda t: dd.scene_iso(t[0]))
    psnrs = []
    for _, noisy, gt in by_iso:
        residual = read_image(noisy).astype(np.float64) - read_image(gt).astype(np.float64)
        g = residual[..., 1] - residual[..., 1].mean()
        assert (g[:, 1:] * g[:, :-1]).mean() / g.var() > 0.25
        psnrs.append(peak_signal_noise_ratio(read_image(gt), read_image(noisy), data_range=255))
    assert psnrs == sorted(psnrs, reverse=True) and psnrs[0] - psnrs[-1] > 3


def test_bad_data_options_are_clear_errors():
    from lib.config import ConfigError

    with pytest.raises(ConfigError, match="unknown photo"):
        dd.data_options("smoke", {"train_photos": ["mona_lisa"]})
    with pytest.raises(ConfigError, match=r"\['coffee'\] are both training and test photos"):
        dd.data_options("smoke", {"train_photos": ["coffee", "astronaut"]})
    with pytest.raises(ConfigError, match="exposure must be"):
        dd.data_options("smoke", {"exposure": [0.5, 2.0]})
    with pytest.raises(ConfigError, match="ps must be a positive integer"):
        dd.prepare_options("smoke", {"ps": 0})


# ----------------------------------------------------------------------------- real SIDD layout
def _fake_sidd(root: Path) -> Path:
    data = root / "SIDD_Medium_Srgb" / "Data"
    rng = np.random.default_rng(0)

    def image(h=40, w=52):
        return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)

    for scene, prefix, suffix in (
        ("0001_001_S6_00100_00060_3200_L", "0001_", ".PNG"),
        ("0002_002_GP_01600_03200_5500_N", "", ".png"),
    ):
        for capture in ("010", "011"):
            _write(data / scene / f"{prefix}NOISY_SRGB_{capture}{suffix}", image())
            _write(data / scene / f"{prefix}GT_SRGB_{capture}{suffix}", image())
    return data


def test_loader_reads_a_real_sidd_medium_layout_unchanged(tmp_path):
    data = _fake_sidd(tmp_path)
    pairs = dd.list_scenes(data, check_sizes=True)
    assert [n for n, _, _ in pairs] == [
        "0001_001_S6_00100_00060_3200_L/010",
        "0001_001_S6_00100_00060_3200_L/011",
        "0002_002_GP_01600_03200_5500_N/010",
        "0002_002_GP_01600_03200_5500_N/011",
    ]
    assert [dd.scene_iso(n) for n, _, _ in pairs] == [100, 100, 1600, 1600]
    assert pairs[1][1].name == "0001_NOISY_SRGB_011.PNG" and pairs[1][2].name == "0001_GT_SRGB_011.PNG"
    assert dd.parse_scene_name("0001_001_S6_00100_00060_3200_L")["phone"] == "S6"
    assert TRACK.check_data(tmp_path) == [f"{dd.SIDD_DATA}：2 个场景，4 对带噪/真值图"]


def test_every_layout_problem_is_reported_at_once_naming_the_files(tmp_path):
    data = _fake_sidd(tmp_path)
    (data / "0001_001_S6_00100_00060_3200_L" / "0001_GT_SRGB_011.PNG").unlink()
    (data / "0003_003_IP_00800_01000_4400_H").mkdir()
    _write(data / "0002_002_GP_01600_03200_5500_N" / "GT_SRGB_010.png", np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(DataError) as err:
        dd.list_scenes(data, check_sizes=True)
    message = str(err.value)
    assert "3 problem(s)" in message
    assert "no ground truth" in message and "0001_GT_SRGB_011.PNG" in message
    assert "0003_003_IP_00800_01000_4400_H: no NOISY_SRGB_*.PNG" in message
    assert "NOISY_SRGB_010.png: size (52, 40) differs from its ground truth GT_SRGB_010.png (10, 10)" in message
    with pytest.raises(DataError, match="0001_GT_SRGB_011.PNG"):
        TRACK.check_data(tmp_path)
    with pytest.raises(DataError, match="folder not found"):
        dd.list_scenes(tmp_path / "nowhere")
    with pytest.raises(DataError, match="not a SIDD scene folder name"):
        dd.parse_scene_name("holiday_photos")


# ----------------------------------------------------------------------------- patch cutting
def test_patches_are_the_seeds_random_windows_of_their_source(tmp_path, smoke_data, monkeypatch):
    prepared = dd.prepare_patches("smoke", source=smoke_data, out=tmp_path / "p1")
    opts = load_config("denoise", "smoke")["prepare"]
    stats = prepared.manifest["stats"]
    assert stats["train_patches"] == stats["train_images"] * opts["num_patches"]
    assert stats["val_patches"] == stats["val_images"] * opts["val_patches"]
    # validation = every image of the last scene number (whole scenes held out)
    numbers = {dd.parse_scene_name(n.split("/")[0])["scene"] for n in prepared.manifest["split"]["val"]}
    assert numbers == {len(load_config("denoise", "smoke")["data"]["train_photos"])}
    with open(prepared.root / "patches.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == stats["train_patches"] + stats["val_patches"]
    ps = opts["ps"]
    for row in rows:
        y, x = int(row["y"]), int(row["x"])
        noisy = read_image(row["source"])
        gt = read_image(row["source"].replace("_NOISY_", "_GT_"))
        folder = prepared.root / row["split"]
        assert np.array_equal(read_image(folder / "input" / row["patch"]), noisy[y : y + ps, x : x + ps])
        assert np.array_equal(read_image(folder / "groundtruth" / row["patch"]), gt[y : y + ps, x : x + ps])
    assert prepared.pairs("train")[0][0].name == "1_1.png"  # the solution's <image>_<patch>.png
    assert dd.prepare_patches("smoke", source=smoke_data, out=tmp_path / "p1").skipped
    # the same bytes from worker processes (forced on for this tiny set)
    monkeypatch.setattr(dd.patches, "MIN_PARALLEL_PIXELS", 0)
    parallel = dd.prepare_patches("smoke", source=smoke_data, out=tmp_path / "p2")
    assert _files(parallel.root / "train") == _files(prepared.root / "train")


def test_a_patch_larger_than_an_image_names_the_image(tmp_path, smoke_data):
    with pytest.raises(DataError, match=r"NOISY_SRGB_010.PNG: \d+ x \d+ is smaller than the patch size ps=500"):
        dd.prepare_patches("smoke", source=smoke_data, out=tmp_path / "p", ps=500)


# ----------------------------------------------------------------------------- classical denoisers
def test_classical_denoisers_match_their_libraries_and_tuning_picks_the_best():
    from lib.metrics import psnr, to_uint8
    from lib.tracks.denoise import baselines as db
    from lib.tracks.denoise.camera_noise import synthesize

    photo = dd.resized_photo("astronaut", 128)[:96, :96]
    clean, noisy, _ = synthesize(photo, np.random.default_rng(0), iso=3200)
    sigma = float(restoration.estimate_sigma(noisy / 255.0, channel_axis=-1, average_sigmas=True))
    assert db.noise_sigma(noisy) == pytest.approx(sigma)
    direct = to_uint8(
        restoration.denoise_nl_means(
            noisy / 255.0, h=1.5 * sigma, sigma=sigma, fast_mode=True, patch_size=5, patch_distance=6, channel_axis=-1
        )
    )
    assert np.array_equal(db.nl_means(noisy, 1.5), direct)
    ocv = cv2.fastNlMeansDenoisingColored(noisy[..., ::-1].copy(), None, 2 * sigma * 255, 2 * sigma * 255, 7, 21)
    assert np.array_equal(db.opencv_nl_means(noisy, 2.0), ocv[..., ::-1])
    for name, (fn, grid) in db.METHODS.items():
        params, best = db.tune(name, [(noisy, clean)])
        scores = {v: psnr(fn(noisy, **{k: v}), clean) for k, values in grid.items() for v in values}
        assert best == pytest.approx(max(scores.values())) and scores[next(iter(params.values()))] == best
        assert best > psnr(noisy, clean), name
    with pytest.raises(ValueError, match="H x W x 3 uint8"):
        db.nl_means(noisy[..., 0], 1.0)
    with pytest.raises(ValueError, match="unknown denoiser"):
        db.tune("BM3D", [(noisy, clean)])


# ----------------------------------------------------------------------------- export size
@pytest.mark.slow
def test_exported_size_of_the_seed_variant_and_the_demo_is_under_20_mb(tmp_path):
    from lib.export import export_paddle
    from lib.models.mirnet_v2 import MIRNET_PARAM_COUNTS, count_parameters, mirnet_v2_from_config

    seed_bytes = MIRNET_PARAM_COUNTS["paddle-repro"] * 4  # float32 weights: 12,481,152 bytes
    assert seed_bytes == 12_481_152 and seed_bytes < 20e6
    demo = mirnet_v2_from_config("demo")
    prefix = export_paddle(demo, tmp_path / "model")
    size = prefix.with_suffix(".pdiparams").stat().st_size
    weights = count_parameters(demo) * 4
    assert weights <= size < weights + 64_000 and size < 20e6


def test_deployable_copy_computes_the_same_network():
    import paddle

    from lib.models.mirnet_v2 import mirnet_v2_from_config
    from lib.tracks.denoise.track import deployable

    paddle.seed(0)
    model = mirnet_v2_from_config("demo", n_feat=16)
    model.eval()
    copy = deployable(model)
    assert not any(isinstance(m, (paddle.nn.LeakyReLU, paddle.nn.Upsample)) for m in copy.sublayers())
    for shape in ([1, 3, 37, 45], [2, 3, 16, 20]):
        x = paddle.rand(shape)
        assert float((copy(x) - model(x)).abs().max()) < 1e-5
    up = paddle.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
    x = paddle.rand([1, 2, 5, 7])
    assert float((deployable(paddle.nn.Sequential(up))(x) - up(x)).abs().max()) < 1e-6


# ----------------------------------------------------------------------------- TIPC: lite train -> export -> infer
@pytest.mark.slow
def test_lite_train_export_and_infer_on_the_exported_model(tmp_path, smoke_data):
    """The reproduction entry's TIPC lite_train_lite_infer chain in the smoke profile: train, evaluate, export
    (Paddle Inference + ONNX checked against dygraph), infer one image through the exported model
    from the command line, and run the submission's predict.py from a clean folder."""
    from lib.export import run_submission
    from lib.infer import predict_image
    from lib.metrics import psnr
    from lib.tracks.denoise import baselines as db

    prepared = dd.prepare_patches("smoke", source=smoke_data, out=tmp_path / "prepared")
    trainer = TRACK.trainer("smoke", tmp_path / "run", prepared=prepared, quiet=True)
    trainer.fit()
    assert trainer.iteration == trainer.total_iters and trainer.best_path.is_file()
    model = TRACK.load_model(trainer.best_path)

    metrics = TRACK.evaluate(model, "smoke", data=smoke_data, val=trainer.data.val)
    rows = {r["method"]: r for r in metrics["methods"]}
    test = dd.list_scenes(smoke_data / dd.TEST_DATA)
    assert rows["noisy input"]["psnr"] == pytest.approx(
        np.mean([psnr(read_image(n), read_image(g)) for _, n, g in test])
    )
    assert set(rows) == {"noisy input", "MIRNetV2", *db.METHODS}
    assert [b["trained"] for b in metrics["by_iso"]] == [True, False]  # ISO 1600 in, 9600 outside [400, 6400]
    assert len(metrics["sweep"]["model_psnr"]) == len(metrics["sweep"]["isos"])

    export_dir = tmp_path / "export"
    result = subprocess.run(
        [sys.executable, "-m", "lib.tracks.denoise", "export", str(export_dir), "--checkpoint", str(trainer.best_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert {"model.json", "model.pdiparams", "model.onnx"} <= {p.name for p in export_dir.iterdir()}
    noisy_path, _ = test[0][1], test[0][2]
    out = tmp_path / "denoised.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lib.tracks.denoise",
            "infer",
            str(noisy_path),
            str(out),
            "--model-dir",
            str(export_dir),
            "--backend",
            "paddle",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    expected = predict_image(model, read_image(noisy_path))
    assert np.abs(read_image(out).astype(int) - expected.astype(int)).max() <= 1
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "lib.tracks.denoise",
            "infer",
            str(tmp_path / "no.png"),
            str(out),
            "--model-dir",
            str(export_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2 and "no input image" in missing.stderr

    meta = TRACK.build_submission(model, tmp_path / "denoise_submission.zip")
    assert meta["paddle_max_abs_error"] < 1e-3 and meta["onnx_max_abs_error"] < 1e-3
    folder = tmp_path / "sub"
    zipfile.ZipFile(tmp_path / "denoise_submission.zip").extractall(folder)
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(noisy_path, src / "noisy.png")
    (src / "notes.txt").write_text("not an image")
    result, _ = run_submission(folder, src, tmp_path / "restored", timeout=600)
    assert result.returncode != 0 and "notes.txt" in result.stdout + result.stderr  # one bad file is listed
    assert np.abs(read_image(tmp_path / "restored" / "noisy.png").astype(int) - expected.astype(int)).max() <= 1


# ----------------------------------------------------------------------------- the shipped model
def _shipped_metrics() -> dict:
    folder = get_track("denoise").shipped_dir
    return json.loads((folder / "metrics.json").read_text(encoding="utf-8"))


def _rows(rows):
    model = next(r for r in rows if r["kind"] == "model")
    noisy = next(r for r in rows if r["kind"] == "input")
    best = max((r for r in rows if r["kind"] == "classical"), key=lambda r: r["psnr"])
    return model, noisy, best


def test_shipped_demo_model_is_published_by_make_train_and_beats_the_noisy_input():
    from lib.models.mirnet_v2 import MIRNET_CONFIGS

    track = get_track("denoise")
    folder = track.shipped_dir
    assert folder == ROOT / "checkpoints" / "denoise_mirnetv2_demo"
    assert {"model.pdparams", "options.json", "log.csv", "metrics.json"} <= {p.name for p in folder.iterdir()}
    assert sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) < 10e6
    metrics = _shipped_metrics()
    assert metrics["profile"] == "demo" and metrics["track"] == "denoise" and metrics["evaluated_on"] == dd.TEST_DATA
    assert any(b["trained"] is False for b in metrics["by_iso"]), "no noise level outside the training range"
    model, noisy, _ = _rows(metrics["methods"])
    assert model["psnr"] > noisy["psnr"] and model["ssim"] > noisy["ssim"]
    unseen = [b for b in metrics["by_iso"] if b["trained"] is False]
    for group in unseen:
        model, noisy, _ = _rows(group["methods"])
        assert model["psnr"] > noisy["psnr"], group["iso"]
    options = json.loads((folder / "options.json").read_text(encoding="utf-8"))
    assert options["model"] == {"name": "mirnet_v2", **MIRNET_CONFIGS["demo"]}
    assert track.load_model(folder / "model.pdparams") is not None


def test_shipped_demo_model_beats_the_best_tuned_classical_denoiser_overall_and_where_it_never_trained():
    # issue 12's bar: on the held-out images, and at every noise level outside the training range
    metrics = _shipped_metrics()
    groups = [("all", metrics["methods"])] + [
        (b["iso"], b["methods"]) for b in metrics["by_iso"] if b["trained"] is False
    ]
    assert len(groups) >= 2
    for label, rows in groups:
        model, noisy, best = _rows(rows)
        assert model["psnr"] > noisy["psnr"] and model["psnr"] > best["psnr"], (label, model, best)


@pytest.mark.xfail(
    strict=True,
    reason="beyond issue 12's bar, not met: the demo model of `make train TRACK=denoise "
    "SCALE=8` (4320 iterations, 240 training scenes; 29.80 dB on test/Data vs tuned skimage NL-means "
    "29.28) wins at ISO 3200 (30.00 vs 29.36) and at the untrained ISO 9600 (26.63 vs 25.52) but "
    "trails NL-means at ISO 800 (32.78 vs 32.95 dB; SSIM 0.911 vs 0.902)",
)
def test_shipped_demo_model_beats_the_tuned_classical_denoisers_at_every_noise_level():
    metrics = _shipped_metrics()
    groups = [("all", metrics["methods"])] + [(b["iso"], b["methods"]) for b in metrics["by_iso"]]
    for label, rows in groups:
        model, noisy, best = _rows(rows)
        assert model["psnr"] > noisy["psnr"] and model["psnr"] > best["psnr"], (label, model, best)


def test_format_table_is_in_chinese():
    from lib.tracks.denoise.baselines import METHODS
    from lib.tracks.denoise.track import METHOD_ZH, format_table

    assert set(METHODS) | {"noisy input", "MIRNetV2"} == set(METHOD_ZH)
    rows = [
        {"method": "noisy input", "params": {}, "psnr": 24.79, "ssim": 0.5621, "seconds_per_image": 0.0},
        {
            "method": "NL-means (skimage)",
            "params": {"h_factor": 3.0},
            "psnr": 29.28,
            "ssim": 0.8152,
            "seconds_per_image": 0.105,
        },
    ]
    header, first, second = format_table(rows).splitlines()
    assert header.split()[:2] == ["方法", "PSNR"] and "每张秒数" in header and "method" not in header
    assert first.startswith("带噪输入") and "24.79" in first
    assert second.startswith("非局部均值（skimage）") and second.rstrip().endswith("h_factor=3")


def test_pipeline_stage_titles_are_in_chinese():
    from lib.tracks.denoise.data import pipeline_stages
    from lib.tracks.denoise.data.teaching import STAGE_ZH

    image = (np.random.default_rng(0).random((16, 16, 3)) * 255).astype(np.uint8)
    stages, _ = pipeline_stages(image, iso=800, seed=0)
    assert list(STAGE_ZH) == list(stages)
    assert all(any(ord(ch) > 0x2E80 for ch in title) for title in STAGE_ZH.values())
