"""Repair mode one_crop (the solution's predict_onnx.py): the mask dilated 4 x 4 at the segmenter's size,
one crop around the last contour, pasted without blending, landscape photos transposed; checked on
small synthetic photos against positions worked out by hand."""

import numpy as np
import pytest

from lib.tracks import get_track
from lib.tracks.deocclusion.data import _crop_options, one_crop_pair
from lib.tracks.deocclusion.repair import (
    Deoccluder,
    RepairInfo,
    RepairOptions,
    one_crop_box,
    repair_one_crop,
    seg_mask_one_crop,
)

ONE_CROP = RepairOptions(crop=32, shrink=2, dilate=0, feather=0, min_area=0, mode="one_crop", seg_dilate=4)


def _photo(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 200, (h, w, 3), dtype=np.uint8)


def test_the_crop_is_centred_on_the_last_contour_and_moved_inside_the_page():
    mask = np.zeros((200, 150), bool)
    mask[20:30, 100:120] = True  # box x 100 + 20 / 2 = centre 110, y 25 -> moved down to 32
    assert one_crop_box(mask, 64) == (78, 0, 142, 64)
    mask[:] = False
    mask[100:110, 140:150] = True  # centre x 145: past the right edge -> the last 64 columns
    assert one_crop_box(mask, 64) == (86, 73, 150, 137)
    assert one_crop_box(np.zeros((20, 20), bool), 8) is None


def test_of_several_areas_only_the_last_contour_opencv_lists_is_repaired():
    """OpenCV lists outer contours from the bottom up: the last is the top-most area."""
    image = _photo(96, 72)
    mask = np.zeros((96, 72), bool)
    mask[8:14, 30:36] = True  # top
    mask[70:78, 40:48] = True  # bottom: left as it is
    info = RepairInfo()
    out = repair_one_crop(image, mask, _fill_255, ONE_CROP, info)
    assert info.components == 1 and info.boxes == [(17, 0, 49, 32)]
    assert (out[70:78, 40:48] == image[70:78, 40:48]).all()
    assert (out[8:14, 30:36] != image[8:14, 30:36]).any()


def _fill_255(small, hole):
    out = small.copy()
    out[hole] = 255
    return out


def test_the_hole_is_every_touched_network_pixel_and_the_paste_has_no_blend():
    image = _photo(96, 72)
    mask = np.zeros((96, 72), bool)
    mask[40:48, 24:32] = True  # crop (12, 28)-(44, 60): the mask at crop rows / columns 12-19
    holes = []

    def record(small, hole):
        holes.append(hole.copy())
        return _fill_255(small, hole)

    info = RepairInfo()
    out = repair_one_crop(image, mask, record, ONE_CROP, info)
    assert info.boxes == [(12, 28, 44, 60)] and info.net_sizes == [(16, 16)]
    expected_hole = np.zeros((16, 16), bool)
    expected_hole[6:10, 6:10] = True  # halved: crop pixels 12-19 -> network pixels 6-9
    assert (holes[0] == expected_hole).all()
    changed = (out != image).any(axis=2)
    assert (changed == mask).all()  # pasted exactly where covered, nothing outside
    assert (out[41:47, 25:31] == 255).all()  # inside, the network's pixels as they are (no feather)


def test_a_partly_covered_network_pixel_is_a_hole_but_not_pasted():
    image = _photo(96, 72)
    mask = np.zeros((96, 72), bool)
    mask[40:47, 24:31] = True  # 7 x 7: the last network row / column is half covered
    holes = []

    def record(small, hole):
        holes.append(hole.copy())
        return _fill_255(small, hole)

    out = repair_one_crop(image, mask, record, ONE_CROP)
    assert holes[0].sum() == 16  # network pixels 6-9, all touched
    changed = (out != image).any(axis=2)
    assert changed.sum() < mask.sum() and not (changed & ~mask).any()


def test_an_empty_mask_leaves_the_photo_byte_identical():
    image = _photo(64, 48)
    out = repair_one_crop(image, np.zeros((64, 48), bool), _fill_255, ONE_CROP)
    assert out.tobytes() == image.tobytes()


def _bright_spot_runner(seen):
    """A segmenter runner whose class 1 wins only at the brightest pixel of what it is given."""

    def run(x):
        seen.append(x.shape)
        brightness = x[0].sum(axis=0)
        logits = np.zeros((1, 2) + brightness.shape, np.float32)
        logits[0, 1] = np.where(brightness == brightness.max(), 1.0, -1.0)
        return logits

    return run


