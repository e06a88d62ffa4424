"""Data analysis and preparation of the blurred-document track (lib.data.analysis, lib.data.prepare).

Tiny pages are drawn here (OpenCV text on paper-grey, a blank margin, blur = Gaussian blur of the
page), in the competition layout, with training pages twice the side of the test pages.
"""

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage.filters import sobel_h, sobel_v

from lib.config import ConfigError
from lib.data.analysis import collect_sizes, mean_gradient, round_factor, size_summary, sobel_abs_mean
from lib.data.pairs import DataError, read_image
from lib.data.prepare import crop_windows, downsample, prepare_patches, read_meta_file, window_starts

TINY = {"patch_size": 64, "stride": 32, "grad_threshold": 10, "val_count": 1, "workers": 1, "downsample": "auto"}


def text_page(height, width, seed, scale=1.0, blank_bottom=0.4):
    """Paper (grey 235 with faint grain) with lines of text in the top part; the bottom
    ``blank_bottom`` share of the page is empty."""
    rng = np.random.default_rng(seed)
    page = np.full((height, width, 3), 235, np.uint8)
    page = np.clip(page + rng.normal(0, 0.5, page.shape), 0, 255).astype(np.uint8)
    step = int(14 * scale)
    for y in range(int(12 * scale), int(height * (1 - blank_bottom)), step):
        words = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz0123456789 "), 40))
        cv2.putText(
            page,
            words,
            (int(6 * scale), y),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.4 * scale,
            (20, 20, 20),
            max(1, int(scale)),
            cv2.LINE_AA,
        )
    return page


def write_rgb(path, rgb):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def make_layout(root, n_train=5, n_test=2, train_hw=(256, 192), test_hw=(128, 96)):
    for i in range(n_train):
        gt = text_page(*train_hw, seed=i, scale=2.0, blank_bottom=0.5)
        write_rgb(root / "train/gt_image" / f"{i:05d}.png", gt)
        write_rgb(root / "train/blur_image" / f"{i:05d}.png", cv2.GaussianBlur(gt, (0, 0), 2.0))
    for i in range(n_test):
        gt = text_page(*test_hw, seed=100 + i)
        write_rgb(root / "test_A/blur_image" / f"{i:05d}.png", cv2.GaussianBlur(gt, (0, 0), 1.0))
    return root


@pytest.fixture
def layout(tmp_path):
    return make_layout(tmp_path / "src")


def run(source, out, **options):
    return prepare_patches("smoke", source=source, out=out, track="deblur", **{**TINY, **options})


def leftovers(out):
    return sorted(p.name for p in out.parent.glob(f".{out.name}.*"))


# ---------------------------------------------------------------- gradient
def test_mean_gradient_matches_scikit_image_and_a_ramp():
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (40, 50)).astype(np.uint8)
    reference = np.hypot(sobel_h(gray.astype(float)), sobel_v(gray.astype(float))).mean()
    assert mean_gradient(gray) == pytest.approx(reference, rel=1e-5)
    ramp = np.tile(np.arange(50, dtype=np.float32) * 3, (40, 1))  # slope 3 per pixel
    gx = cv2.Sobel(ramp, cv2.CV_32F, 1, 0, ksize=3) / 4
    assert np.allclose(gx[:, 1:-1], 6.0)  # the convention: difference of the two neighbours
    rgb = np.dstack([gray] * 3)
    assert mean_gradient(rgb) == pytest.approx(mean_gradient(gray), rel=1e-5)


def test_blank_paper_is_near_zero_and_text_far_above_the_threshold():
    page = text_page(128, 128, seed=0, blank_bottom=0.0)
    blank = np.clip(
        np.full((128, 128, 3), 235.0) + np.random.default_rng(1).normal(0, 0.5, (128, 128, 3)), 0, 255
    ).astype(np.uint8)
    assert mean_gradient(blank) < 1.0
    assert mean_gradient(page) > 20.0


