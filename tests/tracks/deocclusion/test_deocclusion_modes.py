"""Notebook 09's comparison of the repair modes (lab.tracks.deocclusion.study.compare_repair_modes): the solution's
one crop per photo against the course's crop per component with feathering, on a page with two red occluders far
apart and a segmenter that finds red; the time per photo of each method and the headline against the best
classical method; the Chinese labels of the lab's tables."""

import numpy as np
import pytest

from lab.tracks.deocclusion import study as lab
from lib.metrics import region_psnr
from lib.tracks.deocclusion.repair import PSNR_CAP, RepairOptions

PAPER, RED = 230, (220, 20, 20)


def red_finder(x):
    """A segmentation runner: N x 3 x h x w in [0, 1] -> two logits; occluder where red exceeds green by 0.5."""
    score = (x[:, 0] - x[:, 1] - 0.5)[:, None]
    return np.concatenate([np.zeros_like(score), score], axis=1)


def paper(crop, hole):  # an inpainter that knows the page is paper white
    return np.where(hole[..., None], np.uint8(PAPER), crop)


@pytest.fixture
def two_occluders():
    clean = np.full((96, 64, 3), PAPER, np.uint8)
    clean[6:90:8, 4:60] = 40  # text-like lines
    true = np.zeros((96, 64), bool)
    true[8:24, 6:22] = True  # top left
    true[70:86, 42:58] = True  # bottom right: no 32-px crop holds both
    image = clean.copy()
    image[true] = RED
    seal = clean.copy()
    seal[44:48, 30:34] = RED  # a 4 x 4 red seal on a page nothing covers
    return image, clean, true, seal


OPTS = RepairOptions(crop=32, shrink=1, dilate=2, feather=1, min_area=100, mode="components")


def test_one_crop_repairs_one_occluder_and_components_both(two_occluders):
    image, clean, true, seal = two_occluders
    modes = lab.repair_modes(OPTS, one_crop_seg_dilate=1)
    assert modes["components"] is OPTS and modes["one_crop"].mode == "one_crop"
    assert (modes["one_crop"].dilate, modes["one_crop"].feather, modes["one_crop"].min_area) == (0, 0, 0)
    rows = lab.compare_repair_modes(red_finder, paper, [(image, clean, true)], [clean, seal], (48, 32), modes)
    one, comp = rows
    assert [r["mode"] for r in rows] == ["one_crop", "components"]
    assert one["crops per photo"] == 1 and comp["crops per photo"] == 2
    # one_crop leaves the other occluder exactly as it was: about half of the true mask's pixels
    assert 40 < one["untouched %"] < 60 and comp["untouched %"] == 0
    assert comp["psnr_mask"] > one["psnr_mask"] + 3 and comp["psnr"] > one["psnr"]
    # the seal: one_crop has no min_area and repairs it, components drops the small component
    assert one["clean pages changed"] == 1 and comp["clean pages changed"] == 0 and one["clean pages"] == 2
    # the scores are those of the pipeline's own output
    from lib.tracks.deocclusion.repair import page_mask, repair_page

    out = repair_page(image, page_mask(red_finder, image, (48, 32), OPTS), paper, OPTS)
    assert comp["psnr_mask"] == pytest.approx(region_psnr(out, clean, true, cap=PSNR_CAP))
    assert comp["seconds per photo"] > 0


def test_repair_modes_switch_on_the_courses_components_where_the_profile_runs_one_crop():
    full = RepairOptions(crop=1536, shrink=6, dilate=0, feather=0, min_area=0, mode="one_crop", seg_dilate=4)
    modes = lab.repair_modes(full, 4)
    assert modes["one_crop"] == full
    comp = modes["components"]
    assert (comp.mode, comp.dilate, comp.feather, comp.min_area, comp.seg_dilate) == ("components", 15, 8, 400, 0)
    assert (comp.crop, comp.shrink) == (1536, 6)


def test_time_pipeline_follows_the_repair_mode(two_occluders):
    image = two_occluders[0]
    one = lab.time_pipeline(red_finder, paper, image, (48, 32), lab.repair_modes(OPTS, 1)["one_crop"])
    comp = lab.time_pipeline(red_finder, paper, image, (48, 32), OPTS)
    assert one["crops"] == 1 and comp["crops"] == 2


