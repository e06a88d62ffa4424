"""The app's tabs (gradio Blocks): one tab builder and one handler maker, looped over the tracks' deployments
(:func:`lib.app.restore.tabs`): each deployment gives its tab's title, intro, model card, example, controls, extra
outputs, classical method and limits.

Every word the page shows is Chinese. Gradio's own status tracker (queue position, "processing", progress) and its
toasts speak English whatever the browser's language (gradio 6.31; ``gr.Error``'s ``title`` is not shown either),
so every event hides the tracker (``show_progress="hidden"``) and each tab has a status line of its own that its
handler updates: 排队中（第 N 位）, 处理中 with the stage, tiles and the estimated seconds left (OCR included), 完成,
or why not. Errors are raised as ``gr.Error(visible=False)``: no English toast, while API clients still get the
message; the status line says it, and the previous result is cleared first. Gradio's footer is hidden.

Each tab's handler (``handlers()[track]``) is a generator: it takes the uploaded file's path and the values of the
tab's controls (:meth:`Deployment.all_controls`) and yields the values of its outputs (:func:`output_names`), the
status last. The app's own queue (:class:`lib.app.jobs.RestoreQueue`) lets one restore run at a time and at most
:data:`QUEUE_SIZE` wait; gradio's queue has no size limit (so its English "queue is full" never shows) and runs up
to :data:`HANDLER_SLOTS` handlers at once, enough for every waiting request to report its place.
"""

from __future__ import annotations

import inspect
import itertools
import sys
import time
from pathlib import Path

import gradio as gr

from ..tracks import get_deployment
from ..tracks.deployment import Deployment
from . import restore as R
from .images import InputImageError, limit_text, load_image
from .jobs import Job, RestoreQueue

QUEUE_SIZE = 16  # requests waiting at most besides the one restoring; one more is told the app is busy
HANDLER_SLOTS = QUEUE_SIZE + 2  # gradio runs this many handlers at once: the waiting ones report their place
RESTORE_SLOT = "restore"
POLL_S = 0.5  # how often a waiting or running request updates its status line
CHINESE_COUNTS = "零一二三四五六七八九十"
HIDE_FOOTER = "<style>footer { display: none !important; }</style>"  # gradio's footer links are English
COMMON_OUTPUTS = ("slider", "result", "classical", "difference", "classical_difference", "zoom", "summary")
OCR_OUTPUTS = ("ocr_input", "ocr_model", "ocr_classical")

QUEUE = RestoreQueue(QUEUE_SIZE)


def example_path(track: str) -> Path:
    return get_deployment(track).example_path


def output_names(deployment: Deployment) -> list[str]:
    """The names of a tab's outputs, in the order its handler yields them: the common views, the OCR texts of a
    tab of documents, the deployment's extras, the status line."""
    ocr = OCR_OUTPUTS if deployment.ocr else ()
    return [*COMMON_OUTPUTS, *ocr, *(extra.key for extra in deployment.extras), "status"]


# ---------------------------------------------------------------------------------------------- the status line
def status_text(kind: str, text: str) -> str:
    return f"**{kind}**：{text}"


def seconds_zh(seconds: float) -> str:
    return f"{seconds:.0f} 秒" if seconds >= 10 else f"{seconds:.1f} 秒"


def _estimate_zh(estimate: float | None, ocr: bool) -> str:
    if estimate is None:
        return ""
    return f"约需 {seconds_zh(estimate)}" + ("（含 OCR）" if ocr else "")


def queue_status(place: int, ahead: float | None, estimate: float | None, ocr: bool) -> str:
    wait = f"，约 {seconds_zh(ahead)}后轮到你" if ahead is not None else ""
    mine = _estimate_zh(estimate, ocr)
    text = f"前面还有 {place} 张图{wait}" + (f"；你的图{mine}。" if mine else "。")
    return status_text(f"排队中（第 {place} 位）", text)