# ---------------------------------------------------------------- windows
@pytest.mark.parametrize(
    "length, patch, stride, expected",
    [
        (10, 4, 2, [0, 2, 4, 6]),
        (10, 4, 3, [0, 3, 6]),
        (11, 4, 3, [0, 3, 6, 7]),
        (4, 4, 2, [0]),
        (3, 4, 2, [0]),
        (1024, 1024, 512, [0]),
        (2000, 1024, 512, [0, 512, 976]),
    ],
)
def test_window_starts(length, patch, stride, expected):
    assert window_starts(length, patch, stride) == expected


@pytest.mark.parametrize(
    "height, width, patch, stride", [(100, 70, 32, 16), (64, 64, 64, 32), (50, 130, 64, 48), (33, 200, 40, 40)]
)
def test_windows_cover_every_pixel_on_the_stride_grid(height, width, patch, stride):
    cover = np.zeros((height, width), int)
    windows = crop_windows(height, width, patch, stride)
    for y, x, h, w in windows:
        assert 0 <= y and y + h <= height and 0 <= x and x + w <= width
        assert h == min(patch, height) and w == min(patch, width)
        cover[y : y + h, x : x + w] += 1
    assert cover.min() >= 1
    ys, xs = sorted({w[0] for w in windows}), sorted({w[1] for w in windows})
    for starts, length in ((ys, height), (xs, width)):
        assert starts[:-1] == list(range(0, stride * (len(starts) - 1), stride)) or len(starts) == 1
        assert starts[-1] == max(0, length - patch)  # the last window is flush with the edge
    assert len(windows) == len(ys) * len(xs)


# ---------------------------------------------------------------- sizes
def test_size_gap_implies_factor_two(layout):
    summary = size_summary(collect_sizes(layout))
    assert summary["train"]["count"] == 5 and summary["test"]["count"] == 2
    assert summary["area_ratio"] == pytest.approx(4.0)
    assert summary["side_ratio"] == pytest.approx(2.0)
    assert summary["factor"] == 2.0


def test_round_factor():
    assert round_factor(1.93) == 2.0
    assert round_factor(2.3) == 2.5
    assert round_factor(1.2) == 1.0
    assert round_factor(0.6) == 1.0  # never upsample
    with pytest.raises(ValueError):
        round_factor(float("nan"))


# ---------------------------------------------------------------- the preparation
def test_patches_are_aligned_crops_of_the_downsampled_pairs(layout, tmp_path):
    result = run(layout, tmp_path / "out")
    assert result.factor == 2.0 and not result.skipped
    rows = result.read_patches()
    split = result.read_split()
    assert split["val"] == ["00004.png"] and split["train"] == [f"0000{i}.png" for i in range(4)]
    assert {r["source"] for r in rows} == set(split["train"])  # no patch of a validation page
    sources = {}
    for row in rows:
        if row["source"] not in sources:
            stem = Path(row["source"]).stem
            # independent reference: cv2.resize to half size with INTER_AREA
            sources[row["source"]] = [
                cv2.resize(read_image(layout / f"train/{d}/{stem}.png"), (96, 128), interpolation=cv2.INTER_AREA)
                for d in ("blur_image", "gt_image")
            ]
        blur_full, gt_full = sources[row["source"]]
        y, x, h, w = row["y"], row["x"], row["height"], row["width"]
        assert row["patch"] == f"{Path(row['source']).stem}_y{y:04d}_x{x:04d}.png"
        blur = read_image(result.train_dir / "blur_image" / row["patch"])
        gt = read_image(result.train_dir / "gt_image" / row["patch"])
        assert np.array_equal(blur, blur_full[y : y + h, x : x + w])
        assert np.array_equal(gt, gt_full[y : y + h, x : x + w])
        assert row["gradient"] == pytest.approx(mean_gradient(gt), abs=1e-3)
    # 128 x 96 downsampled pages, 64 windows, stride 32: 3 x 2 windows per page
    assert len(rows) == 4 * 3 * 2
    # the validation pages are downsampled whole
    val_blur = read_image(result.val_dir / "blur_image" / "00004.png")
    assert val_blur.shape == (128, 96, 3)