def test_time_methods_and_the_headline_against_the_best_classical_method(two_occluders):
    image = two_occluders[0]
    seconds = lab.time_methods(red_finder, paper, [image, image], (48, 32), OPTS, ocv_radius=3)
    assert set(seconds) == {"segmentation", "DeepFillv2 (local repair)", "OpenCV Telea", "OpenCV Navier-Stokes"}
    assert all(seconds[m] >= seconds["segmentation"] > 0 for m in seconds)
    methods = [
        {"method": "occluded input", "psnr": 20.0, "psnr_mask": 8.0},
        {"method": "OpenCV Telea", "psnr": 28.0, "psnr_mask": 12.0},
        {"method": "OpenCV Navier-Stokes", "psnr": 27.0, "psnr_mask": 12.5},
        {"method": "DeepFillv2 (local repair)", "psnr": 29.0, "psnr_mask": 13.0},
    ]
    best = lab.headline(methods)
    assert best["best_classical"] == "OpenCV Navier-Stokes" and best["difference"] == pytest.approx(0.5)
    assert lab.headline(methods, "psnr")["best_classical"] == "OpenCV Telea"
    with pytest.raises(KeyError, match="lacks"):
        lab.headline(methods[:2])


def test_frame_zh_names_columns_and_methods_in_chinese():
    frame = lab.frame_zh(
        [
            {"method": "OpenCV Telea", "psnr": 1.0, "psnr_mask": 2.0},
            {"method": "occluded input", "psnr": 0, "psnr_mask": 0},
        ]
    )
    assert list(frame.columns) == ["方法", "整页 PSNR", "掩码内 PSNR"]
    assert list(frame["方法"]) == ["OpenCV Telea", "遮挡输入"]
    modes = lab.frame_zh([{"mode": "one_crop"}, {"mode": "components"}])
    assert list(modes["修复方式"]) == [lab.MODE_NAMES_ZH["one_crop"], lab.MODE_NAMES_ZH["components"]]
    # every column the lab's tables produce has a Chinese label (ASCII-only names would be English)
    keys = ["split", "category", "photos", "occluded %", "untouched %", "crops per photo", "seconds per photo",
            "clean pages changed", "test-time flip", "recall", "page model - Telea", "G updates", "G : D",
            "segmentation_s", "seconds_per_megapixel", "masked %"]  # fmt: skip
    assert all(any(ord(ch) > 127 for ch in lab.zh(k)) for k in keys)


def test_activation_count_and_memory_estimate():
    import paddle

    net = paddle.nn.Sequential(paddle.nn.Conv2D(3, 4, 3, padding=1), paddle.nn.ReLU(), paddle.nn.Conv2D(4, 2, 1))
    assert lab.activation_elements(net, paddle.zeros([1, 3, 8, 8])) == (4 + 4 + 2) * 64
    assert lab.activation_elements(net, paddle.zeros([2, 3, 8, 8])) == 2 * (4 + 4 + 2) * 64
    assert lab.training_memory_gib(2**26, 0, 8, False) == 1.0  # 16 bytes a weight: itself, its gradient, two moments
    assert lab.training_memory_gib(0, 2**28, 2, amp=False) == 2 * lab.training_memory_gib(0, 2**28, 2, amp=True) == 2.0


def test_model_origin_names_the_shipped_and_the_learners_models():
    from lib.paths import PUBLISHED_DIR, RUNS_DIR
    from lib.tracks import get_track

    track = get_track("deocclusion")
    assert lab.model_origin_zh(track, track.shipped_dir / "model.pdparams").startswith("附带模型（checkpoints/")
    assert lab.model_origin_zh(track, PUBLISHED_DIR / "deocclusion_deepfillv2_demo" / "model.pdparams").startswith(
        "你自己训练并发布的模型（runs/published/"
    )
    assert "现场短训练" in lab.model_origin_zh(track, lab.short_run_dir("deocclusion", "smoke") / "best.pdparams")
    assert lab.model_origin_zh(track, RUNS_DIR / "train" / "deocclusion-demo" / "best.pdparams").startswith(
        "你自己训练中"
    )
    assert lab.model_origin_zh(track, "/tmp/x.pdparams") == "另一个检查点（/tmp/x.pdparams）"


def test_text_zh_translates_what_evaluate_records():
    assert lab.text_zh("test_A (16 photos)") == "test_A（16 张照片）"
    assert lab.text_zh("predicted (DeepLabV3)") == "预测掩码（DeepLabV3）"
    assert lab.text_zh("true (no trained segmenter)") == "真实掩码（没有训练好的分割模型）"
    assert lab.text_zh("test_A") == "test_A"
