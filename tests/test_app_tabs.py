"""The app's tabs called directly (lib.app.ui.handlers(), made from the tracks' deployments): each returns its
images at the input's size through the track's shipped model, exported as the submission exports it, beside its
classical method; every bad input is a gr.Error in Chinese (no English exception name), the previous result is
cleared first, and the tab answers the next request. The models load once per session (lib.tracks.deployment
caches them; their exports stay in runs/app/exported)."""

import re

import cv2
import gradio as gr
import numpy as np
import pytest
from app_inputs import bad_files, good_files

from lib.app import jobs, restore, ui
from lib.app.images import InputImageError, load_image
from lib.infer import as_runner, restore_array, tile_grid
from lib.tracks import deployment as deployments
from lib.tracks import get_deployment

pytestmark = pytest.mark.slow  # each loads a shipped model and restores an image (seconds)

EXCEPTION_NAME = re.compile(r"[A-Za-z]*(Error|Exception)\b")
READER_ENGLISH = r"not an image|truncated|empty file|cannot|decode"  # the image reader's own reasons


@pytest.fixture(autouse=True)
def shipped_models(monkeypatch):
    """The tabs' summaries name the shipped model (checkpoints/), whatever a learner has trained in
    runs/: the instructor's switch, and a model cache of this test's own. The profile is the one a host runs
    (none set: the default, whose exports the bundle carries; `make test` sets smoke for the rest)."""
    monkeypatch.setenv("COURSE_SHIPPED", "1")
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setattr(deployments, "_models", {})


def tab(track):
    """The handler of ``track``'s tab, as the app wires it."""
    return ui.handlers()[track]


def run(track, path, *args, **kwargs) -> dict:
    """What the tab shows when it is done, by output name (lib.app.ui.output_names)."""
    outputs = ui.final(tab(track)(str(path) if path is not None else None, *args, **kwargs))
    return dict(zip(ui.output_names(get_deployment(track)), outputs))


def refused(track, path, *args, **kwargs) -> tuple[str, list]:
    """The message of the gr.Error a tab raises, and every output it yielded before (the last one: what the page
    shows)."""
    shown = []
    with pytest.raises(gr.Error) as error:
        for outputs in tab(track)(str(path) if path is not None else None, *args, **kwargs):
            shown.append(dict(zip(ui.output_names(get_deployment(track)), outputs)))
    return error.value.message, shown


def small_example(track, tmp_path, side=64):
    """The tab's example image cropped to ``side`` px (a fast test), as a PNG."""
    image = cv2.imread(str(ui.example_path(track)), cv2.IMREAD_COLOR)
    path = tmp_path / f"{track}.png"
    cv2.imwrite(str(path), image[:side, : side + 8])
    return path, image[:side, : side + 8].shape[:2]


def check_common(shown, shape):
    """The model's result and the classical one at the input's size, with their difference maps; the summary
    names the exported model and the classical method; the status says it is done."""
    before, after = shown["slider"]
    assert before.shape == after.shape == shown["result"].shape == shown["classical"].shape == (*shape, 3)
    assert shown["difference"].shape == shown["classical_difference"].shape == (*shape, 3)
    assert np.array_equal(after, shown["result"]) and shown["zoom"].ndim == 3
    summary = shown["summary"]
    assert "用时" in summary and "模型看到的" in summary and "checkpoints/" in summary and "经典方法" in summary
    assert "runs/app/exported/" in summary and "predict.py" in summary
    assert shown["status"].startswith("**完成**")
    return before, after


def test_deblur_tab(tmp_path):
    path, shape = small_example("deblur", tmp_path)
    shown = run("deblur", path, True, "quadrants", False)
    before, after = check_common(shown, shape)
    assert shown["tiles"].shape == (*shape, 3) and shown["ocr_input"] == shown["ocr_model"] == ""
    assert "4 块" in shown["summary"] and "TLC 开" in shown["summary"] and "反锐化掩模" in shown["summary"]
    assert not np.array_equal(before, after)
    from lib.evaluate.deconvolution import unsharp

    assert np.array_equal(shown["classical"], unsharp(before, radius=3.0, amount=1.0))  # metrics.json's tuning
    plain = run("deblur", path, False, "quadrants", False)
    assert "TLC 关" in plain["summary"] and "deblur-plain-" in plain["summary"]


