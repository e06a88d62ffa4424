"""The blurred-document sample-data generator (lib.tracks.deblur.data, pages, degrade, fonts)."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from deblur_sample import TINY, all_files, fake_extra_fonts, make

from lib.config import ConfigError
from lib.data import DataError, degrade, fonts, list_pairs, read_image, validate_pairs
from lib.data.__main__ import main as cli
from lib.tracks.deblur import data as deblur
from lib.tracks.deblur.data import ensure_dataset

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return make(tmp_path_factory.mktemp("gen") / "set")


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)))


def reblur(gt_u8: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """gt convolved with the recorded kernel (scipy, float64), independently of lib.data.degrade."""
    from scipy.ndimage import convolve

    linear = (gt_u8.astype(np.float64) / 255.0) ** 2.2
    out = np.stack(
        [convolve(linear[:, :, c], kernel.astype(np.float64), mode="reflect") for c in range(linear.shape[2])], axis=2
    )
    return np.clip(out, 0, 1) ** (1 / 2.2)


# ------------------------------------------------------------------ layout and content
def test_layout_names_and_files(tiny):
    assert validate_pairs(tiny / "train") and validate_pairs(tiny / "test_A")
    for split, n in (("train", 3), ("test_A", 2)):
        names = [f"{i:05d}" for i in range(1, n + 1)]
        for folder in ("blur_image", "gt_image"):  # images only
            assert sorted(p.name for p in (tiny / split / folder).iterdir()) == [f"{s}.png" for s in names]
        assert sorted(p.name for p in (tiny / split / "text").iterdir()) == [f"{s}.txt" for s in names]
        assert sorted(p.name for p in (tiny / split / "meta").iterdir()) == sorted(
            [f"{s}.json" for s in names] + [f"{s}_kernel.npy" for s in names]
        )
        for s in names:
            text = (tiny / split / "text" / f"{s}.txt").read_text(encoding="utf-8")
            assert len(text.strip()) > 20, (split, s)
            meta = json.loads((tiny / split / "meta" / f"{s}.json").read_text(encoding="utf-8"))
            assert meta["size"] == list(read_image(tiny / split / "gt_image" / f"{s}.png").shape[1::-1])
            assert meta["fonts"] and meta["kernel"] and 70 <= meta["jpeg_quality"] <= 95
            assert [line["text"] for line in meta["lines"]] == text.splitlines()
    manifest = json.loads((tiny / "manifest.json").read_text())
    assert manifest["counts"] == {"train": 3, "test_A": 2, "heldout": 2, "scans": 2} and manifest["seed"] == 0
    assert len(manifest["files"]) == 5 * 5 + 2 * 5 + 2 * 4  # scans have no text file


def test_heldout_pages_use_only_heldout_fonts_and_shake_blur(tiny):
    train_fonts = {f.name for f in (*fonts.discover_fonts().latin, *fonts.discover_fonts().cjk)}
    assert not train_fonts & fonts.HELDOUT_FAMILIES
    seen_train, seen_heldout = set(), set()
    for split in ("train", "test_A", "heldout"):
        for meta_path in (tiny / split / "meta").glob("*.json"):
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            families = {re.sub(r" (Bold|\(faux bold\))$", "", f) for f in meta["fonts"]}
            kinds = {part["type"] for part in meta["kernel"]}
            if split == "heldout":
                seen_heldout |= families
                assert families <= fonts.HELDOUT_FAMILIES and "shake" in kinds, (meta_path, families)
            else:
                seen_train |= families
                assert "shake" not in kinds, meta_path
    assert seen_heldout and not seen_train & fonts.HELDOUT_FAMILIES


def test_scans_are_the_real_page_at_one_and_two_times(tiny):
    from skimage import data

    pairs = list_pairs(tiny / "scans")
    assert [name for name, _, _ in pairs] == ["00001.png", "00002.png"]
    one, two = read_image(pairs[0][2]), read_image(pairs[1][2])
    np.testing.assert_array_equal(one[:, :, 0], data.page())
    assert two.shape[:2] == (2 * one.shape[0], 2 * one.shape[1])
    for _, blur, gt in pairs:
        assert psnr(read_image(blur), read_image(gt)) < 30  # really blurred


def test_train_pages_are_twice_the_test_size(tiny):
    train = [read_image(b).shape[:2] for _, b, _ in list_pairs(tiny / "train")]
    test = [read_image(b).shape[:2] for _, b, _ in list_pairs(tiny / "test_A")]
    assert all(max(s) == 192 for s in test) and all(max(s) == 384 for s in train)
    ratio = np.median([max(s) for s in train]) / np.median([max(s) for s in test])
    assert 1.9 <= ratio <= 2.1


def test_pairs_are_pixel_aligned(tiny):
    """gt blurred with the recorded kernel reproduces the blurred image up to noise and JPEG, and
    no 1-pixel shift of it fits better (no offset between gt and blur)."""
    for split in ("train", "test_A", "heldout", "scans"):
        for name, blur_path, gt_path in list_pairs(tiny / split):
            blur = read_image(blur_path) / 255.0
            gt = read_image(gt_path)
            kernel = np.load(tiny / split / "meta" / f"{Path(name).stem}_kernel.npy")
            rep = reblur(gt, kernel)
            inner = (slice(2, -2), slice(2, -2))
            aligned = psnr(rep[inner], blur[inner])
            assert aligned > psnr(gt / 255.0, blur) + 8, (split, name)
            shifted = [
                psnr(np.roll(rep, (dy, dx), axis=(0, 1))[inner], blur[inner])
                for dy in (-1, 0, 1)
                for dx in (-1, 0, 1)
                if dy or dx
            ]
            assert aligned > max(shifted), (split, name, aligned, shifted)
            if split in ("test_A", "heldout"):  # little noise at test scale: a 1-px shift is far worse
                assert aligned > max(shifted) + 5, (split, name, aligned, shifted)


def test_blur_lowers_sharpness(tiny):
    for split in ("train", "test_A"):
        for name, blur_path, gt_path in list_pairs(tiny / split):

            def lap_var(path):
                return cv2.Laplacian(cv2.cvtColor(read_image(path), cv2.COLOR_RGB2GRAY), cv2.CV_64F).var()

            assert lap_var(blur_path) < 0.6 * lap_var(gt_path), (split, name)


# ------------------------------------------------------------------ determinism
def test_same_seed_same_bytes_other_seed_differs(tiny, tmp_path):
    again = make(tmp_path / "again")
    assert all_files(again) == all_files(tiny)
    other = make(tmp_path / "other", seed=1)

    def gts(root):
        return [p.read_bytes() for p in sorted((root / "train" / "gt_image").iterdir())]

    assert all(a != b for a, b in zip(gts(other), gts(tiny)))
    assert (
        json.loads((other / "manifest.json").read_text())["combined_sha256"]
        != json.loads((tiny / "manifest.json").read_text())["combined_sha256"]
    )


@pytest.mark.slow
def test_worker_count_does_not_change_bytes(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(deblur, "SINGLE_PROCESS_PIXELS", 0)  # really use two processes
    two = ensure_dataset("smoke", tmp_path / "two", seed=0, workers=2, options=TINY)
    assert all_files(two) == all_files(tiny)


# ------------------------------------------------------------------ fonts
def test_latin_only_pages_without_cjk_font(tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "find_cjk_fonts", lambda: [])
    monkeypatch.setattr(fonts, "_warned_no_cjk", False)
    with pytest.warns(RuntimeWarning, match="LATIN-ONLY"):
        root = make(tmp_path / "latin", options={"n_train": 2, "n_test": 2})
    for text in root.rglob("text/*.txt"):
        content = text.read_text(encoding="utf-8")
        assert content.strip() and not CJK.search(content), text
    for meta in root.rglob("meta/*.json"):
        assert json.loads(meta.read_text(encoding="utf-8"))["page"]["language"] == "en"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per process, not on every call
        fonts.discover_fonts()


def test_cjk_fonts_are_found_and_used(tiny):
    found = fonts.find_cjk_fonts()
    assert len(found) >= 2, "mplfonts should provide several Chinese fonts"
    texts = "".join(p.read_text(encoding="utf-8") for p in tiny.rglob("text/*.txt"))
    assert CJK.search(texts)


# ------------------------------------------------------------------ kernels vs analytic references
def _moments(k):
    c = k.shape[0] // 2
    yy, xx = np.mgrid[-c : c + 1, -c : c + 1]
    return yy, xx, (k * xx).sum(), (k * yy).sum()


@pytest.mark.parametrize(
    "kernel",
    [
        degrade.disk_kernel(3.3),
        degrade.gaussian_kernel(1.7),
        degrade.motion_kernel(7.5, 33.0),
        degrade.combine([degrade.disk_kernel(2.2), degrade.motion_kernel(5, 100)]),
    ],
)
def test_kernels_are_centred_normalised_odd(kernel):
    assert kernel.shape[0] == kernel.shape[1] and kernel.shape[0] % 2 == 1
    assert abs(kernel.sum() - 1) < 1e-9 and kernel.min() >= 0
    np.testing.assert_allclose(kernel, kernel[::-1, ::-1], atol=1e-12)  # correlation == convolution
    _, _, mx, my = _moments(kernel)
    assert abs(mx) < 1e-9 and abs(my) < 1e-9


@pytest.mark.parametrize(
    "kernel", [degrade.gaussian_kernel(1.7, aspect=2.0, angle_deg=30.0), degrade.motion_kernel(7.5, 33.0, decay=2.5)]
)
def test_elliptical_and_slowing_kernels_are_centred_normalised_odd(kernel):
    assert kernel.shape[0] == kernel.shape[1] and kernel.shape[0] % 2 == 1
    assert abs(kernel.sum() - 1) < 1e-9 and kernel.min() >= 0
    _, _, mx, my = _moments(kernel)
    assert abs(mx) < 1e-6 and abs(my) < 1e-6


def test_elliptical_gaussian_has_its_two_widths():
    sigma, aspect, angle = 2.0, 2.0, 30.0
    k = degrade.gaussian_kernel(sigma, aspect, angle)
    yy, xx, _, _ = _moments(k)
    a = np.radians(angle)
    along, across = xx * np.cos(a) - yy * np.sin(a), xx * np.sin(a) + yy * np.cos(a)
    assert abs((k * along**2).sum() - sigma**2) < 0.05
    assert abs((k * across**2).sum() - (sigma / aspect) ** 2) < 0.05


def test_slowing_streak_is_asymmetric_along_its_line():
    k = degrade.motion_kernel(9.0, 0.0, decay=3.0)
    c = k.shape[0] // 2
    row = k[c]
    assert 0.5 * np.abs(k - k[::-1, ::-1]).sum() > 0.1  # not centrally symmetric
    assert row[c + 2] > 2 * row[c - 2]  # more exposure where it slows down
    assert k[: c - 1].sum() < 1e-9 and k[c + 2 :].sum() < 1e-9  # still a horizontal streak


def test_shake_kernel_is_centred_normalised_and_not_symmetric():
    rng = np.random.default_rng(3)
    moved = []  # share of the weight that a 180-degree turn moves: 0 for a symmetric kernel
    for _ in range(8):
        length = rng.uniform(4, 9)
        k = degrade.shake_kernel(rng, length)
        assert k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1
        assert abs(k.sum() - 1) < 1e-9 and k.min() >= 0
        _, _, mx, my = _moments(k)
        assert abs(mx) < 1e-9 and abs(my) < 1e-9  # centroid on the centre pixel
        assert k.shape[0] <= 2 * length + 5  # no farther than the path length
        moved.append(0.5 * np.abs(k - k[::-1, ::-1]).sum())
    assert np.mean(moved) > 0.1 and max(moved) > 0.3, moved  # curved paths: mostly not symmetric


def test_kernel_shapes_match_their_definitions():
    r = 3.3
    disk = degrade.disk_kernel(r)
    assert abs((disk > 0).sum() - np.pi * r * r) < 2 * np.pi * r  # support ~ disk area (+ rim)
    assert abs(disk.max() * np.pi * r * r - 1) < 0.05  # flat inside
    sigma = 1.7
    yy, xx, _, _ = _moments(g := degrade.gaussian_kernel(sigma))
    assert abs((g * xx**2).sum() - sigma**2) < 0.01
    length, angle = 7.5, 33.0
    m = degrade.motion_kernel(length, angle)
    yy, xx, _, _ = _moments(m)
    a = np.radians(angle)
    along = xx * np.cos(a) - yy * np.sin(a)  # image y points down
    across = xx * np.sin(a) + yy * np.cos(a)
    assert abs((m * along**2).sum() - length**2 / 12) < 0.3  # uniform segment variance
    assert (m * across**2).sum() < 0.2


def test_kernel_combination_is_a_full_convolution():
    from scipy.signal import convolve2d

    rng = np.random.default_rng(1)
    a, b = rng.random((5, 7)), rng.random((9, 3))
    np.testing.assert_allclose(degrade.convolve_full(a, b), convolve2d(a, b, mode="full"), atol=1e-12)


def test_blur_in_linear_light_matches_reference():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    k = degrade.disk_kernel(2.5).astype(np.float32)
    np.testing.assert_allclose(degrade.apply_blur(img, k), reblur(img, k), atol=1e-5)
    shake = degrade.shake_kernel(rng, 7.0).astype(np.float32)  # not symmetric: a true convolution
    np.testing.assert_allclose(degrade.apply_blur(img, shake), reblur(img, shake), atol=1e-5)


# ------------------------------------------------------------------ skip, force, atomicity
@pytest.mark.slow
def test_up_to_date_is_skipped_and_force_regenerates(tmp_path, capsys):
    root = make(tmp_path / "set", options={"n_train": 1, "n_test": 1})
    stamp = (root / "manifest.json").stat().st_mtime_ns
    capsys.readouterr()
    start = time.perf_counter()
    make(tmp_path / "set", options={"n_train": 1, "n_test": 1})
    assert time.perf_counter() - start < 1.0
    assert "已是最新" in capsys.readouterr().out
    assert (root / "manifest.json").stat().st_mtime_ns == stamp
    make(tmp_path / "set", options={"n_train": 1, "n_test": 2})  # other options: regenerated
    assert len(list((root / "test_A" / "blur_image").iterdir())) == 2
    stamp = (root / "manifest.json").stat().st_mtime_ns
    make(tmp_path / "set", options={"n_train": 1, "n_test": 2}, force=True)
    assert (root / "manifest.json").stat().st_mtime_ns != stamp
    (root / "train" / "gt_image" / "00001.png").unlink()  # a file went missing: regenerated
    make(tmp_path / "set", options={"n_train": 1, "n_test": 2})
    assert (root / "train" / "gt_image" / "00001.png").is_file()


def test_leftover_temp_folder_is_not_a_complete_set(tmp_path):
    stale = tmp_path / ".set.tmp-999999999"  # an interrupted run (no such process)
    (stale / "train" / "blur_image").mkdir(parents=True)
    (stale / "manifest.json").write_text("{}")
    root = make(tmp_path / "set", options={"n_train": 1, "n_test": 1})
    assert (root / "manifest.json").is_file() and validate_pairs(root / "train")
    assert not stale.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["set"]


def test_interrupted_run_leaves_nothing_that_looks_complete(tmp_path, monkeypatch):
    calls = []

    def failing(job):
        calls.append(job)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(job)

    original = deblur.make_page
    monkeypatch.setattr(deblur, "make_page", failing)
    with pytest.raises(KeyboardInterrupt):
        make(tmp_path / "set", options={"n_train": 2, "n_test": 1})
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_a_folder_it_did_not_write(tmp_path):
    foreign = tmp_path / "download"
    (foreign / "train").mkdir(parents=True)
    with pytest.raises(DataError, match="refusing"):
        make(foreign)
    assert (foreign / "train").is_dir()


# ------------------------------------------------------------------ options, COURSE_DATA, CLI
def test_bad_options_are_named():
    with pytest.raises(ConfigError, match="n_trian"):
        deblur.data_options("smoke", {"n_trian": 3})
    with pytest.raises(ConfigError, match="jpeg_quality"):
        deblur.data_options("smoke", {"jpeg_quality": [95, 70]})
    with pytest.raises(ConfigError, match="test_long_side"):
        deblur.data_options("smoke", {"test_long_side": 0})


def test_profiles_keep_train_twice_test():
    for profile in ("smoke", "demo", "full"):
        opts = deblur.data_options(profile)
        assert opts["train_scale"] == 2.0 and opts["n_train"] > opts["n_test"] > 0


def test_course_data_is_used_as_is(tmp_path, monkeypatch):
    real = tmp_path / "real"
    (real / "train").mkdir(parents=True)
    monkeypatch.setenv("COURSE_DATA", str(real))
    assert ensure_dataset("smoke") == real
    assert list(real.iterdir()) == [real / "train"]  # nothing generated into a download
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "missing"))
    with pytest.raises(DataError, match="missing"):
        ensure_dataset("smoke")


@pytest.mark.slow
def test_cli_generates_and_checks(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(
        deblur,
        "data_options",
        lambda profile, overrides=None: {
            **TINY,
            "n_train": 1,
            "n_test": 1,
            "n_heldout": 1,
            "n_scans": 0,
            "train_scale": 2.0,
            "jpeg_quality": [70, 95],
        },
    )
    assert cli(["deblur", "--profile", "smoke", "--seed", "3", "--out", str(tmp_path / "d")]) == 0
    assert json.loads((tmp_path / "d" / "manifest.json").read_text())["seed"] == 3
    assert cli(["check", str(tmp_path / "d"), "--track", "deblur"]) == 0
    (tmp_path / "d" / "train" / "gt_image" / "00001.png").unlink()
    assert cli(["check", str(tmp_path / "d"), "--track", "deblur"]) == 1
    assert "00001.png" in capsys.readouterr().err


def kernel_sizes(meta: dict) -> list[float]:
    """The size of each kernel part in layout units (radius, sigma or length over px per unit)."""
    key = {"disk": "radius_px", "gaussian": "sigma_px", "motion": "length_px", "shake": "length_px"}
    return [part[key[part["type"]]] / meta["px_per_unit"] for part in meta["kernel"]]


def test_stroke_weight_change_moves_each_edge_by_the_asked_pixels():
    """A 6-px dark bar on white paper: +1 px per side makes it 8 px, -1 makes it 4 px; +0.5 leaves
    the bar and darkens its two neighbour columns halfway; 0 changes nothing."""
    from lib.data.pages import change_stroke_weight

    page = np.ones((20, 30, 3), np.float32)
    page[:, 12:18] = 0.1

    def dark_columns(img):
        return int((img[10, :, 0] < 0.5).sum())

    assert np.array_equal(change_stroke_weight(page, 0.0), page)
    assert dark_columns(change_stroke_weight(page, 1.0)) == 8
    assert dark_columns(change_stroke_weight(page, -1.0)) == 4
    assert dark_columns(change_stroke_weight(page, 2.0)) == 10
    half = change_stroke_weight(page, 0.5)[10, :, 0]
    assert np.allclose(half[[11, 18]], 0.55) and np.allclose(half[12:18], 0.1) and np.allclose(half[[10, 19]], 1.0)
    lighter = change_stroke_weight(page, -0.5)[10, :, 0]
    assert np.allclose(lighter[[12, 17]], 0.55) and np.allclose(lighter[13:17], 0.1)


# ------------------------------------------------------------------ extra Chinese training fonts
def test_extra_cjk_fonts_missing_or_unusable_is_a_clear_error(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"15 extra Chinese font file\(s\) missing.*LXGWWenKai-Regular\.ttf"
        r".*python -m lib\.data\.fonts --fetch-extra-cjk",
    ):
        fonts.find_extra_cjk_fonts(tmp_path)
    root = fake_extra_fonts(tmp_path / "fonts")
    assert len(fonts.find_extra_cjk_fonts(root)) == len(fonts._EXTRA_CJK)
    latin = next(f.path for f in fonts.find_latin_fonts() if f.name == "DejaVu Sans")
    (root / fonts._EXTRA_CJK[3][0]).unlink()
    (root / fonts._EXTRA_CJK[3][0]).symlink_to(latin)  # a file without Chinese glyphs
    with pytest.raises(
        FileNotFoundError,
        match=r"1 extra Chinese font file\(s\) missing or without Chinese glyphs, "
        r"first .*ukai\.ttc",
    ):
        fonts.find_extra_cjk_fonts(root)


def test_extra_cjk_fonts_are_not_held_out_families():
    families = {name for _, name, _, _ in fonts._EXTRA_CJK}
    assert not families & fonts.HELDOUT_FAMILIES and not any("WenQuanYi" in f or "Droid" in f for f in families)


def test_failed_extra_font_fetch_leaves_nothing_behind(tmp_path, monkeypatch):
    """apt-get download failing (no network, an unknown package) is an error quoting it; no font folder
    and no half-unpacked temporary folder is left."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text("#!/bin/sh\necho 'E: Unable to locate package fonts-lxgw-wenkai' >&2\nexit 100\n")
    (bin_dir / "apt-get").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    with pytest.raises(
        RuntimeError, match=r"apt-get download fonts-lxgw-wenkai .* failed: E: Unable to locate package"
    ):
        fonts.fetch_extra_cjk_fonts(tmp_path / "data" / "fonts")
    assert [p.name for p in (tmp_path / "data").iterdir()] == []


