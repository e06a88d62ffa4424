"""lib.infer, whose tiling every submission zip carries as files (lib/submission/predict.py imports them):
tile plans within a pixel budget, blending weights, plans that must not change a pointwise
model's output, seams of the winning solution's quadrants against overlapping tiles, the memory bound on an
8000 x 6000 image, TLC windows from the profile's `tlc` options, and folders of odd files."""

import json
import tracemalloc

import cv2
import numpy as np
import paddle
import pytest
from tiny_nafnet import make_tiny_nafnet

from lib.infer import (
    blend_ramp,
    memory_estimate,
    plan_grid,
    predict_folder,
    predict_image,
    quadrant_grid,
    restore_array,
    seam_error,
    tiles_for_side,
    tlc_model,
    tlc_options,
    training_patch_size,
)
from lib.metrics import tensor_to_uint8
from lib.models.tlc import tlc_kernel_sizes


def check_axis(tiles, length, overlap, multiple=16):
    covered = np.zeros(length, dtype=bool)
    for start, size in tiles:
        assert 0 <= start and start + size <= length
        covered[start : start + size] = True
    assert covered.all(), "every pixel must be in a tile"
    if len(tiles) > 1:
        assert all(size % multiple == 0 for _, size in tiles)
        for (s0, n0), (s1, _) in zip(tiles, tiles[1:]):
            assert s0 + n0 - s1 >= overlap, "neighbours overlap by at least `overlap`"


@pytest.mark.parametrize(
    "height, width, budget, overlap",
    [
        (1, 1, 1 << 20, 64),
        (577, 800, 1 << 20, 64),  # a demo test page: one tile
        (1536, 2048, 1 << 20, 64),  # a 2K page: 2 x 2 overlapping tiles
        (6000, 8000, 1 << 20, 64),
        (301, 203, 128 * 128, 16),
        (33, 1000, 64 * 64, 8),
    ],
)
def test_plan_covers_the_image_with_tiles_within_the_pixel_budget(height, width, budget, overlap):
    rows, cols = plan_grid(height, width, budget, overlap)
    check_axis(rows, height, overlap)
    check_axis(cols, width, overlap)

    def pad(n):
        return -(-n // 16) * 16

    assert pad(max(n for _, n in rows)) * pad(max(n for _, n in cols)) <= budget
    if pad(height) * pad(width) <= budget:
        assert (rows, cols) == ([(0, height)], [(0, width)])


def test_plan_of_a_2k_page_is_four_overlapping_tiles_like_the_seed():
    rows, cols = plan_grid(1536, 2048, 1 << 20, 64)
    assert len(rows) == len(cols) == 2


def test_plan_rejects_bad_arguments():
    with pytest.raises(ValueError, match="overlap"):
        plan_grid(500, 500, tile=64, overlap=64)
    with pytest.raises(ValueError, match="tile_pixels"):
        plan_grid(500, 500, tile_pixels=100)
    with pytest.raises(ValueError, match="positive"):
        plan_grid(0, 10)
    with pytest.raises(ValueError, match="unknown mode"):
        predict_image(lambda b: b, np.zeros((8, 8, 3), np.uint8), mode="halves")


@pytest.mark.parametrize("shape", ["linear", "cosine"])
def test_blend_ramps_of_neighbouring_tiles_sum_to_one(shape):
    tiles = tiles_for_side(300, 96, 24)
    total = np.zeros(300)
    for i, (start, size) in enumerate(tiles):
        ramp = blend_ramp(tiles, i, shape)
        assert ramp.min() > 0 and ramp.max() <= 1
        total[start : start + size] += ramp
    np.testing.assert_allclose(total, 1.0, atol=1e-6)
    assert blend_ramp(tiles, 0, shape)[0] == 1 and blend_ramp(tiles, len(tiles) - 1, shape)[-1] == 1


def pointwise_model(batch):
    """Per-pixel, nonlinear, mixing channels: any tiling must reproduce its whole-image output."""
    mix = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8]], np.float32)
    return np.tanh(np.einsum("oc,nchw->nohw", mix, batch) * 1.7 - 0.3) * 0.5 + 0.5


def test_every_plan_gives_a_pointwise_model_its_whole_image_output():
    image = np.random.default_rng(0).random((131, 97, 3), dtype=np.float32)
    whole = restore_array(pointwise_model, image, ([(0, 131)], [(0, 97)]))
    np.testing.assert_allclose(whole, pointwise_model(image.transpose(2, 0, 1)[None])[0].transpose(1, 2, 0), atol=1e-6)
    for grid in (
        quadrant_grid(131, 97),
        plan_grid(131, 97, tile=32, overlap=8),
        plan_grid(131, 97, tile=32, overlap=24),
        plan_grid(131, 97, 48 * 48, 16),
    ):
        np.testing.assert_allclose(restore_array(pointwise_model, image, grid), whole, atol=1e-6)