def test_deblur_tlc_switch_reaches_the_model(tmp_path):
    """On a page larger than TLC's window (demo: 96 x 2.5 = 240 px), TLC changes the result (on a
    smaller one its local mean is the global one): each is its own exported model."""
    image = cv2.resize(cv2.imread(str(ui.example_path("deblur"))), (288, 320), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(tmp_path / "page.png"), image)
    with_tlc = run("deblur", tmp_path / "page.png", True, "whole", False)
    without = run("deblur", tmp_path / "page.png", False, "whole", False)
    assert not np.array_equal(with_tlc["result"], without["result"])


def test_the_tab_runs_the_exported_model_as_the_submission_does(tmp_path):
    """The app's result is lib.infer's restore with the exported model's runner (ONNX Runtime here, as
    predict.py picks on a CPU), and within a grey level of the dygraph network the export came from."""
    path, shape = small_example("denoise", tmp_path, side=48)
    shown = run("denoise", path)
    deployment = get_deployment("denoise")
    runner = deployment.runner()
    assert runner.backend == "onnx" and (runner.folder / "model.onnx").is_file()
    image = load_image(path).rgb
    assert np.array_equal(shown["result"], restore_array(runner, image, multiple=runner.multiple))
    dygraph = restore_array(as_runner(deployment.exportable(deployment.load_model())), image, multiple=16)
    assert np.abs(dygraph.astype(int) - shown["result"].astype(int)).max() <= 1


def test_without_the_onnx_tools_the_tab_exports_paddle_inference_and_runs_it(monkeypatch, tmp_path):
    """A hosted app has no export chain: a model it exports itself (not one its bundle carries) is Paddle Inference
    only, run by Paddle Inference, and restores as the ONNX export does."""
    path, _ = small_example("denoise", tmp_path, side=48)
    image = load_image(path).rgb
    deployment = get_deployment("denoise")
    with_onnx = deployment.runner()
    expected = restore_array(with_onnx, image, multiple=with_onnx.multiple)
    monkeypatch.setattr(deployments, "onnx_tools", lambda: False)
    monkeypatch.setattr(deployments, "APP_EXPORTS", tmp_path / "exported")
    monkeypatch.setattr(deployments, "_models", {})
    runner = deployment.runner()
    assert runner.folder.parent == tmp_path / "exported" and runner.exported_now
    assert not (runner.folder / "model.onnx").exists() and (runner.folder / "model.pdiparams").is_file()
    assert runner.backend == "paddle"
    got = restore_array(runner, image, multiple=runner.multiple)
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1


def test_the_tab_shows_the_ocr_of_input_and_both_results(monkeypatch, tmp_path):
    """The tab reads the input, the model's and the classical result with lib.ocr's engine (tests/test_ocr.py
    tests the engine; a stand-in here that names the image's mean grey level, as OCR takes ~10 s a page)."""

    class Reader:
        def read(self, image):
            return f"mean {image.mean():.3f}"

    monkeypatch.setattr(jobs, "ocr_engine", Reader)
    path, _ = small_example("deblur", tmp_path)
    shown = run("deblur", path, True, "overlap", True)
    before, after = shown["slider"]
    assert shown["ocr_input"] == f"mean {before.mean():.3f}" and shown["ocr_model"] == f"mean {after.mean():.3f}"
    assert shown["ocr_classical"] == f"mean {shown['classical'].mean():.3f}"
    assert "OCR" in shown["summary"]


def test_a_failing_ocr_says_so_and_keeps_the_restored_images(monkeypatch, tmp_path):
    class Broken:
        def read(self, image):
            raise RuntimeError("the engine broke")

    monkeypatch.setattr(jobs, "ocr_engine", Broken)
    path, shape = small_example("sdwnet", tmp_path, side=48)
    shown = run("sdwnet", path, True)
    check_common(shown, shape)
    for key in ("ocr_input", "ocr_model", "ocr_classical"):
        assert shown[key].startswith("文字识别失败") and "恢复的图像不受影响" in shown[key]
        assert not EXCEPTION_NAME.search(shown[key]) and "engine broke" not in shown[key]


