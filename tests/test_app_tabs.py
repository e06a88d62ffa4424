"""The app's tabs called directly (lib.app.ui.handlers(), made from the tracks' deployments): each returns its
images at the input's size through the track's shipped model; every bad input is a gr.Error in Chinese, and the
tab answers the next request. The models load once per session (lib.tracks.deployment caches them)."""

import cv2
import gradio as gr
import numpy as np
import pytest
from app_inputs import bad_files, good_files

from lib.app import restore, ui
from lib.infer import restore_array, tile_grid
from lib.tracks import deployment as deployments
from lib.tracks import get_deployment

pytestmark = pytest.mark.slow  # each loads a shipped model and restores an image (seconds)


@pytest.fixture(autouse=True)
def shipped_models(monkeypatch):
    """The tabs' summaries name the shipped model (checkpoints/), whatever a learner has trained in
    runs/: the instructor's switch, and a model cache of this test's own."""
    monkeypatch.setenv("COURSE_SHIPPED", "1")
    monkeypatch.setattr(deployments, "_models", {})


def tab(track):
    """The handler of ``track``'s tab, as the app wires it."""
    return ui.handlers()[track]


def small_example(track, tmp_path, side=64):
    """The tab's example image cropped to ``side`` px (a fast test), as a PNG."""
    image = cv2.imread(str(ui.example_path(track)), cv2.IMREAD_COLOR)
    path = tmp_path / f"{track}.png"
    cv2.imwrite(str(path), image[:side, : side + 8])
    return path, image[:side, : side + 8].shape[:2]


def check_common(outputs, shape):
    (before, after), result, zoom, summary = outputs[:4]
    assert before.shape == after.shape == result.shape == (*shape, 3)
    assert np.array_equal(after, result) and zoom.ndim == 3
    assert "用时" in summary and "模型看到的" in summary and "checkpoints/" in summary
    return before, after


def test_deblur_tab(tmp_path):
    path, shape = small_example("deblur", tmp_path)
    outputs = tab("deblur")(str(path), True, "quadrants", False)
    before, after = check_common(outputs, shape)
    tiles, ocr_in, ocr_out = outputs[4:]
    assert tiles.shape == (*shape, 3) and ocr_in == ocr_out == ""
    assert "4 块" in outputs[3] and "TLC 开" in outputs[3]
    assert not np.array_equal(before, after)
    plain = tab("deblur")(str(path), False, "quadrants", False)
    assert "TLC 关" in plain[3]


def test_deblur_tlc_switch_reaches_the_model(tmp_path):
    """On a page larger than TLC's window (demo: 96 x 2.5 = 240 px), TLC changes the result (on a
    smaller one its local mean is the global one)."""
    image = cv2.resize(cv2.imread(str(ui.example_path("deblur"))), (288, 320), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(tmp_path / "page.png"), image)
    with_tlc = tab("deblur")(str(tmp_path / "page.png"), True, "whole", False)
    without = tab("deblur")(str(tmp_path / "page.png"), False, "whole", False)
    assert not np.array_equal(with_tlc[1], without[1])


def test_deblur_tab_shows_the_ocr_of_input_and_result(monkeypatch, tmp_path):
    """The tab reads the input and the result with lib.ocr's engine (tests/test_ocr.py tests the
    engine; a stand-in here that names the image's mean grey level, as OCR takes ~10 s a page)."""

    class Reader:
        def read(self, image):
            return f"mean {image.mean():.3f}"

    from lib.tracks.deblur import deployment as deblur

    monkeypatch.setattr(deblur, "ocr_engine", Reader)
    path, _ = small_example("deblur", tmp_path)
    outputs = tab("deblur")(str(path), True, "overlap", True)
    (before, after), ocr_in, ocr_out = outputs[0], outputs[5], outputs[6]
    assert ocr_in == f"mean {before.mean():.3f}" and ocr_out == f"mean {after.mean():.3f}" and ocr_in != ocr_out


