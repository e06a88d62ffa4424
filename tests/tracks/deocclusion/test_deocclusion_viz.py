"""Notebook 09's figures (lib.tracks.deocclusion.viz) and measurements (lab.tracks.deocclusion.study) on tiny
synthetic inputs: every figure function returns a Figure with the expected axes; the recorded
network inputs are the local repair's own crops; the update counts follow ``d_every``."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from lab.tracks.deocclusion import study as lab
from lib.tracks.deocclusion import viz as dv
from lib.tracks.deocclusion.repair import (
    RepairOptions,
    crop_boxes,
    dilate_mask,
    opencv_inpainter,
    repair_local,
)
from lib.viz import read_training_log, setup_matplotlib

setup_matplotlib()  # the figures' labels are Chinese: the CJK font, as in the notebook


@pytest.fixture
def page():
    rng = np.random.default_rng(0)
    clean = np.full((64, 48, 3), 230, np.uint8)
    clean[8:56:6, 4:44] = 30  # text-like lines
    image = clean.copy()
    mask = np.zeros((64, 48), bool)
    mask[20:34, 10:26] = True
    image[mask] = (rng.integers(120, 200, (int(mask.sum()), 3))).astype(np.uint8)
    pred = np.zeros_like(mask)
    pred[22:36, 12:28] = True
    return image, clean, mask, pred


def _check(fig, n_axes):
    assert isinstance(fig, Figure)
    assert len(fig.axes) == n_axes
    plt.close(fig)


def test_show_samples_and_masks(page):
    image, clean, mask, pred = page
    _check(dv.show_samples([("hand", image, clean, mask), ("object", image, clean, pred)]), 6)
    _check(dv.show_masks([("a", image, mask, pred), ("b", image, mask, mask), ("c", image, mask, pred)]), 9)


def test_mask_errors_colours(page):
    _, _, mask, pred = page
    err = dv.mask_errors(pred, mask)
    assert err.shape == mask.shape + (3,)
    assert np.array_equal(err[pred & mask][0], dv.MASK_COLOURS["both"])
    assert np.array_equal(err[pred & ~mask][0], np.float32(dv.MASK_COLOURS["predicted only"]))
    assert np.array_equal(err[~pred & mask][0], np.float32(dv.MASK_COLOURS["true only"]))
    assert not err[~pred & ~mask].any()


def test_dilation_study_and_plot(page):
    image, clean, mask, pred = page
    rows = lab.dilation_study([(image, clean, mask, pred)], [0, 2, 4], radius=3)
    assert [(r["mask"], r["dilate"]) for r in rows] == [(k, d) for k in ("true", "predicted") for d in (0, 2, 4)]
    assert all(np.isfinite(r["psnr_mask"]) and np.isfinite(r["psnr"]) for r in rows)
    _check(dv.plot_dilation(rows, input_psnr=10.0, chosen=2), 1)


def test_per_photo_comparison_scores_the_model_against_telea(page):
    """An 'inpainter' that paints the hole with the paper colour, at scale 1 without feathering: its
    row is the PSNR of the photo with the dilated mask painted; with an empty predicted mask both
    methods leave the photo as it is and tie."""
    from lib.metrics import region_psnr
    from lib.tracks.deocclusion.repair import PSNR_CAP

    image, clean, mask, pred = page

    def paper(crop, hole):  # an inpainter that fills every hole with paper white
        return np.where(hole[..., None] > 0, np.uint8(230), crop)

    opts = RepairOptions(crop=32, shrink=1, dilate=2, feather=0, min_area=0)
    rows = lab.per_photo_comparison(
        [("a", image, clean, mask, mask), ("b", image, clean, mask, np.zeros_like(pred))], paper, opts, ocv_radius=3
    )
    a, b = rows
    painted = image.copy()
    painted[dilate_mask(mask, 2)] = 230
    assert a["mask model"] == pytest.approx(region_psnr(painted, clean, mask, cap=PSNR_CAP))
    assert a["page model"] == pytest.approx(region_psnr(painted, clean, cap=PSNR_CAP))
    assert a["page model - Telea"] == a["page model"] - a["page Telea"] and a["mask Telea"] > region_psnr(
        image, clean, mask
    )
    assert b["predicted %"] == 0 and b["page model - Telea"] == 0
    assert b["page model"] == pytest.approx(region_psnr(image, clean, cap=PSNR_CAP))


def test_network_inputs_are_the_repairs_crops(page):
    image, clean, mask, _ = page
    opts = RepairOptions(crop=32, shrink=2, dilate=2, feather=2)
    seen = lab.network_inputs(image, mask, opts)
    assert [b for b, _, _ in seen] == crop_boxes(dilate_mask(mask, 2), opts)
    box, small, hole = seen[0]
    assert small.shape == (16, 16, 3) and hole.shape == (16, 16) and hole.any()
    assert lab.shrink_like(clean, box, hole.shape).shape == small.shape
    inpaint = opencv_inpainter("telea", 3)
    _check(
        dv.show_coarse_refined(
            small, hole, inpaint(small, hole), inpaint(small, hole), lab.shrink_like(clean, box, hole.shape)
        ),
        4,
    )
    out = repair_local(image, mask, inpaint, opts)
    _check(dv.show_repair({"input": image, "local": out, "clean": clean}, [box], box), 6)


def test_update_counts_follow_d_every():
    options = {"phases": [{"iters": 6, "d_every": 1}, {"iters": 9, "d_every": 3}]}
    counts = lab.update_counts(options)
    assert counts["boundaries"] == [6]
    assert int(counts["discriminator"][-1]) == 6 + 3 and int(counts["generator"][-1]) == 15
    assert [r["D updates"] for r in counts["phases"]] == [6, 3]
    assert [r["G : D"] for r in counts["phases"]] == [1.0, 3.0]


def test_gan_schedule_and_log_figures(tmp_path):
    from lib.tracks import get_track
    from lib.train import resolve_options

    track = get_track("deocclusion")
    options = resolve_options(track.train_options(track.config("smoke")), track.task)
    _check(dv.plot_gan_schedule(options, lab.update_counts(options), "smoke"), 2)
    log = tmp_path / "log.csv"
    log.write_text(
        "iteration,stage,phase,loss,l1,gan,d_loss,lr,psnr,psnr_hole,seconds\n"
        "1,0,0,9,0.2,0.1,2.0,1e-4,,,0.1\n2,0,0,8,0.2,0.1,1.9,1e-4,,,0.2\n"
        "2,0,0,,,,,,12.0,5.0,0.3\n3,0,1,7,0.1,0.1,,1e-4,,,0.4\n4,0,1,6,0.1,0.1,1.8,1e-4,,,0.5\n"
        "4,0,1,,,,,,13.0,6.5,0.6\n",
        encoding="utf-8",
    )
    rows = read_training_log(log)
    assert lab.phase_ends(rows) == [
        {"phase": 0, "iteration": 2, "psnr_hole": 5.0},
        {"phase": 1, "iteration": 4, "psnr_hole": 6.5},
    ]
    _check(dv.plot_gan_log(rows, [2], "tiny"), 2)


def test_scaled_phases_keep_proportions_and_keys():
    phases = [{"iters": 300, "d_every": 1}, {"iters": 100, "d_every": 3}]
    assert lab.scaled_phases(phases, 12) == [{"iters": 9, "d_every": 1}, {"iters": 3, "d_every": 3}]
    assert lab.scaled_phases([{"iters": 4}], 40) == [{"iters": 40}]
    with pytest.raises(ValueError):
        lab.scaled_phases(phases, 1)


def test_time_pipeline_uses_the_given_mask(page):
    import paddle

    image, _, mask, _ = page

    def segmenter(x):  # says 'page' everywhere: the predicted mask is empty
        return paddle.concat([paddle.ones([1, 1, *x.shape[2:]]), paddle.zeros([1, 1, *x.shape[2:]])], axis=1)

    opts, inpaint = RepairOptions(crop=32, shrink=2, dilate=2, feather=2), opencv_inpainter("telea", 3)
    empty = lab.time_pipeline(segmenter, inpaint, image, (32, 24), opts)
    assert empty["crops"] == 0 and empty["masked %"] == 0.0
    given = lab.time_pipeline(segmenter, inpaint, image, (32, 24), opts, mask=mask)
    assert given["crops"] == 1 and given["masked %"] == pytest.approx(100 * mask.mean())
    assert given["total_s"] >= given["repair_s"] and given["megapixels"] == pytest.approx(64 * 48 / 1e6)


def test_occluded_band_and_lines_cer():
    mask = np.zeros((50, 30), bool)
    mask[20:25, 5:9] = True
    assert lab.occluded_band(mask, margin=3) == (17, 28)
    assert lab.occluded_band(mask, margin=30) == (0, 50)
    with pytest.raises(ValueError, match="empty"):
        lab.occluded_band(np.zeros((4, 4), bool))

    class FakeEngine:  # reads a band as the digits of its rows' mean brightness
        def read(self, image):
            return "".join(str(int(v) % 10) for v in image.mean(axis=(1, 2)))

    gt = np.tile(np.arange(50, dtype=np.uint8)[:, None, None], (1, 30, 3))
    broken = gt.copy()
    broken[20:25] = 0
    rates = lab.occluded_lines_cer(FakeEngine(), {"clean": gt, "broken": broken}, gt, mask, margin=0)
    assert rates["clean"] == 0 and rates["broken"] == pytest.approx(4 / 5) and rates["reference_characters"] == 5


def test_mask_legend_names_every_colour_in_chinese():
    fig = dv.show_masks([("a", np.zeros((8, 8, 3), np.uint8), np.ones((8, 8), bool), np.zeros((8, 8), bool))])
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    plt.close(fig)
    assert texts == [dv.MASK_LABELS[k] for k in dv.MASK_COLOURS] == ["两者都有", "只在预测中", "只在真实中"]


def test_sample_panels_and_gan_legends_are_chinese(tmp_path):
    from lib.tracks import get_track
    from lib.train import resolve_options

    def texts(fig):
        found = [ax.get_title() for ax in fig.axes]
        found += [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
        plt.close(fig)
        return found

    image = np.zeros((8, 8, 3), np.uint8)
    titles = texts(dv.show_samples([("hand", image, image, np.zeros((8, 8), bool))]))
    assert titles == ["hand：遮挡照片", "掩码（遮挡 0.0 %）", "干净页面（真值）"]
    track = get_track("deocclusion")
    options = resolve_options(track.train_options(track.config("smoke")), track.task)
    legends = texts(dv.plot_gan_schedule(options, lab.update_counts(options)))
    assert {"生成器的学习率", "判别器的学习率"} <= set(legends)
    rows = [{"iteration": 1, "l1": 0.2, "d_loss": 1.0, "psnr_hole": None}]
    assert {"L1（生成器）", "判别器 hinge"} <= set(texts(dv.plot_gan_log(rows)))