def test_a_7000_by_16_strip_with_ocr_on_returns_the_image(tmp_path):
    """The real OCR engine cannot scale so flat a strip: it says so in the OCR boxes, and the tab still returns
    the restored strip and the classical one."""
    strip = np.full((16, 7000, 3), 255, np.uint8)
    cv2.putText(strip, "restore me 123", (10, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    cv2.imwrite(str(tmp_path / "strip.png"), strip)
    shown = run("deblur", tmp_path / "strip.png", True, "overlap", True)
    check_common(shown, (16, 7000))
    assert all(shown[key] for key in ("ocr_input", "ocr_model", "ocr_classical"))
    assert not any(EXCEPTION_NAME.search(shown[key]) for key in ("ocr_input", "ocr_model", "ocr_classical"))


def test_deblur_whole_falls_back_to_tiles_over_the_budget(monkeypatch, tmp_path):
    from lib.tracks.deblur import deployment as deblur

    monkeypatch.setattr(deblur, "WHOLE_LIMIT", 32 * 32)
    path, shape = small_example("deblur", tmp_path)
    result = get_deployment("deblur").restore(cv2.imread(str(path))[..., ::-1].copy(), tiling="whole")
    assert result.notes and "重叠分块" in result.notes[0]


@pytest.mark.parametrize("track, words", [("sdwnet", "反锐化掩模"), ("denoise", "非局部均值")])
def test_difference_tabs(track, words, tmp_path):
    path, shape = small_example(track, tmp_path, side=48)
    shown = run(track, path, **({"ocr": False} if track == "sdwnet" else {}))
    check_common(shown, shape)
    assert "差异图" in shown["summary"] and words in shown["summary"]


def test_retouch_tab_k_and_d_stitch_like_the_image(tmp_path):
    path, shape = small_example("retouch", tmp_path)
    shown = run("retouch", path)
    check_common(shown, shape)
    assert shown["K"].shape == shown["D"].shape == (*shape, 3)
    assert "K 图" in shown["summary"] and "D 图" in shown["summary"] and "OpenCV 修补" in shown["summary"]


def test_retouch_maps_replay_the_tiles_of_the_image():
    """Over several tiles, K and D are stitched with the image's own plan and blending, and the exported
    decomposition's image channels are the network's output."""
    from lib.tracks.retouch.deployment import Decomposing, decompose_export

    model = restore.model_of("retouch", deployed=False)
    image = cv2.imread(str(ui.example_path("retouch")))[..., ::-1].copy()
    decomposing = Decomposing(as_runner(decompose_export(model)))
    grid = tile_grid(*image.shape[:2], "tiles", tile=96, overlap=16, multiple=16)
    after = restore_array(decomposing, image, grid, multiple=16)
    assert len(decomposing.maps) == len(grid[0]) * len(grid[1]) > 1
    assert np.array_equal(after, restore_array(as_runner(model), image, grid, multiple=16))
    whole = restore.restore("retouch", image)
    assert whole.after.shape == after.shape


def test_retouch_refuses_a_20_by_20_image_naming_its_33_px_side(tmp_path):
    """The shared check allows 16 px; gUNet's reflect padding at its bottom level needs 33: said before any work,
    the same at preview and at restore."""
    cv2.imwrite(str(tmp_path / "tiny.png"), np.full((20, 20, 3), 128, np.uint8))
    message, shown = refused("retouch", tmp_path / "tiny.png")
    assert "每边至少 33 像素" in message and "20 x 20" in message and not EXCEPTION_NAME.search(message)
    assert shown[-1]["status"] == ui.error_status(message) and shown[-1]["result"] is None
    image, status = ui.preview_handler(get_deployment("retouch"))(str(tmp_path / "tiny.png"))
    assert image is None and status == ui.error_status(message)
    assert load_image(tmp_path / "tiny.png", "denoise").rgb.shape == (20, 20, 3)  # another tab takes it
    cv2.imwrite(str(tmp_path / "ok.png"), np.full((33, 40, 3), 128, np.uint8))
    check_common(run("retouch", tmp_path / "ok.png"), (33, 40))


def test_deocclusion_tab(tmp_path):
    path = ui.example_path("deocclusion")
    shape = cv2.imread(str(path)).shape[:2]
    shown = run("deocclusion", path)
    check_common(shown, shape)
    assert shown["mask"].shape == shown["crops"].shape == (*shape, 3)
    assert "遮挡掩码占" in shown["summary"] and "分割网络" in shown["summary"] and "Telea" in shown["summary"]


@pytest.mark.parametrize("name", ["png_alpha", "greyscale", "png_16bit", "cmyk_jpeg", "exif_rotation"])
def test_every_layout_gets_a_result_and_its_note_once(name, tmp_path):
    path, shape, note = good_files(tmp_path)[name]
    shown = run("denoise", path)
    check_common(shown, shape)
    notes = load_image(path).notes
    assert bool(notes) == bool(note) and all(shown["summary"].count(text) == 1 for text in notes), shown["summary"]


def test_bad_inputs_get_their_message_clear_the_last_result_and_the_tab_answers_the_next(tmp_path):
    good, shape = small_example("denoise", tmp_path, side=32)
    for name, (path, words) in bad_files(tmp_path).items():
        for track in restore.tab_names():
            message, shown = refused(track, path)
            assert words in message, (name, track, message)
            assert not EXCEPTION_NAME.search(message) and not re.search(READER_ENGLISH, message), message
            last = shown[-1]
            assert last["status"] == ui.error_status(message)
            assert all(last[key] in (None, "") for key in last if key != "status"), (name, track)
        check_common(run("denoise", good), shape)
    message, _ = refused("deblur", None)
    assert "请先上传" in message


def test_a_failure_while_restoring_is_a_message_without_the_exception(monkeypatch, tmp_path):
    def broken(self, image, **options):
        raise RuntimeError("out of memory\nC++ context ...")

    monkeypatch.setattr(type(get_deployment("denoise")), "restore", broken)
    path, _ = small_example("denoise", tmp_path, side=32)
    message, shown = refused("denoise", path)
    assert message.startswith("处理这张图时出错了") and "RuntimeError" not in message and "memory" not in message
    assert shown[-1]["status"] == ui.error_status(message) and shown[-1]["result"] is None


def test_progress_reports_the_tiles_and_the_estimate_includes_ocr(monkeypatch, tmp_path):
    """While the model restores, the status line names the tile and the seconds left, OCR included."""
    record = tmp_path / "timing.json"
    record.write_text(
        '{"seconds_per_megapixel": {"deblur": 40}, "classical_seconds_per_megapixel": {"deblur": 1},'
        ' "ocr_seconds_per_megapixel": 10}',
        encoding="utf-8",
    )
    monkeypatch.setattr(deployments, "TIMING_RECORD", record)
    deployment = get_deployment("deblur")
    assert deployment.estimate_seconds(1_000_000, ocr=True) == pytest.approx(40 + 1 + 3 * 10)
    assert deployment.estimate_seconds(1_000_000, ocr=False) == pytest.approx(41)
    job = jobs.Job(deployment, np.zeros((64, 64, 3), np.uint8), {}, ocr=True)
    job.done, job.total = 2, 6
    text = ui.progress_status(job, 30.0, "反锐化掩模")
    assert "模型恢复第 2/6 块" in text and "约剩" in text and "含 OCR" in text


def test_timing_restores_the_enlarged_example():
    from lib.app.timing import time_tab

    record = time_tab("denoise", side=64, repeats=1)
    assert record["pixels"] == 64 * 64 and "64 x 64" in record["model_input"]
    assert record["seconds_per_megapixel"] == pytest.approx(record["seconds"] / (64 * 64 / 1e6), rel=0.01, abs=0.1)
    assert record["classical_seconds_per_megapixel"] > 0 and "ONNX Runtime" in record["runtime"]


def test_loading_is_refused_with_the_one_limit_broken(tmp_path):
    """Each limit names its own cause: too short, too long, too many pixels."""
    for size, words in (((10, 400), "每边至少 16 像素"), ((8001, 20), "一边太长"), ((3000, 3000), "像素太多")):
        cv2.imwrite(str(tmp_path / "x.png"), np.zeros((size[1], size[0], 3), np.uint8))
        with pytest.raises(InputImageError, match=words):
            load_image(tmp_path / "x.png", "deblur")
