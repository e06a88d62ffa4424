"""repair mask_values fraction: the inpainter trained and run on the de-occlusion solution's mask values
(renqi1/Text_Image_Inpainting dataset.py FillDataset: the mask file shrunk bilinearly, one channel, / 128;
predict_onnx.py: the segmenter's class map x 128, enlarged and shrunk bilinearly, / 128, the crop multiplied by
1 - mask). Checked against a bilinear resize written here in NumPy (OpenCV's pixel centres: source
x = (x' + 0.5) * scale - 0.5, clamped at the borders, rounded half up to uint8)."""

import cv2
import numpy as np
import pytest

from lib.tracks.deocclusion.data import _crop_options, one_crop_pair
from lib.tracks.deocclusion.repair import (
    Deoccluder,
    RepairOptions,
    one_crop_box,
    page_mask,
    repair_one_crop,
    runner_inpainter,
)
from lib.train.data import KeyedPatchDataset

FULL = {
    "crop": 1536,
    "shrink": 6,
    "dilate": 0,
    "feather": 0,
    "min_area": 0,
    "seg_flip": False,
    "mode": "one_crop",
    "seg_dilate": 4,
}
FRACTION = RepairOptions(**FULL, mask_values="fraction")
BINARY = RepairOptions(**FULL)


def _taps(n_out: int, n_in: int):
    """Per output index: the two source indices and their weights of a bilinear resize n_in -> n_out."""
    pos = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    left = np.floor(pos).astype(int)
    frac = pos - left
    frac[left < 0], left[left < 0] = 0.0, 0
    last = left >= n_in - 1
    frac[last], left[last] = 0.0, n_in - 1
    return left, np.minimum(left + 1, n_in - 1), frac


def bilinear_uint8(image: np.ndarray, size) -> np.ndarray:
    """``image`` (uint8 H x W) resized to ``size`` = (w, h) bilinearly, rounded half up."""
    w, h = size
    y0, y1, fy = _taps(h, image.shape[0])
    x0, x1, fx = _taps(w, image.shape[1])
    a = image.astype(np.float64)
    rows = a[y0] * (1 - fy)[:, None] + a[y1] * fy[:, None]
    out = rows[:, x0] * (1 - fx) + rows[:, x1] * fx
    return np.floor(out + 0.5).astype(np.uint8)


