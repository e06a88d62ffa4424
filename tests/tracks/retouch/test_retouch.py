"""Track ``retouch``: options (the source solution's numbers), the loss mix against NumPy, the data generator
(same seed, same bytes; layout; held-out face), validation and the loader of a real download, the
region metrics and baselines against NumPy, and the evaluation table on the smoke data."""

import shutil

import cv2
import numpy as np
import paddle
import pytest

from lib.data.pairs import DataError
from lib.tracks import KNOWN_TRACKS, get_track
from lib.tracks.retouch.data import (
    GT_DIR,
    HOLDOUT,
    IMAGE_DIR,
    check_root,
    ensure_dataset,
    list_pairs,
    load_split,
    make_sample,
    validate_split,
)
from lib.tracks.retouch.evaluate import (
    BASELINES,
    derived_mask,
    detect_blemishes,
    inpaint_baseline,
    quality_checks,
    region_psnr,
    smooth_baseline,
)
from lib.tracks.retouch.loss_mix import LossMix
from lib.train.engine import resolve_options

TRACK = get_track("retouch")


@pytest.fixture(scope="module")
def smoke_root(tmp_path_factory):
    return ensure_dataset("smoke", tmp_path_factory.mktemp("retouch") / "data", seed=0, workers=1)


# ---------------------------------------------------------------------------------------------- options
def test_registered_with_its_modules_and_notebook():
    assert KNOWN_TRACKS["retouch"] == "lib.tracks.retouch"
    assert TRACK.model_name == "gunet" and TRACK.shipped_dir.name == "retouch_gunet_demo"
    assert "08_face_retouching" in TRACK.notebooks


def test_full_profile_is_the_seeds_three_stages():
    cfg = TRACK.config("full")
    opts = resolve_options(TRACK.train_options(cfg), TRACK.task)
    assert opts["stages"] == [{"batch_size": 8, "patch_size": 480, "iters": 160000}]
    phases = opts["phases"]
    assert [p["lr"] for p in phases] == [5e-4, 5e-5, 2e-5]
    assert phases[0]["loss"] == {"name": "loss_mix", "l1": 1.0, "color": 1.0} and "augment" not in phases[0]
    assert phases[1]["loss"] == {"name": "loss_mix", "psnr": 1.0}
    assert set(phases[2]["loss"]) == {"name", "psnr", "msssim"}
    for p in phases[1:]:  # horizontal flips only
        assert p["augment"] == {"rotate": False, "vflip": False}
    assert opts["augment"] == {"flip": True, "rotate": True, "vflip": True}
    spec = TRACK.model_spec(cfg)
    from lib.models.gunet import GUNET_CONFIGS, count_parameters, gunet_from_config

    assert {k: v for k, v in spec.items() if k != "name"} == GUNET_CONFIGS["retouch"]
    assert count_parameters(gunet_from_config(GUNET_CONFIGS["retouch"]), trainable_only=True) == 1_494_838


@pytest.mark.parametrize("profile", ["smoke", "demo", "full"])
def test_every_profile_resolves(profile):
    cfg = TRACK.config(profile)
    opts = resolve_options(TRACK.train_options(cfg), TRACK.task)
    assert opts["best_metric"] == "psnr"
    assert sum(p["iters"] for p in opts["phases"]) == sum(s["iters"] for s in opts["stages"])


# ---------------------------------------------------------------------------------------------- loss mix
def test_loss_mix_matches_numpy():
    rng = np.random.default_rng(0)
    p, t = rng.uniform(0.05, 1, (2, 3, 16, 16)), rng.uniform(0.05, 1, (2, 3, 16, 16))
    l1 = np.abs(p - t).mean()
    cos = (p * t).sum(1) / (np.sqrt((p * p).sum(1)) * np.sqrt((t * t).sum(1)))
    color = (1 - cos).mean()
    neg_psnr = np.mean(10 * np.log10(((p - t) ** 2).mean(axis=(1, 2, 3)) + 1e-8))
    P, T = paddle.to_tensor(p, dtype="float32"), paddle.to_tensor(t, dtype="float32")
    assert float(LossMix(l1=1.0, color=0.5)(P, T)) == pytest.approx(l1 + 0.5 * color, rel=1e-4)
    assert float(LossMix(psnr=2.0)(P, T)) == pytest.approx(2 * neg_psnr, rel=1e-4)
    assert set(LossMix(psnr=0.005, msssim=0.5, msssim_weights=[1.0]).parts(P, T)) == {"psnr", "msssim"}