def progress_status(job: Job, estimate: float | None, label: str) -> str:
    elapsed = time.monotonic() - job.started
    if job.stage == "model":
        if not job.total:
            doing = "准备模型（这一栏第一次使用时要先导出模型，只做一次）"
        else:
            doing = f"模型恢复第 {job.done}/{job.total} 块" if job.total > 1 else "模型恢复中"
    elif job.stage == "classical":
        doing = f"经典方法（{label}）"
    elif job.stage == "ocr":
        doing = f"识别文字（OCR，第 {job.done}/{job.total} 张）"
    else:
        doing = "生成对比图"
    left = ""
    if estimate is not None:
        remaining = estimate - elapsed
        left = f"，约剩 {seconds_zh(remaining)}" if remaining > 0 else "，已超过预计时间，快好了"
        left += "（含 OCR）" if job.ocr else ""
    return status_text("处理中", f"{doing} · 已用 {seconds_zh(elapsed)}{left}")


def error_status(message: str) -> str:
    return status_text("无法处理", message)


def failure_message(exc: BaseException) -> str:
    """A failure while restoring, in Chinese and without the exception's class (the server's log has it)."""
    if isinstance(exc, MemoryError):
        return "内存不够：请换一张小一些的图片再试。"
    return "处理这张图时出错了（详细原因写在服务器日志里）。请换一张图片，或缩小后再试。"


# ---------------------------------------------------------------------------------------------- the handlers
def _summary(deployment: Deployment, loaded, outcome) -> str:
    """The time, the sizes, how the model ran, the classical method, every note once."""
    result, seconds = outcome.result, outcome.seconds
    h, w = result.before.shape[:2]
    parts = [f"模型 {seconds_zh(seconds['restore'])}"]
    loading = seconds["model"] - seconds["restore"]
    if loading >= 1.0:  # the tab's first use: its model exported (once per checkpoint) and loaded
        parts.insert(0, f"加载模型 {seconds_zh(loading)}")
    if outcome.classical is not None:
        parts.append(f"经典方法 {seconds_zh(seconds['classical'])}")
    if outcome.texts:
        parts.append(f"OCR {seconds_zh(seconds['ocr'])}")
    lines = [
        f"**用时 {seconds_zh(seconds['total'])}**（{'，'.join(parts)}；本机 CPU，不含读图）",
        f"- 图像：{w} x {h} 像素（{w * h / 1e6:.2f} 百万像素）",
        f"- 模型看到的：{result.model_input}",
        f"- 运行：{result.runtime}" if result.runtime else "",
        f"- 模型文件：`{result.model_file}`",
        f"- 经典方法：{outcome.classical_label}" if outcome.classical is not None else "",
    ]
    lines += [f"- {line}" for line in outcome.lines]
    shown_apart = {extra.key for extra in deployment.extras if extra.kind == "text"}
    lines += [f"- {text}" for key, text in result.texts.items() if key not in shown_apart]
    lines += [f"- {note}" for note in [*loaded.notes, *result.notes]]
    return "\n".join(line for line in lines if line)


def _values(deployment: Deployment, names: list[str], loaded, outcome) -> dict:
    result = outcome.result
    values = {
        "slider": (result.before, result.after),
        "result": result.after,
        "classical": outcome.classical,
        "summary": _summary(deployment, loaded, outcome),
        **outcome.images,
        **outcome.texts,
    }
    for extra in deployment.extras:
        values[extra.key] = result.texts.get(extra.key, "") if extra.kind == "text" else result.extras.get(extra.key)
    return values