def published_gradient(image):
    """The solution's cal_gradient written out with SciPy instead of OpenCV: the 3x3 Sobel correlation per
    channel with reflect-101 borders ("mirror"), |.| rounded half to even and saturated to uint8, the two
    blended half and half and rounded again, the mean over pixels and channels."""
    from scipy.ndimage import correlate

    kernel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64)
    image = np.asarray(image, np.float64)
    channels = [image] if image.ndim == 2 else [image[..., c] for c in range(image.shape[2])]
    blends = []
    for channel in channels:
        gx, gy = (np.clip(np.rint(np.abs(correlate(channel, k, mode="mirror"))), 0, 255) for k in (kernel, kernel.T))
        blends.append(np.clip(np.rint(0.5 * gx + 0.5 * gy), 0, 255))
    return float(np.mean(blends))


@pytest.mark.parametrize("name", ["astronaut", "coffee", "page"])
def test_the_solutions_gradient_score_equals_its_published_formula(name):
    from skimage import data

    image = getattr(data, name)()
    assert sobel_abs_mean(image) == pytest.approx(published_gradient(image), abs=1e-9)


def test_the_solutions_score_filters_patches_when_named(layout, tmp_path):
    course, published = run(layout, tmp_path / "course"), run(layout, tmp_path / "published", gradient="sobel_abs_mean")
    for result, score in ((course, mean_gradient), (published, sobel_abs_mean)):
        for row in result.read_patches()[:5]:
            assert row["gradient"] == pytest.approx(
                score(read_image(result.train_dir / "gt_image" / row["patch"])), abs=1e-4
            )
    # the unnormalised kernel scores text higher: more patches pass the same threshold of 10
    assert published.stats["kept"] >= course.stats["kept"]
    with pytest.raises(ConfigError, match="prepare.gradient must be one of"):
        run(layout, tmp_path / "bad", gradient="sobel")


@pytest.mark.parametrize("shape", [(256, 192, 3), (257, 191, 3)])
def test_the_solutions_linear_shrink_is_its_own_resize_call(shape):
    """prepare.interpolation: linear is the solution's data_preparation.py: cv2.resize(img, None, fx=0.5,
    fy=0.5, interpolation=cv2.INTER_LINEAR) (odd sides included: both round the size the same way)."""
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    theirs = cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_LINEAR)
    assert np.array_equal(downsample(image, 2, "linear"), theirs)
    same_as_area = np.array_equal(downsample(image, 2, "area"), theirs)
    assert same_as_area == (shape[0] % 2 == 0 and shape[1] % 2 == 0)  # equal on even sides only


def test_an_unknown_interpolation_is_a_clear_error(layout, tmp_path):
    with pytest.raises(ConfigError, match="prepare.interpolation must be one of"):
        run(layout, tmp_path / "bad", interpolation="cubic")


def test_meta_file_lists_exactly_the_kept_existing_pairs(layout, tmp_path):
    result = run(layout, tmp_path / "out")
    rows = result.read_patches()
    kept = {r["patch"] for r in rows if r["gradient"] >= 10}
    dropped = {r["patch"] for r in rows if r["gradient"] < 10}
    assert kept and dropped  # the blank bottom of the pages gives patches to drop
    assert all(r["kept"] == (r["gradient"] >= 10) for r in rows)
    pairs = read_meta_file(result.meta_file)
    assert {b.name for b, _ in pairs} == kept
    for blur, gt in pairs:
        assert blur.is_file() and gt.is_file() and blur.name == gt.name
        assert blur.parent.name == "blur_image" and gt.parent.name == "gt_image"
    assert result.stats["kept"] == len(kept) and result.stats["dropped"] == len(dropped)
    assert result.stats["kept_pct"] == pytest.approx(100 * len(kept) / len(rows))
    # the dropped patches are the blank ones: every dropped sharp patch is nearly flat paper
    for name in dropped:
        gt = read_image(result.train_dir / "gt_image" / name).astype(float)
        assert np.percentile(gt, 1) > 150, name  # no dark ink in 99% of its pixels