@pytest.mark.parametrize("kwargs", [{}, {"l1": -1.0}, {"psnr": "1"}])
def test_loss_mix_bad_weights(kwargs):
    with pytest.raises(ValueError, match="loss_mix"):
        LossMix(**kwargs)


# ---------------------------------------------------------------------------------------------- data
def test_layout_and_same_seed_same_bytes(smoke_root, tmp_path):
    assert check_root(smoke_root) == [
        "test_A：2 张图，其中 2 张有 groundtruth",
        "train：4 张图，其中 4 张有 groundtruth",
        "val：2 张图，其中 2 张有 groundtruth",
    ]
    again = ensure_dataset("smoke", tmp_path / "again", seed=0, workers=1)
    other = ensure_dataset("smoke", tmp_path / "other", seed=1, workers=1)
    files = sorted(p.relative_to(smoke_root) for p in smoke_root.rglob("*.png"))
    assert len(files) == 3 * (4 + 2 + 2)
    assert all((again / f).read_bytes() == (smoke_root / f).read_bytes() for f in files)
    assert any((other / f).read_bytes() != (smoke_root / f).read_bytes() for f in files)


def test_held_out_face_and_blemishes_on_skin():
    from lib.tracks.retouch.data import data_options, source_face

    assert HOLDOUT == {"train": "astronaut", "val": "astronaut", "test_A": "grace_hopper"}
    opts = data_options("smoke")
    _, degraded, clean, mask = make_sample(0, "test_A", 0, opts)
    assert degraded.shape == clean.shape == (192, 192, 3) and mask.any()
    # outside the blemishes only the mild K: |J - I| <= k_max * I + 0.5 (lib.tracks.retouch.blemish)
    out = ~mask
    assert np.all(np.abs(degraded.astype(float) - clean)[out] <= 0.12 * clean[out] + 0.5 + 1e-9)
    # the test face is Grace Hopper: its colours match her photo, not the astronaut's (mean hue of the crop)
    grace, astro = source_face("grace_hopper")[0], source_face("astronaut")[0]
    d_grace = np.abs(clean.reshape(-1, 3).mean(0) - grace.reshape(-1, 3).mean(0)).sum()
    d_astro = np.abs(clean.reshape(-1, 3).mean(0) - astro.reshape(-1, 3).mean(0)).sum()
    assert d_grace < d_astro


def test_validation_lists_every_problem(smoke_root, tmp_path):
    split = tmp_path / "train"
    shutil.copytree(smoke_root / "train", split)
    (split / GT_DIR / "00000.png").unlink()  # input without ground truth
    (split / IMAGE_DIR / "notes.txt").write_text("x")  # not an image
    (split / GT_DIR / "00001.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 8)  # corrupt
    small = cv2.imread(str(split / GT_DIR / "00002.png"))[:100]
    cv2.imwrite(str(split / GT_DIR / "00002.png"), small)  # size mismatch
    cv2.imwrite(str(split / GT_DIR / "09999.png"), small)  # ground truth without input
    with pytest.raises(DataError) as info:
        validate_split(split)
    text = str(info.value)
    for part in (
        "image/00000.png: no ground truth",
        "image/notes.txt: not an image",
        "groundtruth/00001.png: unreadable",
        "image/00002.png is 192x192 but groundtruth/00002.png is 192x100",
        "groundtruth/09999.png: no input",
    ):
        assert part in text
    assert "5 problem(s)" in text
    with pytest.raises(DataError, match="split folder not found"):
        validate_split(tmp_path / "nope")


def test_a_real_download_is_read_unchanged(smoke_root, tmp_path):
    """No mask/, no val/, no manifest, JPEG names: pairs by name, validation from the last 10 % of train."""
    root = tmp_path / "download"
    for i, (_name, image, gt) in enumerate(list_pairs(smoke_root / "train")):
        for src, folder in ((image, IMAGE_DIR), (gt, GT_DIR)):
            (root / "train" / folder).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / "train" / folder / f"face_{i}.jpg"), cv2.imread(str(src)))
    (root / "test_A" / IMAGE_DIR).mkdir(parents=True)
    shutil.copy(smoke_root / "test_A" / IMAGE_DIR / "00000.png", root / "test_A" / IMAGE_DIR / "a.png")
    assert check_root(root) == ["test_A：1 张图，其中 0 张有 groundtruth", "train：4 张图，其中 4 张有 groundtruth"]
    data = TRACK.train_data(root)
    assert len(data.train) == 3 and [v[0] for v in data.val] == ["face_3.jpg"]
    rows = load_split(root / "train")
    assert all(m is None for *_, m in rows)  # no stored masks: evaluation derives them


