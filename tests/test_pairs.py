"""Listing, validating and reading blurred/ground-truth pairs (lib.data.pairs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lib.data import DataError, list_pairs, read_image, read_pair, validate_pairs


def png(path: Path, size=(24, 16), color=(200, 30, 10), mode="RGB") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color if mode == "RGB" else color[0]).save(path)
    return path


def split(root: Path, names=("001", "002", "003"), gt=True) -> Path:
    for n in names:
        png(root / "blur_image" / f"{n}.png")
        if gt:
            png(root / "gt_image" / f"{n}.png")
    return root


def problems(split_dir, **kw) -> str:
    with pytest.raises(DataError) as info:
        validate_pairs(split_dir, **kw)
    return str(info.value)


def test_good_split_lists_sorted_pairs(tmp_path):
    s = split(tmp_path / "train", names=("010", "002", "001"))
    (s / "meta").mkdir()
    (s / "meta" / "001.json").write_text("{}")  # generated extras next to the image folders are ignored
    pairs = validate_pairs(s)
    assert [p[0] for p in pairs] == ["001.png", "002.png", "010.png"]
    assert all(b.parent.name == "blur_image" and g.parent.name == "gt_image" for _, b, g in pairs)
    assert pairs == list_pairs(s)


def test_test_split_without_ground_truth(tmp_path):
    s = split(tmp_path / "test_B", gt=False)
    pairs = validate_pairs(s, require_gt=False)
    assert len(pairs) == 3 and all(g is None for _, _, g in pairs)
    assert "gt_image/: folder missing" in problems(s, require_gt=True)


def test_pairs_match_by_name_across_extensions(tmp_path):
    s = tmp_path / "train"
    png(s / "blur_image" / "a.jpg")
    png(s / "gt_image" / "a.png")
    assert [(n, g.name) for n, _, g in validate_pairs(s)] == [("a.jpg", "a.png")]


def test_missing_ground_truth_is_named(tmp_path):
    s = split(tmp_path / "train")
    (s / "gt_image" / "002.png").unlink()
    msg = problems(s)
    assert "blur_image/002.png: no ground truth" in msg and "1 problem" in msg
    assert [g is None for _, _, g in list_pairs(s)] == [False, True, False]


def test_missing_blurred_image_is_named(tmp_path):
    s = split(tmp_path / "train")
    (s / "blur_image" / "003.png").unlink()
    assert "gt_image/003.png: no blurred image" in problems(s)
    assert "gt_image/003.png: no blurred image" in problems(s, require_gt=False)


def test_size_mismatch_is_named(tmp_path):
    s = split(tmp_path / "train")
    png(s / "gt_image" / "002.png", size=(25, 16))
    assert "blur_image/002.png is 24x16 but gt_image/002.png is 25x16" in problems(s)


def test_non_image_file_is_named(tmp_path):
    s = split(tmp_path / "train")
    (s / "blur_image" / "notes.txt").write_text("hello")
    (s / "blur_image" / ".DS_Store").write_bytes(b"\0")  # hidden files are not data
    msg = problems(s)
    assert "blur_image/notes.txt: not an image file" in msg and "DS_Store" not in msg
    assert len(list_pairs(s)) == 3


def test_corrupt_image_is_named(tmp_path):
    s = split(tmp_path / "train")
    (s / "gt_image" / "001.png").write_bytes(b"this is not a png at all")
    (s / "blur_image" / "002.png").write_bytes(b"")
    msg = problems(s)
    assert "gt_image/001.png: unreadable image" in msg and "blur_image/002.png: unreadable image" in msg


def test_truncated_image_needs_deep_check(tmp_path):
    s = split(tmp_path / "train")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(s / "gt_image" / "003.png")
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(s / "blur_image" / "003.png")
    data = (s / "gt_image" / "003.png").read_bytes()
    (s / "gt_image" / "003.png").write_bytes(data[: len(data) // 2])
    validate_pairs(s)  # the header is intact
    assert "gt_image/003.png: unreadable image" in problems(s, deep=True)


def test_empty_and_missing_folders(tmp_path):
    s = tmp_path / "train"
    (s / "blur_image").mkdir(parents=True)
    (s / "gt_image").mkdir()
    msg = problems(s)
    assert "blur_image/: no images" in msg and "gt_image/: no images" in msg
    assert "split folder not found" in problems(tmp_path / "nowhere")
    (tmp_path / "only_gt" / "gt_image").mkdir(parents=True)
    assert "blur_image/: folder missing" in problems(tmp_path / "only_gt")
    with pytest.raises(DataError, match="blur_image"):
        list_pairs(tmp_path / "only_gt")


def test_every_problem_is_reported_at_once(tmp_path):
    s = split(tmp_path / "train", names=("001", "002", "003", "004"))
    (s / "gt_image" / "001.png").unlink()
    (s / "blur_image" / "002.png").unlink()
    png(s / "gt_image" / "003.png", size=(8, 8))
    (s / "gt_image" / "readme.md").write_text("x")
    msg = problems(s)
    assert "4 problem(s)" in msg
    for name in ("blur_image/001.png", "gt_image/002.png", "gt_image/003.png", "gt_image/readme.md"):
        assert name in msg


def test_read_image_returns_rgb_uint8(tmp_path):
    img = read_image(png(tmp_path / "red.png", color=(200, 30, 10)))
    assert img.dtype == np.uint8 and img.shape == (16, 24, 3)
    assert tuple(img[0, 0]) == (200, 30, 10)  # RGB, not OpenCV's BGR
    gray = read_image(png(tmp_path / "gray.png", color=(90,), mode="L"))
    assert gray.shape == (16, 24, 3) and (gray == 90).all()
    blur, gt = read_pair(("x", tmp_path / "red.png", None))
    assert gt is None and blur.shape == (16, 24, 3)


def test_read_image_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.png"):
        read_image(tmp_path / "missing.png")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"garbage")
    with pytest.raises(DataError, match="bad.png"):
        read_image(bad)


def test_reads_the_generated_layout(tmp_path):
    from lib.tracks.deblur.data import ensure_dataset

    root = ensure_dataset(
        "smoke", tmp_path / "gen", workers=1, options={"n_train": 2, "n_test": 1, "test_long_side": 128}
    )
    for name in ("train", "test_A"):
        pairs = validate_pairs(root / name)
        blur, gt = read_pair(pairs[0])
        assert blur.shape == gt.shape and blur.dtype == np.uint8
