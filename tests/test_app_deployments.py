"""The app loops over the tracks' deployments (lib.tracks.deployment): a toy track registered here, with a
deployment defined here, becomes a tab of its own (title, intro, controls, extra outputs, limits read from the
timing record) without any edit to lib/app, and its tab restores an image through its model."""

import json

import cv2
import gradio as gr
import numpy as np
import paddle
import pytest

import lib
from lib import tracks
from lib.app import restore, ui
from lib.app.images import InputImageError, limit_text, load_image, max_pixels
from lib.tracks import Track, get_deployment
from lib.tracks import deployment as deployments
from lib.tracks.deployment import MAX_PIXELS, Control, Deployment, Extra

COURSE_TABS = ["deblur", "sdwnet", "denoise", "retouch", "deocclusion"]  # the order of their notebooks


class Halve(paddle.nn.Layer):
    """A model that halves every pixel: its output is known exactly (a weight of 0.5, so that it exports)."""

    def __init__(self):
        super().__init__()
        self.scale = self.create_parameter([1], default_initializer=paddle.nn.initializer.Constant(0.5))

    def forward(self, x):
        return x * self.scale


class ToyDeployment(Deployment):
    title_zh = "玩具：亮度减半"
    intro_zh = "测试用的玩具赛道：把每个像素减半。"
    extras = (Extra("note", "说明", kind="text", row=1),)
    min_side = 20

    def controls(self):
        return (Control("loud", "checkbox", "说明写长一点", False),)

    def load_model(self, path=None, profile=None):
        model = Halve()
        model.checkpoint_path = lib.paths.REPO_ROOT / "checkpoints" / "toy_app_halve" / "model.pdparams"
        return model

    def restore(self, image, *, loud=False, progress=None, profile=None):
        result = super().restore(image, progress=progress, profile=profile)
        result.texts["note"] = "每个像素都减半了" if loud else "减半"
        return result


class ToyTrack(Track):
    name = "toy_app"
    title = "A toy track whose deployment has an app tab"
    deployment_class = ToyDeployment


@pytest.fixture
def toy(monkeypatch):
    """The toy track registered for this test only, with a model cache of its own."""
    monkeypatch.setitem(tracks._loaded, ToyTrack.name, ToyTrack())
    monkeypatch.setattr(deployments, "_models", {})
    return ToyTrack.name


def test_a_registered_track_with_a_deployment_is_a_tab_of_the_app(toy):
    assert restore.tab_names() == [*COURSE_TABS, toy]  # a track without notebooks comes last
    demo = ui.build_app()
    tabs = {block.id: block.label for block in demo.blocks.values() if isinstance(block, gr.Tab)}
    assert list(tabs) == [*COURSE_TABS, toy] and tabs[toy] == ToyDeployment.title_zh
    assert toy in {fn.api_name for fn in demo.fns.values()}
    texts = [block.value for block in demo.blocks.values() if isinstance(block, gr.Markdown)]
    assert ToyDeployment.intro_zh in texts
    labels = {getattr(block, "label", None) for block in demo.blocks.values()}
    assert {"说明写长一点", "说明", "模型的差异图 |结果 - 输入|", "经典方法的结果：经典方法"} <= labels
    assert demo.title == "图像恢复：六个方案"


def test_without_it_the_app_has_the_course_s_tabs():
    assert restore.tab_names() == COURSE_TABS


