"""Paired augmentation (lib.data.augment) and the Paddle datasets over prepared data (lib.data.dataset)."""

import cv2
import numpy as np
import pytest

from lib.data.augment import augment_pair, pad_to, paired_flip_rotate, paired_random_crop
from lib.data.pairs import DataError


def coordinate_image(height, width):
    """Each pixel holds its own position: channel 0 = y, channel 1 = x (uint16, no wrap-around)."""
    yy, xx = np.mgrid[0:height, 0:width]
    return np.dstack([yy, xx, np.zeros_like(yy)]).astype(np.uint16)


def dihedral_images(square):
    """The 8 flips/rotations of a square image (independent of the code under test)."""
    out = []
    for k in range(4):
        rotated = np.rot90(square, k)
        out += [rotated, rotated[:, ::-1]]
    return out


def test_crop_is_the_same_window_of_both_images():
    gt = coordinate_image(50, 70)
    blur = gt + 1000  # a different image, same geometry
    for seed in range(20):
        b, g = paired_random_crop(blur, gt, 16, np.random.default_rng(seed))
        assert b.shape == g.shape == (16, 16, 3)
        assert np.array_equal(b - 1000, g)
        y0, x0 = g[0, 0, 0], g[0, 0, 1]
        assert np.array_equal(g, gt[y0 : y0 + 16, x0 : x0 + 16])  # a real window of the source


def test_every_crop_position_can_be_drawn():
    gt = coordinate_image(6, 5)
    corners = {tuple(paired_random_crop(gt, gt, 4, np.random.default_rng(s))[1][0, 0, :2]) for s in range(300)}
    assert corners == {(y, x) for y in range(3) for x in range(2)}


def test_flips_and_rotations_keep_the_pair_aligned_and_reach_all_eight():
    gt = coordinate_image(5, 5)
    blur = gt + 1000
    candidates = dihedral_images(gt)
    seen = set()
    for seed in range(200):
        b, g = paired_flip_rotate(blur, gt, np.random.default_rng(seed))
        assert np.array_equal(b - 1000, g)
        matches = [i for i, c in enumerate(candidates) if np.array_equal(c, g)]
        assert len(matches) == 1
        seen.add(matches[0])
    assert seen == set(range(8))


def test_identical_inputs_give_identical_outputs():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)
    for seed in range(10):
        b, g = augment_pair(image, image.copy(), 24, np.random.default_rng(seed))
        assert np.array_equal(b, g)


def test_same_seed_same_patch_and_seeds_differ():
    image = coordinate_image(64, 64)
    first = augment_pair(image, image, 16, np.random.default_rng(7))
    again = augment_pair(image, image, 16, np.random.default_rng(7))
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    others = [augment_pair(image, image, 16, np.random.default_rng(s))[1] for s in range(8, 16)]
    assert any(not np.array_equal(first[1], o) for o in others)


def test_switching_transforms_off():
    image = coordinate_image(8, 8)
    for seed in range(20):
        b, _ = paired_flip_rotate(image, image, np.random.default_rng(seed), flip=False, rotate=False)
        assert np.array_equal(b, image)


def test_small_images_are_mirror_padded():
    image = coordinate_image(5, 3)
    padded = pad_to(image, 8)
    assert padded.shape == (8, 8, 3)
    assert np.array_equal(padded[:5, :3], image)
    assert np.array_equal(padded[5, :3], image[4])  # symmetric: the edge row repeats first
    b, g = paired_random_crop(image, image, 8, np.random.default_rng(0))
    assert b.shape == (8, 8, 3) and np.array_equal(b, g)


def test_bad_input():
    image = coordinate_image(10, 10)
    with pytest.raises(ValueError, match="differ in size"):
        paired_random_crop(image, image[:9], 4, np.random.default_rng(0))
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        paired_random_crop(image, image, 4, 0)
    with pytest.raises(ValueError, match="crop size"):
        paired_random_crop(image, image, 0, np.random.default_rng(0))


# ---------------------------------------------------------------- datasets (Paddle)
def write_pair(folder, name, blur, gt):
    for sub, image in (("blur_image", blur), ("gt_image", gt)):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / sub / name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))


@pytest.fixture
def meta_file(tmp_path):
    rng = np.random.default_rng(0)
    lines = []
    for i in range(3):
        image = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
        write_pair(tmp_path / "train", f"{i:05d}_y0000_x0000.png", image, image)
        lines.append(f"train/blur_image/{i:05d}_y0000_x0000.png train/gt_image/{i:05d}_y0000_x0000.png\n")
    meta = tmp_path / "meta_info.txt"
    meta.write_text("".join(lines))
    return meta


def test_patch_dataset_items(meta_file):
    from lib.data.dataset import PairedPatchDataset

    data = PairedPatchDataset(meta_file, patch_size=32, augment=True, seed=3)
    assert len(data) == 3
    blur, gt = data[1]
    assert blur.dtype == np.float32 and blur.shape == (3, 32, 32)
    assert 0.0 <= blur.min() and blur.max() <= 1.0
    assert np.array_equal(blur, gt)  # identical files stay identical after augmentation
    again = PairedPatchDataset(meta_file, patch_size=32, augment=True, seed=3)[1]
    assert np.array_equal(again[0], blur)  # same seed, same patch
    data.set_epoch(1)
    assert not np.array_equal(data[1][0], blur)  # a new epoch draws a new patch
    whole = PairedPatchDataset(meta_file, patch_size=None, augment=False)[0][0]
    assert whole.shape == (3, 40, 48)


def test_patch_dataset_loader_batches(meta_file):
    import paddle

    from lib.data.dataset import PairedPatchDataset

    loader = paddle.io.DataLoader(PairedPatchDataset(meta_file, 16, seed=0), batch_size=2, shuffle=False)
    blur, gt = next(iter(loader))
    assert blur.shape == [2, 3, 16, 16] and str(blur.dtype).endswith("float32")


def test_image_dataset_reads_whole_pairs(tmp_path):
    from lib.data.dataset import PairedImageDataset

    image = np.full((20, 30, 3), 200, np.uint8)
    write_pair(tmp_path / "val", "00009.png", image, image)
    data = PairedImageDataset(tmp_path / "val")
    assert data.names == ["00009.png"]
    blur, gt = data[0]
    assert blur.shape == (3, 20, 30) and np.allclose(blur, 200 / 255)
    (tmp_path / "val/gt_image/00009.png").unlink()
    with pytest.raises(DataError, match="no ground truth"):
        PairedImageDataset(tmp_path / "val")