# ---------------------------------------------------------------------------------------------- metrics, baselines
def test_region_psnr_matches_numpy():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8), rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    mask = rng.uniform(size=(20, 30)) < 0.3
    mse = np.mean((a[mask].astype(np.float64) - b[mask]) ** 2)
    assert region_psnr(a, b, mask) == pytest.approx(10 * np.log10(255**2 / mse), rel=1e-12)
    assert region_psnr(a, a, mask) == float("inf")
    assert np.isnan(region_psnr(a, b, np.zeros((20, 30), bool)))
    with pytest.raises(ValueError, match="region_psnr"):
        region_psnr(a, b, mask[:5])
    with pytest.raises(ValueError, match="uint8"):
        region_psnr(a.astype(float), b, mask)


def test_detector_and_inpainting_on_a_painted_spot():
    skin = np.zeros((128, 128, 3), np.uint8)
    skin[:] = (205, 150, 125)  # a flat skin tone
    noise = np.random.default_rng(0).normal(0, 2, skin.shape)
    clean = np.clip(skin + noise, 0, 255).astype(np.uint8)
    spotted = clean.copy()
    cv2.circle(spotted, (64, 64), 3, (120, 70, 60), -1)
    spot = np.zeros((128, 128), bool)
    spot[60:69, 60:69] = True
    full = np.ones((128, 128), bool)
    assert not detect_blemishes(clean, 16, skin=full).any()
    found = detect_blemishes(spotted, 16, skin=full)
    assert found[64, 64] and found.sum() < 200
    assert region_psnr(inpaint_baseline(spotted, 16, 3), clean, spot) > region_psnr(spotted, clean, spot) + 10
    assert smooth_baseline(spotted, 5, 40).shape == spotted.shape
    m = derived_mask(spotted, clean)
    assert m[64, 64] and not m[5, 5]


def test_evaluation_table_on_smoke_data(smoke_root):
    from lib.train.registry import build_model

    model = build_model(TRACK.model_spec(TRACK.config("smoke")))  # zero-initialised head: the identity
    result = TRACK.evaluate(model, "smoke", data=smoke_root)
    rows = {r["method"]: r for r in result["methods"]}
    assert list(rows) == ["input (blemished)", *BASELINES, "RetouchGUNet"]
    for key in ("psnr", "ssim", "ms_ssim", "psnr_inside", "psnr_outside"):
        assert rows["RetouchGUNet"][key] == pytest.approx(rows["input (blemished)"][key], abs=1e-6)
    checks = result["checks"]
    assert checks["outside_ok"] and checks["outside_drop_db"] == pytest.approx(0, abs=1e-6)
    assert checks == quality_checks(result["methods"], 0.5)
    _, inp, gt, mask = load_split(smoke_root / "test_A")[0]
    assert rows["input (blemished)"]["psnr_inside"] < rows["input (blemished)"]["psnr_outside"]
    assert mask is not None and mask.any()


def test_decomposition_ablation_scores_each_map_alone(smoke_root):
    """A head with constant maps K = k, D = d: each row equals the numpy recovery it names."""
    import paddle

    from lib.metrics import region_psnr
    from lib.tracks.retouch.evaluate import ABLATION_OUTPUTS, decomposition_ablation
    from lib.train.registry import build_model

    model = build_model(TRACK.model_spec(TRACK.config("smoke")))
    head = model.outconv.proj[0]
    k, d = np.array([0.05, -0.04, 0.02], "float32"), np.array([0.02, 0.0, -0.03], "float32")
    head.bias.set_value(paddle.to_tensor(np.concatenate([k, d])))
    samples = load_split(smoke_root / "test_A")
    rows = {r["output"]: r for r in decomposition_ablation(model, samples)}
    assert list(rows) == list(ABLATION_OUTPUTS)

    def q(a):  # quantised as the predictions are
        return np.clip(np.rint(a * 255.0), 0, 255).astype(np.uint8)

    for name, recover in zip(
        ABLATION_OUTPUTS, (lambda J: J, lambda J: (J - d) / (1 + k), lambda J: J / (1 + k), lambda J: J - d)
    ):
        outs = [(q(recover(inp.astype(np.float32) / 255.0)), gt, mask) for _, inp, gt, mask in samples]
        assert rows[name]["psnr_inside"] == pytest.approx(np.mean([region_psnr(o, g, m) for o, g, m in outs]), abs=0.05)
        assert rows[name]["psnr_outside"] == pytest.approx(
            np.mean([region_psnr(o, g, ~m) for o, g, m in outs]), abs=0.05
        )
    assert rows["K only: J / (1 + K)"]["psnr_outside"] != rows["D only: J - D"]["psnr_outside"]