# ------------------------------------------------------------------ the tilted-page family (heldout_tilt)
def test_tilt_radius_map_grows_linearly_along_its_direction():
    left_to_right = degrade.tilt_radius_map(4, 5, 1.0, 3.0, 0.0)
    np.testing.assert_allclose(left_to_right[:, 0], 1.0)
    np.testing.assert_allclose(left_to_right[:, -1], 3.0)
    np.testing.assert_allclose(np.diff(left_to_right, axis=1), 0.5)
    bottom_to_top = degrade.tilt_radius_map(5, 4, 1.0, 3.0, 270.0)
    np.testing.assert_allclose(bottom_to_top[-1], 1.0, atol=1e-12)
    np.testing.assert_allclose(bottom_to_top[0], 3.0, atol=1e-12)


def _disk_blur_reference(img_u8: np.ndarray, radius: float) -> np.ndarray:
    """A disk blur in linear light by SciPy in float64, mirrored border as cv2.BORDER_REFLECT."""
    from scipy import ndimage

    linear = (img_u8.astype(np.float64) / 255.0) ** degrade.GAMMA
    k = degrade.disk_kernel(radius)
    out = np.stack([ndimage.convolve(linear[..., c], k, mode="reflect") for c in range(3)], axis=-1)
    return np.clip(out, 0, 1) ** (1 / degrade.GAMMA)


