"""Track ``deocclusion``, data: the generator (same seed, same bytes; the competition's layout;
occluders only where the mask says, with their shadows near them), the loader of a real download
(annotation.txt with paths or bare names, folders without it, masks derived from |input - gt|),
and errors that name the bad file."""

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from lib.data.__main__ import main as data_main
from lib.data.pairs import DataError, read_image
from lib.tracks.deocclusion.data import (
    ANNOTATION,
    GT_DIR,
    check_root,
    desk_texture,
    desk_variant,
    ensure_dataset,
    list_samples,
    load_sample,
    mask_from_difference,
    read_mask,
    validate_split,
)
from lib.tracks.deocclusion.occluders import DRAW, KINDS, MASK_ALPHA, composite


@pytest.fixture(scope="module")
def smoke_root(tmp_path_factory):
    return ensure_dataset("smoke", tmp_path_factory.mktemp("deocc") / "data", seed=0, workers=1)


def _files(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_same_seed_same_bytes_other_seed_other_bytes(smoke_root, tmp_path):
    again = ensure_dataset("smoke", tmp_path / "again", seed=0, workers=1)
    assert _files(again) == _files(smoke_root)
    other = ensure_dataset("smoke", tmp_path / "other", seed=1, workers=1)
    a, b = _files(smoke_root), _files(other)
    assert len(a) == len(b) and {k for k in a if "/gt/" in k} == {k for k in b if "/gt/" in k}
    assert a[f"train/{GT_DIR}/train_00000.jpg"] != b[f"train/{GT_DIR}/train_00000.jpg"]


def test_layout_is_the_competitions(smoke_root):
    for split, pages in (("train", 3), ("val", 1), ("test_A", 2)):
        lines = (smoke_root / split / ANNOTATION).read_text().splitlines()
        assert len(lines) == 2 * pages  # two photos per clean page (smoke variants: 2)
        for line in lines:
            clean, occluded, seg = line.split()
            assert clean.startswith(f"{GT_DIR}/") and clean.endswith(".jpg")
            folder = occluded.split("/")[0]
            assert folder in ("hand", "head", "object") and seg == occluded[:-4] + ".png"
            image, gt = read_image(smoke_root / split / occluded), read_image(smoke_root / split / clean)
            mask = cv2.imread(str(smoke_root / split / seg), cv2.IMREAD_UNCHANGED)
            assert image.shape == gt.shape and mask.shape == image.shape[:2] and mask.dtype == np.uint8
            assert set(np.unique(mask)) <= {0, 255} and 0 < (mask > 0).mean() < 0.5
            assert max(image.shape[:2]) == 256
    assert "train: 6 张遮挡照片" in check_root(smoke_root)[-1] or any(
        line.startswith("train: 6 张遮挡照片") for line in check_root(smoke_root)
    )


def test_occluded_photo_differs_from_the_clean_page_only_near_the_occluders(smoke_root):
    """Inside the mask the photo changed a lot; far from it (beyond any shadow) only JPEG noise is
    left; the mask derived from the difference finds the saved one."""
    for s in list_samples(smoke_root / "train"):
        image, gt, mask = load_sample(s)
        diff = np.abs(image.astype(np.int16) - gt.astype(np.int16)).max(axis=2)
        far = cv2.dilate(mask.astype(np.uint8), np.ones((41, 41), np.uint8)) == 0
        assert diff[mask].mean() > 25, s.name
        assert np.percentile(diff[far], 99) <= 8, s.name
        derived = mask_from_difference(image, gt)
        iou = (derived & mask).sum() / (derived | mask).sum()
        assert iou > 0.6, (s.name, iou)


def test_composite_leaves_the_page_alone_away_from_the_occluder_and_its_shadow():
    """Where neither the occluder nor its shadow reaches, the page is returned exactly; the mask is
    the occluder's alpha above MASK_ALPHA; covered pixels changed."""
    rng = np.random.default_rng(3)
    page = rng.uniform(0.3, 0.9, (64, 48, 3)).astype(np.float32)
    occ = DRAW["coin"](np.random.default_rng(1), 64, 48)
    out, mask, shadow = composite(np.random.default_rng(2), page, [occ])
    assert np.array_equal(mask, occ.alpha > MASK_ALPHA)
    untouched = (shadow == 0) & (occ.alpha == 0)
    assert untouched.any() and np.allclose(out[untouched], page[untouched], atol=1e-6)
    full = occ.alpha == 1
    assert np.all(np.abs(out[full] - page[full]).max(axis=1) > 0)  # covered pixels changed
    assert np.all((out >= 0) & (out <= 1)) and occ.alpha.max() == 1.0


@pytest.mark.parametrize("kind", KINDS)
def test_every_occluder_kind_covers_part_of_the_page(kind):
    occ = DRAW[kind](np.random.default_rng(0), 320, 240)
    covered = (occ.alpha > MASK_ALPHA).mean()
    assert 0.001 < covered < 0.5, (kind, covered)
    assert occ.color.shape == (320, 240, 3) and occ.color.dtype == np.float32


@pytest.mark.parametrize("seed", range(8))
def test_desk_variant_moves_the_label_with_the_page_and_the_desk_is_background(seed):
    # a pure blue page, every pixel occluder: after the move, label 1 exactly where the page is
    # (blue) and 0 on the desk (browns and greys are never bluer than red)
    h, w = 128, 96
    page = np.zeros((h, w, 3), np.uint8)
    page[..., 2] = 255
    image, label = desk_variant(np.random.default_rng(seed), page, np.ones((h, w), np.uint8))
    assert image.shape == page.shape and image.dtype == np.uint8 and label.dtype == np.uint8
    blue = image[..., 2].astype(int) > image[..., 0].astype(int) + 20
    np.testing.assert_array_equal(label.astype(bool), blue)
    assert 0.7**2 * 0.85 < label.mean() < 0.92**2 * 1.05  # shrunk to 70-92 %, a little cut at an edge
    # the label moves with the image: a marked patch keeps its mark
    mark = np.zeros((h, w), np.uint8)
    mark[40:70, 30:60] = 1
    marked = page.copy()
    marked[40:70, 30:60] = (255, 0, 0)
    image, label = desk_variant(np.random.default_rng(seed), marked, mark)
    red = (image[..., 0] > 200) & (image[..., 2] < 60)
    assert red.sum() > 0.45 * mark.sum() and (label.astype(bool) | ~red).all()


def test_desk_texture_is_an_opaque_desk_colour_with_grain():
    for seed in range(20):
        desk = desk_texture(np.random.default_rng(seed), 64, 48).astype(float)
        assert desk.shape == (64, 48, 3)
        r, g, b = desk.reshape(-1, 3).mean(0)
        assert r + 3 >= g + 0 and r + 6 >= b, (seed, r, g, b)  # brown (R >= G >= B) or grey
        assert desk.std() > 0  # grain and light, not a flat fill


def test_real_download_without_annotation_or_masks_derives_the_masks(smoke_root, tmp_path):
    """A download with only gt/ and hand/ photos (no annotation.txt, no .png) reads by folder and
    gets its masks from the difference with the clean page."""
    real = tmp_path / "real" / "train"
    shutil.copytree(smoke_root / "train", real)
    (real / ANNOTATION).unlink()
    for png in real.rglob("*.png"):
        png.unlink()
    samples = list_samples(real)
    assert len(samples) == 6 and all(s.gt is not None and s.mask is None for s in samples)
    for s in samples:
        _, _, mask = load_sample(s)
        saved = read_mask(smoke_root / "train" / s.category / (Path(s.name).stem + ".png"))
        assert (mask & saved).sum() / (mask | saved).sum() > 0.6


def test_annotation_with_bare_names_and_a_test_board_without_gt(smoke_root, tmp_path):
    real = tmp_path / "real"
    shutil.copytree(smoke_root / "train", real / "train")
    lines = (real / "train" / ANNOTATION).read_text().splitlines()
    (real / "train" / ANNOTATION).write_text("\n".join(" ".join(Path(f).name for f in line.split()) for line in lines))
    assert [s.name for s in list_samples(real / "train")] == [s.name for s in list_samples(smoke_root / "train")]
    board = real / "test_A"
    shutil.copytree(smoke_root / "test_A" / "hand", board / "hand") if (
        smoke_root / "test_A" / "hand"
    ).is_dir() else shutil.copytree(smoke_root / "test_A" / "object", board / "object")
    samples = validate_split(board, require_gt=False)
    assert samples and all(s.gt is None for s in samples)
    image, gt, mask = load_sample(samples[0])
    assert gt is None and image.ndim == 3


def test_bad_files_are_named_all_at_once(smoke_root, tmp_path):
    split = tmp_path / "bad" / "train"
    shutil.copytree(smoke_root / "train", split)
    samples = list_samples(split)
    (split / samples[0].category / samples[0].name).write_bytes(b"not a jpeg")
    small = read_image(samples[1].gt)[:100]
    cv2.imwrite(str(samples[1].gt).replace(str(smoke_root / "train"), str(split)), small)
    with (split / ANNOTATION).open("a") as f:
        f.write("gt/nowhere.jpg hand/missing_000.jpg\n")
    with pytest.raises(DataError) as err:
        list_samples(split)
    assert "line 7" in str(err.value) and "gt/nowhere.jpg" in str(err.value)
    lines = (split / ANNOTATION).read_text().splitlines()[:-1]
    (split / ANNOTATION).write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as err:
        validate_split(split)
    message = str(err.value)
    assert samples[0].name in message and "cannot decode" in message
    assert Path(samples[1].gt).name in message and "clean page" in message


def test_command_line_writes_the_set(tmp_path, capsys):
    assert (
        data_main(["deocclusion", "--profile", "smoke", "--seed", "0", "--out", str(tmp_path / "d"), "--workers", "1"])
        == 0
    )
    assert (tmp_path / "d" / "train" / ANNOTATION).is_file()
    assert data_main(["check", str(tmp_path / "d"), "--track", "deocclusion"]) == 0
    assert "train: 6 张遮挡照片" in capsys.readouterr().out