def conv_stack(seed=0):
    """Three zero-padded 3x3 convs: the output near a tile edge depends on pixels beyond it."""
    paddle.seed(seed)
    net = paddle.nn.Sequential(
        paddle.nn.Conv2D(3, 8, 3, padding=1),
        paddle.nn.ReLU(),
        paddle.nn.Conv2D(8, 8, 3, padding=1),
        paddle.nn.ReLU(),
        paddle.nn.Conv2D(8, 3, 3, padding=1),
    )
    net.eval()
    return net


def test_quadrants_show_seams_that_overlapping_tiles_blend_away():
    image = cv2.GaussianBlur(np.random.default_rng(1).random((128, 160, 3), dtype=np.float32), (0, 0), 3) * 0.5 + 0.25
    net = conv_stack()

    def run(b):
        return net(paddle.to_tensor(b)).numpy()

    whole = restore_array(run, image, ([(0, 128)], [(0, 160)]))
    quad_grid, tile_grid = quadrant_grid(128, 160), plan_grid(128, 160, tile=64, overlap=32)
    quads, tiles = restore_array(run, image, quad_grid), restore_array(run, image, tile_grid)
    q = seam_error(quads * 255, whole * 255, quad_grid, band=3)
    t = seam_error(tiles * 255, whole * 255, tile_grid, band=3)
    assert q["elsewhere"] < 1e-3, "away from the seams a 3-conv stack sees the same pixels"
    assert q["near_edges"] > 0.5, "at the seams each quadrant saw zero padding instead of its neighbour"
    assert t["max"] < 0.25 * q["max"], "linear ramps give the padded edge pixels little weight"


def test_predict_image_default_is_the_model_forward(tiny_nafnet):
    image = np.random.default_rng(2).integers(0, 256, (45, 67, 3), dtype=np.uint8)
    x = paddle.to_tensor(image.transpose(2, 0, 1)[None].astype(np.float32) / 255.0)
    with paddle.no_grad():
        expected = tensor_to_uint8(tiny_nafnet(x))
    np.testing.assert_array_equal(predict_image(tiny_nafnet, image), expected)


@pytest.mark.parametrize("size", [(1, 1), (17, 5), (33, 47)])
@pytest.mark.parametrize("mode", ["whole", "quadrants", "tiles"])
def test_predict_image_keeps_odd_and_tiny_sizes(tiny_nafnet, size, mode):
    image = np.random.default_rng(3).integers(0, 256, (*size, 3), dtype=np.uint8)
    out = predict_image(tiny_nafnet, image, mode, tile=16, overlap=4)
    assert out.shape == image.shape and out.dtype == np.uint8


