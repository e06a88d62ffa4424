"""The app's tabs (gradio Blocks): one tab builder and one handler maker, looped over the tracks' deployments
(:func:`lib.app.restore.tabs`): each deployment gives its tab's title, intro, example, controls, extra outputs
and size limits.

Each tab's handler (``handlers()[track]``) takes the uploaded file's path and the values of the tab's controls
and returns the values of its outputs; a file the app cannot restore raises ``gr.Error`` with a Chinese
message (lib.app.images), and any failure while restoring does too, so the app keeps serving.
Every restore shares one queue slot (``concurrency_id="restore"``, limit 1): two people both get
their answers, one after the other, and memory holds one image's work at a time.
"""

from __future__ import annotations

import inspect
import itertools
from pathlib import Path

import gradio as gr

from lib import image_views as views

from ..infer import first_line
from ..tracks import get_deployment
from ..tracks.deployment import Deployment
from . import restore as R
from .images import InputImageError, limit_text, load_image

QUEUE_SIZE = 16  # requests waiting at most; the 17th is told the app is busy
RESTORE_SLOT = "restore"
# gradio reports a handler's progress through a parameter whose default is a Progress (per request, by context)
PROGRESS = gr.Progress()
CHINESE_COUNTS = "零一二三四五六七八九十"


def example_path(track: str) -> Path:
    return get_deployment(track).example_path


def _loaded(path, track=None):
    try:
        loaded = load_image(path, track)
    except InputImageError as exc:
        raise gr.Error(str(exc), duration=None) from exc
    for note in loaded.notes:
        gr.Info(note)
    return loaded


def preview(path):
    """The uploaded image as the app will restore it (upright, 8-bit RGB), or a Chinese error."""
    if path is None:
        return None
    return _loaded(path).rgb


def _progress(progress):
    def report(done, total):
        progress(done / max(total, 1), desc=f"处理中：{done}/{total}")

    return report


def _summary(result: R.Restored, shown_apart=()) -> str:
    """The time, the sizes, the model and every note and text of the result, but those the tab shows in a box of
    their own (``shown_apart``)."""
    h, w = result.before.shape[:2]
    lines = [
        f"**用时 {result.seconds:.2f} 秒**（本机 CPU；不含读图和 OCR）",
        f"- 图像：{w} x {h} 像素（{w * h / 1e6:.2f} 百万像素）",
        f"- 模型看到的：{result.model_input}",
        f"- 模型文件：`{result.model_file}`",
    ]
    lines += [f"- {note}" for note in result.notes]
    lines += [f"- {text}" for key, text in result.texts.items() if key not in shown_apart]
    return "\n".join(lines)


def _run(deployment: Deployment, path, progress, **options):
    loaded = _loaded(path, deployment.name)
    try:
        result = R.restore(deployment.name, loaded.rgb, progress=_progress(progress), **options)
    except gr.Error:
        raise
    except Exception as exc:  # noqa: BLE001 -- any failure is told to the person; the app keeps serving
        raise gr.Error(f"处理失败：{first_line(exc)}", duration=None) from exc
    for note in result.notes:
        gr.Warning(note)
    zoom, _ = views.detail_zoom(result.before, result.after)
    shown_apart = {extra.key for extra in deployment.extras if extra.kind == "text"}
    return result, [(result.before, result.after), result.after, zoom, _summary(result, shown_apart)]


def handler(deployment: Deployment):
    """The tab's function: ``(path, <each control's value>..., progress)`` -> the before/after pair, the result,
    the zoom, the summary, then each of the deployment's extras. Its signature names the controls, so that gradio
    passes their values and its progress tracker in place."""
    controls = deployment.controls()
    parameter = inspect.Parameter.POSITIONAL_OR_KEYWORD
    signature = inspect.Signature(
        [
            inspect.Parameter("path", parameter),
            *(inspect.Parameter(control.key, parameter, default=control.default) for control in controls),
            inspect.Parameter("progress", parameter, default=PROGRESS),
        ]
    )

    def tab(*args, **kwargs):
        given = signature.bind(*args, **kwargs)
        given.apply_defaults()
        values = given.arguments
        options = {control.key: control.value(values[control.key]) for control in controls}
        result, common = _run(deployment, values["path"], values["progress"], **options)
        extras = [
            result.texts.get(extra.key, "") if extra.kind == "text" else result.extras[extra.key]
            for extra in deployment.extras
        ]
        return [*common, *extras]

    tab.__signature__ = signature
    tab.__name__ = tab.__qualname__ = f"{deployment.name}_tab"
    return tab