@pytest.mark.parametrize("landscape", [False, True])
def test_the_mask_is_dilated_4_x_4_at_the_segmenters_size_and_landscape_photos_are_transposed(landscape):
    photo = np.zeros((64, 48, 3), np.uint8)
    photo[21:23, 29:31] = 255  # shrinking by 4 bilinearly reads photo rows 4y + 1, 4y + 2: seg pixel (5, 7) only
    if landscape:
        photo = np.ascontiguousarray(photo.transpose(1, 0, 2))
    seen = []
    mask = seg_mask_one_crop(_bright_spot_runner(seen), photo, (16, 12), ONE_CROP)
    assert seen == [(1, 3, 16, 12)]  # the segmenter sees the photo upright, at its size
    if landscape:
        mask = mask.T
    # cv2.dilate with a 4 x 4 square (anchor 2, 2) covers seg rows 4-7, columns 6-9 = photo 16-31, 24-39;
    # enlarging bilinearly adds at most 2 photo pixels around it
    assert mask[16:32, 24:40].all()
    rows, cols = np.nonzero(mask)
    assert rows.min() >= 14 and rows.max() <= 33 and cols.min() >= 22 and cols.max() <= 41


def test_landscape_photos_are_repaired_transposed_and_their_crops_given_in_photo_coordinates():
    image = _photo(72, 96)
    mask = np.zeros((72, 96), bool)
    mask[24:32, 40:48] = True
    info = RepairInfo()
    out = repair_one_crop(image, mask, _fill_255, ONE_CROP, info)
    ((x0, y0, x1, y1),) = info.boxes
    assert (x0, y0, x1, y1) == (28, 12, 60, 44)  # centred on the area, in the photo's own axes
    assert ((out != image).any(axis=2) == mask).all()


def test_the_deoccluder_in_one_crop_mode_repairs_one_area():
    photo = np.zeros((64, 48, 3), np.uint8) + 40
    photo[22:26, 30:34] = 255

    def inpainter(x):  # runner: N x 4 x h x w -> N x 3 x h x w, all mid grey
        return np.full((x.shape[0], 3) + x.shape[2:], 0.5, np.float32)

    pipeline = Deoccluder(_bright_spot_runner([]), inpainter, (16, 12), ONE_CROP)
    out = pipeline(photo)
    assert pipeline.last_info.components == 1
    assert (out[22:26, 30:34] == 128).all() and (out[:8] == 40).all()


def test_one_crop_training_pair_is_the_crop_the_repair_takes():
    gt = _photo(96, 72, seed=3)
    mask = np.zeros((96, 72), bool)
    mask[40:48, 24:32] = True
    ((crop, hole),) = one_crop_pair(gt, mask, ONE_CROP)
    assert crop.shape == (16, 16, 3) and hole.dtype == np.uint8
    expected = np.zeros((16, 16), np.uint8)
    expected[6:10, 6:10] = 255
    assert (hole == expected).all()
    assert one_crop_pair(gt, np.zeros_like(mask), ONE_CROP) == []


@pytest.mark.parametrize(
    "options, message",
    [
        ({"mode": "one_crop", "feather": 8}, "dilate, feather and min_area must be 0"),
        ({"mode": "one_crop", "dilate": 15}, "dilate, feather and min_area must be 0"),
        ({"mode": "components", "seg_dilate": 4}, "seg_dilate \\(4\\) belongs to repair mode one_crop"),
        ({"mode": "one_crops"}, "repair mode must be one of components, one_crop"),
        ({"mode": "one_crop", "seg_dilate": -1}, "seg_dilate must be >= 0"),
    ],
)
def test_repair_options_reject_what_their_mode_cannot_do(options, message):
    base = {"dilate": 0, "feather": 0, "min_area": 0}
    with pytest.raises(ValueError, match=message):
        RepairOptions(**{**base, **options})


def test_data_prepared_for_the_components_mode_keeps_its_manifest_options():
    """smoke / demo: the new options are left out of the prepared data's manifest, so it stays current."""
    for profile in ("smoke", "demo"):
        repair = get_track("deocclusion").config(profile)["repair"]
        assert set(_crop_options(repair)) == {"crop", "shrink", "dilate", "feather", "min_area"}
    assert _crop_options(get_track("deocclusion").config("full")["repair"])["mode"] == "one_crop"