def test_predict_image_rejects_non_rgb_uint8(tiny_nafnet):
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        predict_image(tiny_nafnet, np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        predict_image(tiny_nafnet, np.zeros((8, 8, 3), np.float32))


FULL_STAGES = [{"patch_size": p} for p in (192, 256, 320, 384, 512, 1024)]  # the winner's progressive patches


def test_tlc_window_comes_from_the_profile_not_the_last_training_stage(tmp_path):
    net = make_tiny_nafnet()
    (tmp_path / "options.json").write_text(json.dumps({"stages": FULL_STAGES}))
    net.checkpoint_path = tmp_path / "model.pdparams"
    assert training_patch_size(net) == 1024
    converted = tlc_model(net, profile="full")
    # the winner's NAFNetLocal(train_size=(1, 3, 256, 256)): base_size int(256 * 2.5) = 640 px at level 0
    assert converted.tlc == {"factor": 2.5, "train_size": 256}
    assert tlc_kernel_sizes(converted)[0] == (640, 640)
    assert tlc_model(net, profile="demo").tlc == {"factor": 2.5, "train_size": 96}  # measured best (deblur.yaml)
    assert tlc_model(net, 1.5, 32, profile="full").tlc == {"factor": 1.5, "train_size": 32}  # given values win


def test_tlc_options_without_a_track_read_the_one_options_file_with_a_tlc_section(monkeypatch):
    """lib.infer names no track: without one (notebooks 04 and 05 call ``tlc_options()``), the track is the one
    whose options file has a ``tlc`` section, read from lib/configs/ itself; two such files are an error."""
    import yaml

    from lib import config
    from lib.config import CONFIG_DIR, ConfigError

    with_tlc = [p.stem for p in sorted(CONFIG_DIR.glob("*.yaml")) if "tlc" in yaml.safe_load(p.read_text())]
    assert len(with_tlc) == 1
    for profile in ("smoke", "demo", "full"):
        assert tlc_options(profile) == tlc_options(profile, with_tlc[0])
    monkeypatch.setattr(config, "tracks_with_section", lambda section: [with_tlc[0], "other"])
    with pytest.raises(ConfigError, match="name the track"):
        tlc_options("demo")
    assert tlc_options("demo", with_tlc[0])["train_size"] == 96  # a named track needs no search


@pytest.mark.slow
def test_full_tlc_changes_the_competition_nafnet_where_the_last_stage_window_did_not():
    """The competition NAFNet (width 32, enc [1, 1, 1, 10], middle 1, dec [1, 1, 1, 1]) with random
    weights and non-zero beta/gamma, at a quarter of full's sizes: one forward of a 1024 x 1024
    input takes ~30 s on this CPU, so the input is 256 px, full's training size 256 / 4 = 64 and
    the old rule's last stage 1024 / 4 = 256 (the same windows relative to the image)."""
    from lib.models.nafnet import NAFNet

    paddle.seed(0)
    net = NAFNet(3, 32, 1, [1, 1, 1, 10], [1, 1, 1, 1])
    for name, p in net.named_parameters():
        if name.endswith(".beta") or name.endswith(".gamma"):
            p.set_value(paddle.randn(p.shape) * 0.5)
    net.eval()
    full = tlc_options("full")
    side, scale = 1024 // 4, 4
    page = np.full((1, 3, side, side), 0.95, np.float32)  # white paper left, dark print right:
    page[..., side // 2 :] = 0.2  # local means differ from the global one
    page += np.random.default_rng(0).normal(0, 0.02, page.shape).astype(np.float32)
    x = paddle.to_tensor(page)
    with paddle.no_grad():
        plain = net(x).numpy()
        new = tlc_model(net, full["factor"], full["train_size"] // scale)(x).numpy()
        old = tlc_model(net, full["factor"], FULL_STAGES[-1]["patch_size"] // scale)(x).numpy()
    np.testing.assert_allclose(old, plain, atol=1e-6)  # a window wider than the image: global pooling
    assert np.abs(new - plain).max() > 1e-3  # measured 0.011


@pytest.mark.slow
def test_8000x6000_image_is_restored_band_by_band_within_the_memory_estimate():
    """A stub runner (identity, the interface of the real ones) on a real 8000 x 6000 array:
    a real network on it takes over a minute here. Checks the plan, the result and, with
    tracemalloc (NumPy reports its allocations to it), the peak memory against the estimate."""
    image = np.random.default_rng(4).integers(0, 256, (6000, 8000, 3), dtype=np.uint8)
    shapes = set()

    def identity(batch):
        shapes.add(batch.shape)
        return batch

    budget = 1 << 20
    tracemalloc.start()
    try:
        out = restore_array(identity, image, tile_pixels=budget, overlap=64)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    estimate = memory_estimate(6000, 8000, budget, 64)
    np.testing.assert_array_equal(out, image)
    assert all(h * w <= budget for _, _, h, w in shapes)
    assert estimate["tiles"] > 40 and peak <= estimate["total_bytes"]
    assert peak < 3 * image.nbytes, "no full-size float copy of the image"


def write(path, array):
    ok, data = cv2.imencode(path.suffix, array)
    assert ok
    data.tofile(str(path))


def test_predict_folder_keeps_names_sizes_formats_and_skips_bad_files(tmp_path, tiny_nafnet):
    src, dst = tmp_path / "输入 images", tmp_path / "out"
    src.mkdir()
    rng = np.random.default_rng(5)
    rgb = rng.integers(0, 256, (45, 67, 3), dtype=np.uint8)
    write(src / "page 1.png", rgb[:, :, ::-1])  # BGR on disk
    write(src / "灰度 扫描.png", rgb[:, :, 0])
    write(src / "rgba.png", np.dstack([rgb[:, :, ::-1], rng.integers(0, 256, (45, 67), dtype=np.uint8)]))
    write(src / "deep16.png", (rgb.astype(np.uint16) * 257)[:, :, ::-1])
    write(src / "photo.jpg", rgb[:, :, ::-1])
    (src / "notes.txt").write_text("not an image")
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    (src / ".DS_Store").write_bytes(b"\x00")
    report = predict_folder(tiny_nafnet, src, dst)

    assert sorted(report["restored"]) == sorted(["page 1.png", "灰度 扫描.png", "rgba.png", "deep16.png", "photo.jpg"])
    assert sorted(name for name, _ in report["failed"]) == ["broken.png", "notes.txt"]
    assert "not an image file" in dict(report["failed"])["notes.txt"]
    assert "cannot decode" in dict(report["failed"])["broken.png"]

    def read(name):
        return cv2.imdecode(np.fromfile(str(dst / name), np.uint8), cv2.IMREAD_UNCHANGED)

    expected = predict_image(tiny_nafnet, rgb)
    np.testing.assert_array_equal(read("page 1.png")[:, :, ::-1], expected)
    gray = read("灰度 扫描.png")
    assert gray.shape == (45, 67)
    replicated = np.repeat(rgb[:, :, :1], 3, axis=2)
    np.testing.assert_array_equal(gray, cv2.cvtColor(predict_image(tiny_nafnet, replicated), cv2.COLOR_RGB2GRAY))
    rgba = read("rgba.png")
    assert rgba.shape == (45, 67, 4)
    np.testing.assert_array_equal(
        rgba[:, :, 3], cv2.imdecode(np.fromfile(str(src / "rgba.png"), np.uint8), cv2.IMREAD_UNCHANGED)[:, :, 3]
    )
    np.testing.assert_array_equal(rgba[:, :, 2::-1], expected)
    deep = read("deep16.png")
    assert deep.dtype == np.uint16 and deep.shape == (45, 67, 3)
    # The same pixels at 16 bits: within half an 8-bit level of the 8-bit result.
    assert np.abs(deep[:, :, ::-1] / 257.0 - expected).max() <= 0.5 + 1e-6
    assert read("photo.jpg").shape == (45, 67, 3)
    assert not any(p.name.startswith(".") for p in dst.iterdir()), "no temporary files left"


# ---------------------------------------------------------------------------------------------- the winner's 4 tiles
def winner_quadrants(image):
    """The 1st-place test_code/predict.py cut (clip_img), written out independently: top rows
    [0, int(h/2)), bottom the rest; left columns [0, int(w/2)), right the rest."""
    h, w = image.shape[:2]
    top, bottom = image[: int(h / 2)], image[int(h / 2) :]
    return [top[:, : int(w / 2)], top[:, int(w / 2) :], bottom[:, : int(w / 2)], bottom[:, int(w / 2) :]]


def winner_stitch(tiles):
    """Its concat_img: left | right, then top over bottom."""
    return np.concatenate([np.concatenate(tiles[:2], axis=1), np.concatenate(tiles[2:], axis=1)], axis=0)


@pytest.mark.parametrize("height, width", [(1448, 2048), (1449, 2047), (1080, 1920), (7, 5)])
def test_quadrants_cut_and_stitch_as_the_winner_does(height, width):
    image = np.random.default_rng(height).integers(0, 256, (height, width, 3), dtype=np.uint8)
    seen = []

    def tile_marking_model(batch):
        """Records each tile and returns it brightened by a per-tile step, so a tile stitched into
        the wrong place (or blended with a neighbour) shows."""
        seen.append(batch[0].transpose(1, 2, 0).copy())
        return batch + np.float32(10 * len(seen) / 255)  # +10, +20, +30, +40 grey levels

    out = restore_array(tile_marking_model, image, quadrant_grid(height, width))
    expected_tiles = winner_quadrants(image)
    assert [t.shape for t in seen] == [t.shape for t in expected_tiles]
    for got, want in zip(seen, expected_tiles):
        np.testing.assert_array_equal(np.round(got * 255).astype(np.uint8), want)
    marked = [np.minimum(t.astype(int) + 10 * (k + 1), 255).astype(np.uint8) for k, t in enumerate(expected_tiles)]
    assert out.shape == image.shape
    np.testing.assert_array_equal(out, winner_stitch(marked))


def test_quadrants_keep_one_pixel_sides_whole():
    assert quadrant_grid(1, 1) == ([(0, 1)], [(0, 1)])
    assert quadrant_grid(1, 9) == ([(0, 1)], [(0, 4), (4, 5)])
    with pytest.raises(ValueError, match="positive"):
        quadrant_grid(0, 4)


def test_tile_plan_by_name():
    from lib.infer import tile_plan

    assert tile_plan(2047, 1449, "quadrants") == quadrant_grid(2047, 1449)
    assert tile_plan(1536, 2048, "overlap", 1 << 20, 64) == plan_grid(1536, 2048, 1 << 20, 64)
    with pytest.raises(ValueError, match="unknown tiling 'halves'"):
        tile_plan(10, 10, "halves")


def test_submission_tiling_comes_from_the_track_config():
    from lib.infer import submission_tiling

    assert submission_tiling("full", "deblur") == "quadrants"  # the winner's predict.py
    assert submission_tiling("smoke", "deblur") == "overlap"
    for track in ("sdwnet", "denoise", "retouch", None, "a_test_track_without_a_config"):
        assert submission_tiling("full", track) == "overlap"