def handlers() -> dict:
    """Every tab's handler, by track name."""
    return {deployment.name: handler(deployment) for deployment in R.tabs()}


def _image(label, **kw):
    return gr.Image(label=label, type="numpy", format="png", interactive=False, **kw)


def _control(control):
    if control.kind == "checkbox":
        return gr.Checkbox(value=control.default, label=control.label)
    if control.kind == "radio":
        return gr.Radio(list(control.choices), value=control.default, label=control.label)
    raise ValueError(f"unknown control kind {control.kind!r} (checkbox or radio)")


def _output(extra):
    if extra.kind == "text":
        return gr.Textbox(label=extra.label, lines=extra.lines)
    return _image(extra.label)


def _tab(deployment: Deployment):
    """One tab: upload + preview + controls + button on the left, before/after and the summary on the
    right, the zoom and the deployment's extras below (one row per ``Extra.row``)."""
    track, example = deployment.name, deployment.example_path
    gr.Markdown(deployment.intro_zh)
    with gr.Row():
        with gr.Column(scale=1):
            upload = gr.File(
                label="上传图片",
                type="filepath",
                value=str(example) if example.is_file() else None,
                elem_id=f"{track}-file",
            )
            shown = _image("输入（转正、8 位 RGB 后）", value=str(example) if example.is_file() else None, height=240)
            options = [_control(control) for control in deployment.controls()]
            button = gr.Button("恢复", variant="primary", elem_id=f"{track}-run")
            if example.is_file():
                gr.Examples([[str(example)]], inputs=[upload], label="示例（课程的数据生成器生成）")
            gr.Markdown(f"限制：{limit_text(track)}。")
        with gr.Column(scale=2):
            slider = gr.ImageSlider(label="前后对比（拖动中线）", type="numpy", format="png", max_height=520)
            summary = gr.Markdown(elem_id=f"{track}-summary")
    with gr.Row():
        result = _image("结果", elem_id=f"{track}-result")
        zoom = _image("细节放大：输入 | 结果（改动最大处）")
    extras = []
    for _, row in itertools.groupby(deployment.extras, key=lambda extra: extra.row):
        with gr.Row():
            extras += [_output(extra) for extra in row]
    upload.change(preview, upload, shown, api_name=False)
    button.click(
        handler(deployment),
        [upload, *options],
        [slider, result, zoom, summary, *extras],
        api_name=track,
        concurrency_id=RESTORE_SLOT,
        concurrency_limit=1,
    )


def select_tab(request: gr.Request):
    """The tab the address names (``?tab=retouch``: a notebook's link to its track), else the first."""
    names = R.tab_names()
    wanted = (request.query_params.get("tab") if request is not None else None) or names[0]
    return gr.Tabs(selected=wanted if wanted in names else names[0])


def app_title(count: int) -> str:
    number = CHINESE_COUNTS[count] if count < len(CHINESE_COUNTS) else str(count)
    return f"图像恢复：{number}个方案"


def build_app() -> gr.Blocks:
    """The app: a tab per deployment that has one, one queue (at most ``QUEUE_SIZE`` waiting, one restoring at a
    time)."""
    tabs = R.tabs()
    with gr.Blocks(title=app_title(len(tabs))) as demo:
        gr.Markdown(
            "# 在自己的图片上试一试\n"
            "每一栏用该方案导出的同一个模型和同一套推理代码（分块、TLC、前后处理）恢复你上传的图片："
            "你自己训练的模型（`COURSE_PROFILE`），没有则用课程附带的演示模型。"
        )
        with gr.Tabs() as tab_set:
            for deployment in tabs:
                with gr.Tab(deployment.title_zh, id=deployment.name):
                    _tab(deployment)
        demo.load(select_tab, None, tab_set, api_name=False, queue=False)
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    return demo


def warm_up(tracks=None) -> None:
    """Load every tab's models (in a background thread after start-up: the first request need not wait)."""
    for deployment in [get_deployment(name) for name in tracks] if tracks else R.tabs():
        try:
            deployment.warm()
        except Exception as exc:  # noqa: BLE001 -- a tab without a model says so when used; the others serve
            print(f"[app] {deployment.name}: model not loaded ({first_line(exc)})", flush=True)
