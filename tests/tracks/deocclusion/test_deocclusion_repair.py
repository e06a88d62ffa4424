"""Track ``deocclusion``: the local repair (lib.tracks.deocclusion.repair) on synthetic pages. An empty mask gives
the same bytes; only pixels inside the dilated mask change (no seam at crop borders); crops are
clipped at page borders and grown for large components; one crop per component; the full
profile's numbers give the network 256 x 256 (1536 / 6)."""

import cv2
import numpy as np
import pytest

from lib.tracks import get_track
from lib.tracks.deocclusion.repair import (
    RepairInfo,
    RepairOptions,
    crop_boxes,
    dilate_mask,
    feather_weights,
    opencv_inpaint_page,
    opencv_inpainter,
    repair_global,
    repair_local,
)


def synthetic_page(h=300, w=240, seed=0):
    """A light gradient with dark 'text' bars: any misplaced paste would show."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    page = np.stack([200 + 40 * xx / w, 210 + 30 * yy / h, 190 + 20 * (xx + yy) / (h + w)], axis=2)
    for y in range(12, h - 12, 14):
        x0 = int(rng.integers(5, 30))
        page[y : y + 5, x0 : w - int(rng.integers(5, 40))] = 40
    return np.clip(page + rng.normal(0, 2, page.shape), 0, 255).astype(np.uint8)


def blob(shape, centre, radius):
    mask = np.zeros(shape, np.uint8)
    cv2.circle(mask, centre, radius, 1, -1)
    return mask > 0


class Recorder:
    """An inpainting function that fills holes with one colour and records what it was given."""

    def __init__(self, colour=(255, 0, 255)):
        self.colour, self.calls = np.array(colour, np.uint8), []

    def __call__(self, image, hole):
        self.calls.append((image.shape, hole.copy()))
        out = image.copy()
        out[hole] = self.colour
        return out


OPTS = RepairOptions(crop=96, shrink=1.5, dilate=3, feather=3, min_area=1)


def test_empty_mask_returns_the_same_bytes_without_inpainting():
    page, fill = synthetic_page(), Recorder()
    out = repair_local(page, np.zeros(page.shape[:2], bool), fill, OPTS)
    assert out.dtype == np.uint8 and out.tobytes() == page.tobytes() and out is not page
    assert fill.calls == []
    assert repair_global(page, np.zeros(page.shape[:2], bool), fill).tobytes() == page.tobytes()
    assert opencv_inpaint_page(page, np.zeros(page.shape[:2], bool)).tobytes() == page.tobytes()


def test_only_the_dilated_mask_changes_and_the_mask_gets_the_repair():
    """No seam: every pixel outside the dilated mask keeps its bytes (the crop border never
    shows); with feather <= dilate every pixel of the original mask is the inpainted colour."""
    page, fill = synthetic_page(), Recorder()
    mask = blob(page.shape[:2], (120, 150), 12)
    out = repair_local(page, mask, fill, OPTS)
    grown = dilate_mask(mask, OPTS.dilate)
    assert np.array_equal(out[~grown], page[~grown])
    inner = mask & ~dilate_mask(~mask, 2)  # away from the cubic enlargement's ringing at the hole edge
    assert np.abs(out[inner].astype(int) - [255, 0, 255]).max() <= 2
    ring = grown & ~mask
    assert (out[ring] != page[ring]).any()  # the feather blends in the dilated margin
    assert len(fill.calls) == 1 and fill.calls[0][0] == (64, 64, 3)  # 96 / 1.5


def test_feather_weights_against_numpy_distance():
    mask = np.zeros((40, 40), bool)
    mask[10:30, 8:32] = True
    w = feather_weights(mask, 4)
    assert w[~mask].max() == 0 and w[20, 20] == 1.0
    # a pixel 1 px inside the edge is at Euclidean distance 1 from the nearest unmasked pixel
    assert w[10, 20] == pytest.approx(1 / 4, abs=0.02) and w[12, 20] == pytest.approx(3 / 4, abs=0.02)
    # the page border is not an edge: a mask touching it is full weight there
    edge = np.zeros((40, 40), bool)
    edge[:, :10] = True
    assert feather_weights(edge, 4)[20, 0] == 1.0


def test_crops_are_clipped_inside_the_page_and_grow_for_large_components():
    page, fill = synthetic_page(), Recorder()
    h, w = page.shape[:2]
    corner = blob(page.shape[:2], (3, 4), 6) | blob(page.shape[:2], (w - 2, h - 3), 5)
    info = RepairInfo()
    repair_local(page, corner, fill, OPTS, info)
    assert info.components == 2
    for x0, y0, x1, y1 in info.boxes:
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h and (x1 - x0, y1 - y0) == (96, 96)
    assert (0, 0) == info.boxes[0][:2] or (0, 0) == info.boxes[1][:2]
    big = np.zeros(page.shape[:2], bool)
    big[50:200, 30:90] = True  # 150 px tall: more than the 96 px crop
    boxes = crop_boxes(dilate_mask(big, OPTS.dilate), OPTS)
    assert len(boxes) == 1 and boxes[0][3] - boxes[0][1] >= 156 and boxes[0][2] - boxes[0][0] == 96
    small_page = page[:60, :80]
    out = repair_local(small_page, blob((60, 80), (40, 30), 5), fill, OPTS, info := RepairInfo())
    assert info.boxes == [(0, 0, 80, 60)] and out.shape == small_page.shape
    assert all(s % 4 == 0 for s in fill.calls[-1][0][:2])


def test_several_components_get_one_crop_each_and_small_ones_are_skipped():
    page, fill = synthetic_page(), Recorder()
    shape = page.shape[:2]
    mask = blob(shape, (40, 40), 8) | blob(shape, (200, 250), 10) | blob(shape, (200, 40), 7)
    mask[150, 120] = True  # one stray pixel: a 7 x 7 disc (37 px) once dilated, below min_area
    opts = RepairOptions(crop=96, shrink=1.5, dilate=3, feather=3, min_area=60)
    info = RepairInfo()
    out = repair_local(page, mask, fill, opts, info)
    assert info.components == 3 and len(fill.calls) == 3
    assert np.array_equal(out[148:153, 118:123], page[148:153, 118:123])
    for _box, (_, hole) in zip(info.boxes, fill.calls):
        assert hole.any()  # each crop holds its component


def test_full_profile_gives_the_network_256_pixels_of_a_1536_crop():
    opts = RepairOptions.from_config(get_track("deocclusion").config("full")["repair"])
    assert (opts.crop, opts.shrink) == (1536, 6)
    page = np.full((4000, 3000, 3), 220, np.uint8)
    fill, info = Recorder(), RepairInfo()
    repair_local(page, blob(page.shape[:2], (1500, 2000), 150), fill, opts, info)
    assert fill.calls[0][0] == (256, 256, 3) and info.boxes == [(732, 1232, 2268, 2768)]


def test_opencv_inpainters_fill_a_flat_page_and_bad_inputs_are_errors():
    page = np.full((64, 64, 3), 180, np.uint8)
    hole = blob((64, 64), (32, 32), 6)
    holed = page.copy()
    holed[hole] = 0
    for method in ("telea", "ns"):
        assert np.abs(opencv_inpainter(method)(holed, hole).astype(int) - 180).max() <= 2
    with pytest.raises(ValueError, match="unknown OpenCV inpainting method 'x'"):
        opencv_inpainter("x")
    with pytest.raises(ValueError, match="mask .* does not match the image"):
        repair_local(page, np.zeros((10, 10), bool), Recorder(), OPTS)
    with pytest.raises(ValueError, match="RGB uint8"):
        repair_local(page.astype(np.float32), hole, Recorder(), OPTS)
    with pytest.raises(ValueError, match="returned"):
        repair_local(page, hole, lambda im, m: im[:-1], OPTS)