def handler(deployment: Deployment, queue: RestoreQueue | None = None):
    """The tab's generator: ``(path, <each control's value>...)`` -> its outputs (:func:`output_names`), yielded
    again whenever the status line changes. Its signature names the controls, so that gradio passes their values."""
    controls = deployment.all_controls()
    names = output_names(deployment)
    text_outputs = set(OCR_OUTPUTS) | {"summary"} | {e.key for e in deployment.extras if e.kind == "text"}
    parameter = inspect.Parameter.POSITIONAL_OR_KEYWORD
    signature = inspect.Signature(
        [
            inspect.Parameter("path", parameter),
            *(inspect.Parameter(control.key, parameter, default=control.default) for control in controls),
        ]
    )

    def cleared(status: str) -> list:
        return ["" if name in text_outputs else None for name in names[:-1]] + [status]

    def only_status(status: str) -> list:
        return [gr.skip() for _ in names[:-1]] + [status]

    def refuse(message: str):
        yield cleared(error_status(message))
        raise gr.Error(message, visible=False, print_exception=False)

    def tab(*args, **kwargs):
        line = queue or QUEUE
        given = signature.bind(*args, **kwargs)
        given.apply_defaults()
        values = given.arguments
        options = {control.key: control.value(values[control.key]) for control in controls}
        ocr = bool(options.pop("ocr", False))
        yield cleared(status_text("读取图片", "检查大小和格式……"))
        try:
            loaded = load_image(values["path"], deployment.name)
        except InputImageError as exc:
            if exc.__cause__ is not None:
                print(f"[app] {deployment.name}: {exc.__cause__}", file=sys.stderr, flush=True)
            yield from refuse(str(exc))
            return
        h, w = loaded.rgb.shape[:2]
        estimate = deployment.estimate_seconds(h * w, ocr)
        ticket = line.join(estimate)
        if ticket is None:
            yield from refuse(f"应用正忙：已有 {line.waiting()} 张图在排队，请过几分钟再试。")
            return
        job = Job(deployment, loaded.rgb, options, ocr, finished=lambda: line.leave(ticket))
        try:
            while not line.wait_turn(ticket, POLL_S):
                yield only_status(queue_status(line.place(ticket), line.seconds_ahead(ticket), estimate, ocr))
            line.start(ticket)
            job.start()
        finally:
            if not job.is_alive() and job.outcome is None and job.error is None:
                line.leave(ticket)  # left the line before its turn (the page was closed): the next one goes
        label = deployment.classical.name_zh if deployment.classical else ""
        while job.is_alive():
            yield only_status(progress_status(job, estimate, label))
            job.join(POLL_S)
        if job.error is not None:
            yield from refuse(failure_message(job.error))
            return
        shown = _values(deployment, names, loaded, job.outcome)
        done = status_text("完成", f"用时 {seconds_zh(job.outcome.seconds['total'])}，结果在下面")
        yield [shown.get(name, "" if name in text_outputs else None) for name in names[:-1]] + [done]

    tab.__signature__ = signature
    tab.__name__ = tab.__qualname__ = f"{deployment.name}_tab"
    return tab


def handlers() -> dict:
    """Every tab's handler, by track name."""
    return {deployment.name: handler(deployment) for deployment in R.tabs()}


def final(outputs) -> list:
    """The last outputs a handler yields (what the page shows when it is done); its error if it raises one."""
    last = None
    for values in outputs:
        last = values
    return last


def preview_handler(deployment: Deployment):
    """The upload's preview, checked against the tab's own limits (the same as at restore): the image as the tab
    will restore it (upright, 8-bit RGB) and the status line, or nothing and why not."""

    def preview(path):
        if path is None:
            return None, ""
        try:
            loaded = load_image(path, deployment.name)
        except InputImageError as exc:
            return None, error_status(str(exc))
        h, w = loaded.rgb.shape[:2]
        return loaded.rgb, status_text("已读入", f"{w} x {h} 像素，点“恢复”开始。")

    preview.__name__ = f"{deployment.name}_preview"
    return preview