def test_up_to_date_is_skipped_and_changes_are_redone(layout, tmp_path):
    out = tmp_path / "out"
    first = run(layout, out)
    created = json.loads(first.manifest_file.read_text())["created"]
    second = run(layout, out)
    assert second.skipped and second.stats == first.stats
    assert json.loads(second.manifest_file.read_text())["created"] == created

    source = layout / "train/gt_image/00001.png"
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))  # a touched source file
    assert not run(layout, out).skipped
    assert run(layout, out).skipped
    changed = run(layout, out, grad_threshold=12)  # a changed parameter
    assert not changed.skipped and changed.options["grad_threshold"] == 12
    assert run(layout, out, grad_threshold=12, workers=2).skipped  # the number of processes does not change the output
    assert run(layout, out, grad_threshold=12, force=True).skipped is False
    assert leftovers(out) == []


def test_parallel_workers_give_the_same_result(tmp_path):
    source = make_layout(tmp_path / "src", n_train=10)  # 9 training pages: enough to start 2 processes
    inline = run(source, tmp_path / "inline")
    parallel = run(source, tmp_path / "parallel", workers=2)
    assert inline.read_patches() == parallel.read_patches()
    assert inline.meta_file.read_text() == parallel.meta_file.read_text()


@pytest.mark.slow
def test_cli_prints_the_summary(tmp_path, capsys):
    """``python -m lib.data deblur --prepare`` generates, then prepares through the track."""
    from lib.data.__main__ import main

    assert main(["deblur", "--profile", "smoke", "--out", str(tmp_path / "gen"), "--prepare"]) == 0
    assert "保留" in capsys.readouterr().out


# ---------------------------------------------------------------- bad input
def test_unreadable_image_names_the_file(layout, tmp_path):
    (layout / "train/blur_image/00002.png").write_bytes(b"not a png at all")
    with pytest.raises(DataError, match="00002.png"):
        run(layout, tmp_path / "out")
    assert not (tmp_path / "out").exists() and leftovers(tmp_path / "out") == []


def test_image_truncated_after_its_header_names_the_file(layout, tmp_path):
    path = layout / "train/gt_image/00001.png"
    path.write_bytes(path.read_bytes()[:200])  # the size is still readable, the pixels are not
    with pytest.raises(DataError, match="00001.png"):
        run(layout, tmp_path / "out")
    assert not (tmp_path / "out").exists() and leftovers(tmp_path / "out") == []