def test_the_toy_tab_restores_through_its_model(toy, tmp_path):
    """Without a checkpoint file to export, the toy's model runs in dygraph, and its summary says so."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 52, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "toy.png"), image[..., ::-1])
    outputs = ui.final(ui.handlers()[toy](str(tmp_path / "toy.png"), True))
    shown = dict(zip(ui.output_names(get_deployment(toy)), outputs))
    before, after = shown["slider"]
    np.testing.assert_array_equal(before, image)
    assert np.abs(after.astype(int) - image.astype(int) / 2).max() <= 0.5  # halved, rounded to 8 bits
    assert np.array_equal(shown["result"], after) and shown["difference"].shape == image.shape
    assert shown["classical"] is None  # the toy has no classical method
    assert shown["note"] == "每个像素都减半了" and "每个像素都减半了" not in shown["summary"]  # its own box
    assert "checkpoints/toy_app_halve/model.pdparams" in shown["summary"] and "动态图" in shown["summary"]
    again = ui.final(ui.handlers()[toy](str(tmp_path / "toy.png")))
    assert again[ui.output_names(get_deployment(toy)).index("note")] == "减半"  # the control's default


def test_the_toy_tab_s_limits_are_its_deployment_s(toy, tmp_path, monkeypatch):
    """Without a recorded speed the tab takes the app's maximum; with one, what it restores in the time
    budget (180 s at 90 s per megapixel: 2.0 MP); its minimum side is its own."""
    assert max_pixels(toy) == MAX_PIXELS and "约需" not in limit_text(toy)
    record = tmp_path / "timing.json"
    record.write_text(json.dumps({"seconds_per_megapixel": {toy: 90}}), encoding="utf-8")
    monkeypatch.setattr(deployments, "TIMING_RECORD", record)
    assert max_pixels(toy) == 2_000_000
    assert "最大 2.0 百万像素" in limit_text(toy) and "约需 90 秒" in limit_text(toy)
    cv2.imwrite(str(tmp_path / "small.png"), np.zeros((18, 30, 3), np.uint8))
    with pytest.raises(InputImageError, match="每边至少 20 像素"):
        load_image(tmp_path / "small.png", toy)
    assert load_image(tmp_path / "small.png").rgb.shape == (18, 30, 3)  # the app's own minimum is 16


def test_timing_records_two_significant_digits_and_keeps_the_other_tabs(toy, tmp_path, monkeypatch):
    """python -m lib.app.timing --record: the measured speed lands in the record the deployment reads."""
    import shutil

    from lib.app.timing import record_timing

    record = tmp_path / "timing.json"
    shutil.copy(deployments.TIMING_RECORD, record)
    before = json.loads(record.read_text(encoding="utf-8"))["seconds_per_megapixel"]
    record_timing([{"tab": toy, "seconds_per_megapixel": 12.345}], 1000, record)
    after = json.loads(record.read_text(encoding="utf-8"))
    assert after["seconds_per_megapixel"] == {**before, toy: 12.0} and "--side 1000" in after["how"]
    monkeypatch.setattr(deployments, "TIMING_RECORD", record)
    assert get_deployment(toy).seconds_per_megapixel == 12.0 and max_pixels(toy) == 8_000_000


@pytest.mark.slow  # exports a network (Paddle Inference + ONNX, checked against dygraph): seconds
def test_the_tab_s_model_is_exported_once_per_checkpoint_and_again_when_it_changes(toy, tmp_path, monkeypatch):
    """With a checkpoint file, the tab runs the exported model (lib.infer's ONNX Runtime runner, as predict.py),
    from a folder keyed by the checkpoint's sha256; a changed checkpoint is exported again, and the dygraph model
    loaded to export is let go."""
    checkpoint = tmp_path / "toy" / "model.pdparams"
    checkpoint.parent.mkdir()
    checkpoint.write_bytes(b"first weights")

    def load_model(self, path=None, profile=None):
        model = Halve()
        model.checkpoint_path = checkpoint
        return model

    monkeypatch.setattr(ToyDeployment, "load_model", load_model)
    monkeypatch.setattr(ToyDeployment, "checkpoint", lambda self, profile=None: checkpoint)
    monkeypatch.setattr(deployments, "APP_EXPORTS", tmp_path / "exported")
    deployment = get_deployment(toy)
    runner = deployment.runner()
    assert runner.exported_now and runner.backend == "onnx" and runner.folder.parent == tmp_path / "exported"
    assert not any(key[0] in ("model", "deployed") for key in deployments._models)  # the dygraph copy let go
    image = np.random.default_rng(0).random((1, 3, 20, 24), dtype=np.float32)
    np.testing.assert_allclose(runner(image), image * 0.5, atol=1e-6)
    assert deployment.runner() is runner
    monkeypatch.setattr(deployments, "_models", {})  # a new process: the folder is found, not exported again
    again = deployment.runner()
    assert again.folder == runner.folder and not again.exported_now
    checkpoint.write_bytes(b"second weights")
    changed = deployment.runner()
    assert changed.exported_now and changed.folder != runner.folder
    assert sorted(p.name for p in (tmp_path / "exported").iterdir()) == sorted(
        [runner.folder.name, changed.folder.name]
    )