def test_deblur_whole_falls_back_to_tiles_over_the_budget(monkeypatch, tmp_path):
    from lib.tracks.deblur import deployment as deblur

    monkeypatch.setattr(deblur, "WHOLE_LIMIT", 32 * 32)
    path, shape = small_example("deblur", tmp_path)
    result = get_deployment("deblur").restore(cv2.imread(str(path))[..., ::-1].copy(), tiling="whole")
    assert result.notes and "重叠分块" in result.notes[0]


@pytest.mark.parametrize("track", ["sdwnet", "denoise"])
def test_difference_tabs(track, tmp_path):
    path, shape = small_example(track, tmp_path, side=48)
    outputs = tab(track)(str(path))
    before, after = check_common(outputs, shape)
    diff = outputs[4]
    assert diff.shape == (*shape, 3) and "差异图" in outputs[3]


def test_retouch_tab_k_and_d_stitch_like_the_image(tmp_path):
    path, shape = small_example("retouch", tmp_path)
    outputs = tab("retouch")(str(path))
    check_common(outputs, shape)
    k_map, d_map = outputs[4:]
    assert k_map.shape == d_map.shape == (*shape, 3)
    assert "K 图" in outputs[3] and "D 图" in outputs[3]


def test_retouch_maps_replay_the_tiles_of_the_image():
    """Over several tiles, K and D are stitched with the image's own plan and blending: I recomputed
    from the stitched K, D and the input equals the restored image where the blend is exact."""
    from lib.tracks.retouch.deployment import Decomposing

    model = restore.model_of("retouch")
    image = cv2.imread(str(ui.example_path("retouch")))[..., ::-1].copy()
    decomposing = Decomposing(model)
    grid = tile_grid(*image.shape[:2], "tiles", tile=96, overlap=16, multiple=16)
    after = restore_array(decomposing, image, grid, multiple=16)
    assert len(decomposing.maps) == len(grid[0]) * len(grid[1]) > 1
    whole = restore.restore("retouch", image)
    assert whole.after.shape == after.shape


def test_deocclusion_tab(tmp_path):
    path = ui.example_path("deocclusion")
    shape = cv2.imread(str(path)).shape[:2]
    outputs = tab("deocclusion")(str(path))
    check_common(outputs, shape)
    mask, crops = outputs[4:]
    assert mask.shape == crops.shape == (*shape, 3)
    assert "遮挡掩码占" in outputs[3] and "分割网络" in outputs[3]


@pytest.mark.parametrize("name", ["png_alpha", "greyscale", "png_16bit", "cmyk_jpeg", "exif_rotation"])
def test_every_layout_gets_a_result(name, tmp_path):
    path, shape, _ = good_files(tmp_path)[name]
    outputs = tab("denoise")(str(path))
    check_common(outputs, shape)


def test_bad_inputs_get_their_message_and_the_tab_answers_the_next(tmp_path):
    good, shape = small_example("denoise", tmp_path, side=32)
    for name, (path, words) in bad_files(tmp_path).items():
        for track in restore.tab_names():
            with pytest.raises(gr.Error) as error:
                tab(track)(str(path))
            assert words in error.value.message, (name, track, error.value.message)
        check_common(tab("denoise")(str(good)), shape)
    with pytest.raises(gr.Error, match="请先上传"):
        tab("deblur")(None)


def test_a_failure_while_restoring_is_a_message(monkeypatch, tmp_path):
    def broken(self, image, **options):
        raise RuntimeError("out of memory\nC++ context ...")

    monkeypatch.setattr(type(get_deployment("denoise")), "restore", broken)
    path, _ = small_example("denoise", tmp_path, side=32)
    with pytest.raises(gr.Error) as error:
        tab("denoise")(str(path))
    assert error.value.message == "处理失败：RuntimeError: out of memory"


def test_timing_restores_the_enlarged_example():
    from lib.app.timing import time_tab

    record = time_tab("denoise", side=64)
    assert record["pixels"] == 64 * 64 and "64 x 64" in record["model_input"]
    assert record["seconds_per_megapixel"] == pytest.approx(record["seconds"] / (64 * 64 / 1e6), rel=0.01, abs=0.1)