def test_pair_of_different_sizes_names_both_files(layout, tmp_path):
    write_rgb(layout / "train/gt_image/00003.png", text_page(250, 192, seed=3))
    with pytest.raises(DataError, match=r"blur_image/00003.png.*gt_image/00003.png"):
        run(layout, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_empty_folder_is_an_error(tmp_path):
    for sub in ("train/blur_image", "train/gt_image", "test_A/blur_image"):
        (tmp_path / "src" / sub).mkdir(parents=True)
    with pytest.raises(DataError, match="no images"):
        run(tmp_path / "src", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_threshold_dropping_every_patch_names_the_setting_and_keeps_the_old_output(layout, tmp_path):
    out = tmp_path / "out"
    good = run(layout, out)
    before = good.manifest_file.read_text()
    with pytest.raises(ConfigError, match="prepare.grad_threshold"):
        run(layout, out, grad_threshold=1000)
    assert good.manifest_file.read_text() == before  # the previous complete folder is untouched
    assert leftovers(out) == []


@pytest.mark.parametrize(
    "options, setting",
    [
        ({"val_count": 5}, "prepare.val_count"),
        ({"stride": 128}, "prepare.stride"),
        ({"patch_size": 0}, "prepare.patch_size"),
        ({"downsample": 0.5}, "prepare.downsample"),
        ({"grad_treshold": 10}, "grad_treshold"),
    ],
)
def test_bad_options_name_the_setting(layout, tmp_path, options, setting):
    with pytest.raises(ConfigError, match=setting):
        run(layout, tmp_path / "out", **options)
    assert not (tmp_path / "out").exists()


def test_meta_file_errors_name_the_line(tmp_path):
    meta = tmp_path / "meta_info.txt"
    meta.write_text("a.png b.png\n")
    with pytest.raises(DataError, match=r"meta_info.txt:1: listed file .*a.png does not exist"):
        read_meta_file(meta)
    meta.write_text("only-one-path\n")
    with pytest.raises(DataError, match=r"meta_info.txt:1: expected"):
        read_meta_file(meta)


def test_downsample_keeps_both_images_of_a_pair_the_same_size():
    a, b = np.zeros((101, 77, 3), np.uint8), np.ones((101, 77, 3), np.uint8)
    assert downsample(a, 2).shape == downsample(b, 2).shape == (50, 38, 3)
    assert downsample(a, 1) is a


def test_without_test_images_the_factor_must_be_given(layout, tmp_path):
    import shutil

    shutil.rmtree(layout / "test_A")
    with pytest.raises(DataError, match="no test images"):
        run(layout, tmp_path / "out")
    result = run(layout, tmp_path / "out", downsample=2)
    assert result.factor == 2.0 and result.stats["patches"] == 4 * 3 * 2


def test_real_download_via_course_data_is_read_not_written(layout, tmp_path, monkeypatch):
    import lib.data.prepare as prepare_module

    monkeypatch.setenv("COURSE_DATA", str(layout))
    monkeypatch.setattr(prepare_module, "DATA_DIR", tmp_path / "data")
    before = sorted((str(p.relative_to(layout)), p.stat().st_mtime_ns) for p in layout.rglob("*"))
    from lib.tracks import get_track

    result = get_track("deblur").prepare("smoke", **TINY)
    assert result.root.parent == tmp_path / "data"
    assert result.root.name.startswith("deblur-smoke-prepared-")  # keyed by the source path
    assert sorted((str(p.relative_to(layout)), p.stat().st_mtime_ns) for p in layout.rglob("*")) == before
    assert result.stats["patches"] == 4 * 3 * 2


# ---------------------------------------------------------------- the full profile's choices
def test_fixed_factor_two_halves_pages_where_auto_would_measure_another(tmp_path):
    """full says downsample: 2 (the winner's cv2.resize(fx=0.5)); auto rounds the measured ratio
    to 0.5 and could give 2.5 on other data, as here (training pages 2.5x the test pages' side)."""
    source = make_layout(tmp_path / "src", train_hw=(240, 180), test_hw=(96, 72))
    assert run(source, tmp_path / "auto").factor == 2.5
    halved = run(source, tmp_path / "two", downsample=2)
    assert halved.factor == 2.0
    assert read_image(halved.val_dir / "gt_image" / "00004.png").shape == (120, 90, 3)
    assert {(r["height"], r["width"]) for r in halved.read_patches()} == {(64, 64)}


def test_all_data_adds_the_validation_pages_as_filtered_crops_not_whole_pages(layout, tmp_path):
    from lib.tracks import get_track

    result = run(layout, tmp_path / "out")
    data = get_track("deblur").train_data(result)
    added = data.all[len(data.train) :]
    assert data.all[: len(data.train)] == data.train
    # independent reference: the validation page halved with INTER_AREA, 64-px windows every 32 px
    page = [
        cv2.resize(read_image(layout / f"train/{d}/00004.png"), (96, 128), interpolation=cv2.INTER_AREA)
        for d in ("blur_image", "gt_image")
    ]
    expected = {
        f"00004_y{y:04d}_x{x:04d}.png": [im[y : y + 64, x : x + 64] for im in page]
        for y in (0, 32, 64)
        for x in (0, 32)
        if mean_gradient(page[1][y : y + 64, x : x + 64]) >= 10
    }
    assert 0 < len(expected) < 6  # the page's blank bottom is dropped like a training page's
    assert sorted(b.name for b, _ in added) == sorted(expected)
    for blur, gt in added:
        assert np.array_equal(read_image(blur), expected[blur.name][0])
        assert np.array_equal(read_image(gt), expected[gt.name][1])
    assert result.stats["val_kept"] == len(expected) and result.stats["val_patches"] == 6
    assert not any(Path(b).parent.parent == result.val_dir for b, _ in data.all)  # no whole page
    assert [name for name, _, _ in data.val] == ["00004.png"]  # validation still scores the whole page