def test_varying_disk_blur_matches_a_per_pixel_reference_at_its_levels():
    """Radii 1, 2, 3 in three vertical bands (each a level of a 3-level blend): every pixel equals the
    SciPy disk blur of its own radius; a constant map is the uniform disk blur."""
    rng = np.random.default_rng(0)
    img = (rng.random((30, 36, 3)) * 255).astype(np.uint8)
    radius = np.repeat(np.array([1.0, 2.0, 3.0]), 12)[None, :].repeat(30, axis=0)
    out = degrade.varying_disk_blur(img, radius, levels=3)
    for r, cols in ((1.0, slice(0, 12)), (2.0, slice(12, 24)), (3.0, slice(24, 36))):
        np.testing.assert_allclose(out[:, cols], _disk_blur_reference(img, r)[:, cols], atol=2e-5)
    np.testing.assert_allclose(
        degrade.varying_disk_blur(img, np.full((30, 36), 2.0)), _disk_blur_reference(img, 2.0), atol=2e-5
    )
    between = degrade.varying_disk_blur(img, np.full((30, 36), 2.0) + np.linspace(0, 1e-3, 36), levels=2)
    assert np.abs(between - _disk_blur_reference(img, 2.0)).max() < 1e-3  # blends of near-equal radii


def test_a_variant_key_without_its_variant_is_an_unknown_option(monkeypatch):
    """The product knows no training-page switch of its own: a variant's key is a typo until its code registers."""
    monkeypatch.setattr(deblur, "PAGE_VARIANTS", [])
    with pytest.raises(ConfigError, match=r"deblur\.yaml data: unknown option\(s\) \['train_shake_share'\]"):
        deblur.data_options("smoke", {"train_shake_share": 0.3})


def test_generate_needs_a_draw_for_a_split_it_does_not_know(tmp_path):
    opts = deblur.data_options("smoke", TINY)
    with pytest.raises(ConfigError, match=r"split\(s\) \['tilted'\] are neither"):
        deblur.generate(
            tmp_path / "x", "smoke", 0, opts, fonts.discover_fonts(), fonts.discover_fonts(True), 1, {"tilted": 1}
        )