def test_crop_box_is_the_densest_window_and_stage_labels():
    from lib.tracks.retouch.viz import blemish_crop_box, stage_labels

    mask = np.random.default_rng(2).uniform(size=(40, 50)) < 0.2
    mask[25:32, 30:38] = True
    size = 10
    sums = {(y, x): mask[y : y + size, x : x + size].sum() for y in range(31) for x in range(41)}
    y, x = blemish_crop_box(mask, size)
    assert mask[y : y + size, x : x + size].sum() == max(sums.values())
    full = resolve_options(TRACK.train_options(TRACK.config("full")), TRACK.task)
    assert stage_labels(full) == ["l1 + color｜全部翻转", "psnr｜只水平翻转", "psnr + msssim｜只水平翻转"]


def test_negatives_are_faceless_scenes_with_only_K():
    from lib.tracks.retouch.data import NEGATIVES, data_options

    opts = {**data_options("smoke"), "negatives": 1.0}
    _, degraded, clean, mask = make_sample(0, "train", 0, opts)
    assert not mask.any() and not np.array_equal(degraded, clean) and degraded.shape == (192, 192, 3)
    assert np.all(np.abs(degraded.astype(float) - clean) <= 0.12 * clean + 0.5 + 1e-9)  # |K| <= k_max
    for split in ("val", "test_A"):  # never outside train
        assert make_sample(0, split, 0, opts)[3].any()
    assert set(NEGATIVES) == {"coffee", "chelsea", "rocket"}


@pytest.mark.slow
def test_budget_v100_estimate_uses_the_course_gpu():
    """One V100 for every estimate: notebook 08's latency and the full schedule's GPU hours
    (lab.check_full.GPU) assume the same peak and efficiency."""
    from lab.check_full import GPU
    from lab.tracks.retouch.budget import budget
    from lib.models.gunet import gunet_from_config

    b = budget(gunet_from_config("retouch-demo"), (48, 48), repeats=1, backends=("dygraph",))
    assert b["v100_efficiency_assumed"] == GPU["efficiency"]
    expected_ms = 1000 * 2 * b["conv_macs"] / (GPU["fp32_peak_flops"] * GPU["efficiency"])
    assert abs(b["v100_ms_estimate"] - expected_ms) < 1e-9


def test_tables_and_figure_labels_are_in_chinese():
    import matplotlib

    matplotlib.use("Agg")
    from lib.tracks.retouch.evaluate import ABLATION_OUTPUTS, METHOD_ZH, format_table, method_zh
    from lib.tracks.retouch.viz import VARIANT_ZH, plot_inside_outside, variant_zh

    assert set(BASELINES) | {"input (blemished)", "RetouchGUNet"} == set(METHOD_ZH)
    assert all(method_zh(o) != o for o in ABLATION_OUTPUTS)
    rows = [
        {
            "method": m,
            "psnr": 34.0,
            "ssim": 0.99,
            "ms_ssim": 0.99,
            "psnr_inside": 21.0,
            "psnr_outside": 38.0,
            "seconds_per_image": 0.04,
        }
        for m in METHOD_ZH
    ]
    table = format_table(rows).splitlines()
    assert table[0].startswith("方法") and "瑕疵内" in table[0] and "method" not in table[0]
    assert [line.split()[0] for line in table[2:]] == ["输入（有瑕疵）", "OpenCV", "双边滤波磨皮", "RetouchGUNet"]
    fig = plot_inside_outside(rows)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == [METHOD_ZH[m] for m in METHOD_ZH]
    assert "旧" in variant_zh("shipped demo (400 iterations, 48 training views)") and len(VARIANT_ZH) == 4