def _blobs(h, w, seed):
    """A 0 / 1 uint8 mask of a few ellipses (edges at every angle: partly covered pixels once shrunk)."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), np.uint8)
    for _ in range(3):
        centre = (int(rng.integers(w // 4, 3 * w // 4)), int(rng.integers(h // 4, 3 * h // 4)))
        axes = (int(rng.integers(40, 300)), int(rng.integers(40, 300)))
        cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
    return mask


@pytest.mark.parametrize("landscape", [False, True])
def test_training_masks_are_the_solutions_mask_file_shrunk_and_divided_by_128(landscape, tmp_path):
    """FillDataset: the 0 / 255 mask file cropped like the photo, shrunk 1536 -> 256 by cv2.resize's default
    (bilinear), one channel, / 128 (a covered pixel 255 / 128): what the loader gives the inpainter."""
    h, w = (1800, 2400) if landscape else (2400, 1800)
    mask = _blobs(h, w, seed=1 + landscape)
    gt = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    ((crop, level),) = one_crop_pair(gt, mask.astype(bool), FRACTION)
    upright = mask.T if landscape else mask  # the solution transposes a landscape photo first
    x0, y0, x1, y1 = one_crop_box(upright, 1536)
    expected = bilinear_uint8(upright[y0:y1, x0:x1] * 255, (256, 256)).astype(np.float32) / 128
    for path, array in ((tmp_path / "crop.png", crop), (tmp_path / "mask.png", level)):
        cv2.imwrite(str(path), array if array.ndim == 2 else array[:, :, ::-1])
    loaded = KeyedPatchDataset(
        [(tmp_path / "crop.png", tmp_path / "mask.png")],
        None,
        kinds=("image", "mask_level"),
        augment={"flip": False, "rotate": False},
    )[0][1]
    np.testing.assert_array_equal(loaded[0], expected)
    values = set(np.unique(loaded).tolist())
    assert {0.0, 255 / 128} <= values and len(values) > 2  # the covered pixels 1.99, the edges in between
    ((_, binary),) = one_crop_pair(gt, mask.astype(bool), BINARY)
    assert set(np.unique(binary).tolist()) == {0, 255} and ((binary > 0) == (level > 0)).all()


def _class_map_runner(class_map):
    """A segmenter runner that finds ``class_map`` (its size is the segmenter's input) whatever it is shown."""

    def run(x):
        assert x.shape[2:] == class_map.shape
        logits = np.zeros((1, 2) + class_map.shape, np.float32)
        logits[0, 1] = np.where(class_map > 0, 1.0, -1.0)
        return logits

    return run


def test_inference_gives_the_network_the_solutions_fractions_and_the_masked_crop():
    """predict_onnx.py: class map dilated 4 x 4, x 128, enlarged to the photo (bilinear), cropped, shrunk
    (bilinear), / 128; the crop multiplied by 1 - mask before the network; the paste where the level is 128."""
    seg_h, seg_w = 400, 300
    class_map = np.zeros((seg_h, seg_w), np.uint8)
    cv2.circle(class_map, (150, 210), 37, 1, -1)
    h, w = seg_h * 6, seg_w * 6
    photo = np.random.default_rng(2).integers(0, 256, (h, w, 3), dtype=np.uint8)
    seen = []

    def network(x):  # the inpainter runner: records its input, answers mid grey
        seen.append(x.copy())
        return np.full((1, 3) + x.shape[2:], 0.5, np.float32)

    out = Deoccluder(_class_map_runner(class_map), network, (seg_h, seg_w), FRACTION)(photo)

    grown = cv2.dilate(class_map, np.ones((4, 4), np.uint8))
    levels = bilinear_uint8(grown * 128, (w, h))
    x0, y0, x1, y1 = one_crop_box(levels > 0, 1536)
    small = bilinear_uint8(levels[y0:y1, x0:x1], (256, 256))
    expected = small.astype(np.float32) / 128
    (x,) = seen
    fed_mask = x[0, 3]
    # bilinear in fixed point (OpenCV) vs float here: at most one level apart, twice resized
    assert np.abs(fed_mask - expected).max() <= 1 / 128 + 1e-6
    assert ((fed_mask > 0) == (expected > 0)).mean() > 0.999
    assert 0 < np.mean((fed_mask > 0) & (fed_mask < 1)) and fed_mask.max() == 1.0
    crop = cv2.resize(photo[y0:y1, x0:x1], (256, 256), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
    np.testing.assert_allclose(x[0, :3], crop.transpose(2, 0, 1) * (1 - fed_mask), atol=1e-6)
    changed = (out != photo).any(axis=2)
    full = cv2.resize((fed_mask >= 1).astype(np.uint8), (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR) > 0
    assert changed[y0:y1, x0:x1].sum() == full.sum() and not changed[:y0].any()


def test_binary_masks_stay_as_they_were():
    """mask_values binary (the default): the network sees 0 / 1 holes and the image as it is."""
    assert RepairOptions.from_config(FULL).mask_values == "binary"
    photo = np.random.default_rng(3).integers(0, 256, (120, 96, 3), dtype=np.uint8)
    mask = np.zeros((120, 96), bool)
    mask[50:61, 40:53] = True
    opts = RepairOptions(**{**FULL, "crop": 48, "shrink": 6})
    holes, images = [], []

    def run(x):
        images.append(x[0, :3].copy())
        holes.append(x[0, 3].copy())
        return np.zeros((1, 3) + x.shape[2:], np.float32)

    repair_one_crop(photo, mask, runner_inpainter(run), opts)
    assert set(np.unique(holes[0]).tolist()) == {0.0, 1.0}
    x0, y0, x1, y1 = one_crop_box(mask, 48)
    crop = cv2.resize(photo[y0:y1, x0:x1], (8, 8), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
    np.testing.assert_allclose(images[0], crop.transpose(2, 0, 1), atol=1e-6)


def test_the_page_mask_is_bool_unless_the_repair_asks_for_levels():
    class_map = np.zeros((40, 30), np.uint8)
    class_map[10:20, 10:20] = 1
    photo = np.zeros((240, 180, 3), np.uint8)
    run = _class_map_runner(class_map)
    assert page_mask(run, photo, (40, 30), FRACTION).dtype == bool
    levels = page_mask(run, photo, (40, 30), FRACTION, levels=True)
    assert levels.dtype == np.uint8 and levels.max() == 128 and 0 < np.mean((levels > 0) & (levels < 128))
    assert (page_mask(run, photo, (40, 30), BINARY, levels=True) == page_mask(run, photo, (40, 30), FRACTION)).all()


def test_fraction_belongs_to_one_crop_and_changes_the_prepared_data():
    with pytest.raises(ValueError, match="mask_values fraction is the solution's, of repair mode one_crop"):
        RepairOptions(mask_values="fraction")
    with pytest.raises(ValueError, match="mask_values must be one of binary, fraction"):
        RepairOptions(**FULL, mask_values="soft")
    assert "mask_values" not in _crop_options(FULL)  # data prepared before the option is still current
    assert _crop_options({**FULL, "mask_values": "fraction"})["mask_values"] == "fraction"


def test_the_track_trains_on_levels_when_the_repair_asks_for_fractions():
    from lib.tracks import get_track

    track = get_track("deocclusion")
    cfg = track.config("smoke")
    assert "mask_values" not in track.train_options(cfg).get("task", {})
    one_crop = {**cfg, "repair": {**FULL, "crop": 96, "mask_values": "fraction"}}
    options = track.train_options(one_crop)
    assert options["task"]["mask_values"] == "fraction"
    assert track.task.kinds({"task": options["task"]}) == ("image", "mask_level")
    assert track.task.kinds({"task": {}}) == ("image", "mask")
    seg = get_track("deocclusion_seg")
    assert "mask_values" not in (seg.train_options(one_crop).get("task") or {})