# ---------------------------------------------------------------------------------------------- the blocks
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
    """One tab: the intro and the model card; upload + preview + controls + button + limits on the left, the status
    line, before/after and the summary on the right; below, the model's and the classical results side by side,
    their difference maps, the zoom, the OCR texts and the deployment's extras."""
    track, example = deployment.name, deployment.example_path
    classical = deployment.classical.name_zh if deployment.classical else "经典方法"
    gr.Markdown(deployment.intro_zh)
    gr.Markdown(deployment.model_card_zh(), elem_id=f"{track}-card")
    with gr.Row():
        with gr.Column(scale=1):
            upload = gr.File(
                label="上传图片",
                type="filepath",
                value=str(example) if example.is_file() else None,
                elem_id=f"{track}-file",
            )
            shown = _image("输入（转正、8 位 RGB 后）", value=str(example) if example.is_file() else None, height=240)
            options = [_control(control) for control in deployment.all_controls()]
            button = gr.Button("恢复", variant="primary", elem_id=f"{track}-run")
            if example.is_file():
                gr.Examples([[str(example)]], inputs=[upload], label="示例（课程的数据生成器生成）")
            gr.Markdown(f"限制：{limit_text(track)}。")
        with gr.Column(scale=2):
            status = gr.Markdown(elem_id=f"{track}-status")
            slider = gr.ImageSlider(label="前后对比（拖动中线）", type="numpy", format="png", max_height=520)
            summary = gr.Markdown(elem_id=f"{track}-summary")
    outputs = {"slider": slider, "summary": summary, "status": status}
    with gr.Row():
        outputs["result"] = _image("模型的结果", elem_id=f"{track}-result")
        outputs["classical"] = _image(f"经典方法的结果：{classical}", elem_id=f"{track}-classical")
    with gr.Row():
        outputs["difference"] = _image("模型的差异图 |结果 - 输入|")
        outputs["classical_difference"] = _image("经典方法的差异图")
    outputs["zoom"] = _image("细节放大：输入 | 模型 | 经典方法（模型改动最大处）")
    if deployment.ocr:
        with gr.Row():
            outputs["ocr_input"] = gr.Textbox(label="输入的 OCR 文字", lines=8)
            outputs["ocr_model"] = gr.Textbox(label="模型结果的 OCR 文字", lines=8)
            outputs["ocr_classical"] = gr.Textbox(label="经典方法结果的 OCR 文字", lines=8)
    for _, row in itertools.groupby(deployment.extras, key=lambda extra: extra.row):
        with gr.Row():
            for extra in row:
                outputs[extra.key] = _output(extra)
    upload.change(preview_handler(deployment), upload, [shown, status], api_name=False, show_progress="hidden")
    button.click(
        handler(deployment),
        [upload, *options],
        [outputs[name] for name in output_names(deployment)],
        api_name=track,
        concurrency_id=RESTORE_SLOT,
        concurrency_limit=HANDLER_SLOTS,
        show_progress="hidden",
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
    """The app: a tab per deployment that has one; the app's own queue (one restoring, at most ``QUEUE_SIZE``
    waiting), gradio's without a size limit."""
    tabs = R.tabs()
    with gr.Blocks(title=app_title(len(tabs))) as demo:
        gr.HTML(HIDE_FOOTER, padding=False, container=False)
        gr.Markdown(
            "# 在自己的图片上试一试\n"
            "每一栏用该方案导出的模型（和提交包相同的导出文件与推理代码：分块、TLC、前后处理，"
            "ONNX Runtime 或 Paddle Inference 运行）恢复你上传的图片，旁边是最好的经典方法的结果。"
            "模型是你自己训练的（`COURSE_PROFILE`），没有则用附带模型；"
            "每一栏第一次使用时才加载（并导出）模型。"
        )
        with gr.Tabs() as tab_set:
            for deployment in tabs:
                with gr.Tab(deployment.title_zh, id=deployment.name):
                    _tab(deployment)
        demo.load(select_tab, None, tab_set, api_name=False, queue=False)
    demo.queue(max_size=None, default_concurrency_limit=1)
    return demo


def warm_up(tracks=None) -> None:
    """Load every tab's model now (a bench or a deployment that wants no first-use wait; the app itself loads each
    on its tab's first use)."""
    from ..infer import first_line

    for deployment in [get_deployment(name) for name in tracks] if tracks else R.tabs():
        try:
            deployment.warm()
        except Exception as exc:  # noqa: BLE001 -- a tab without a model says so when used; the others serve
            print(f"[app] {deployment.name}: model not loaded ({first_line(exc)})", flush=True)
