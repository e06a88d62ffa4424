"""The app's five tabs (gradio Blocks): one shared tab builder, the per-track options and extras.

Each tab's handler (``HANDLERS[track]``) takes the uploaded file's path and the tab's options and
returns the values of its outputs; a file the app cannot restore raises ``gr.Error`` with a Chinese
message (lib.app.images), and any failure while restoring does too, so the app keeps serving.
Every restore shares one queue slot (``concurrency_id="restore"``, limit 1): two people both get
their answers, one after the other, and memory holds one image's work at a time.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from ..infer import first_line
from ..paths import REPO_ROOT
from . import restore as R
from . import views
from .images import InputImageError, limit_text, load_image

EXAMPLES_DIR = REPO_ROOT / "app" / "examples"
QUEUE_SIZE = 16  # requests waiting at most; the 17th is told the app is busy
RESTORE_SLOT = "restore"
OCR_LABEL = "识别文字（OCR：输入和结果各读一遍，较慢）"
# gradio reports a handler's progress through a parameter whose default is a Progress (per request, by context)
PROGRESS = gr.Progress()

TITLES = {
    "deblur": "模糊文档去模糊（NAFNet + TLC）",
    "sdwnet": "模糊文档去模糊（SDWNet）",
    "denoise": "真实噪声去噪（MIRNetV2）",
    "retouch": "人脸祛痘祛斑（gUNet，K/D 图）",
    "deocclusion": "文档去遮挡（DeepLabV3 + DeepFillv2）",
}
INTROS = {
    "deblur": "冠军方案的模型：NAFNet，推理时用 TLC（把全局池化换成局部均值），"
    "可以整图、分块（重叠）或按冠军方案切成 4 块。下方可以对比输入和结果的 OCR 文字。",
    "sdwnet": "SDWNet（空洞卷积 + 小波分支）恢复同样的模糊文档；差异图显示它改动了哪里。",
    "denoise": "MIRNetV2 去除相机的真实噪声；差异图显示去掉的噪声。",
    "retouch": "gUNet 的输出头预测 K 和 D 两张图，按 J = K*I + D + I 反解出干净的 I = (J - D) / (1 + K)。",
    "deocclusion": "先由分割网络 DeepLabV3 找出遮挡（手、头、物体）的掩码，再由 DeepFillv2 修补掩码附近的裁块。",
}
TILING_LABELS = {"overlap": "重叠分块（提交的 predict.py）", "quadrants": "4 块（冠军方案）", "whole": "整图"}


def example_path(track: str) -> Path:
    return EXAMPLES_DIR / f"{track}.png"


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


def _summary(result: R.Restored) -> str:
    h, w = result.before.shape[:2]
    lines = [
        f"**用时 {result.seconds:.2f} 秒**（本机 CPU；不含读图和 OCR）",
        f"- 图像：{w} x {h} 像素（{w * h / 1e6:.2f} 百万像素）",
        f"- 模型看到的：{result.model_input}",
        f"- 模型文件：`{result.model_file}`",
    ]
    lines += [f"- {note}" for note in result.notes]
    lines += [f"- {text}" for key, text in result.texts.items() if not key.startswith("ocr_")]
    return "\n".join(lines)


def _run(track: str, path, progress, **options):
    loaded = _loaded(path, track)
    try:
        result = R.RESTORE[track](loaded.rgb, progress=_progress(progress), **options)
    except gr.Error:
        raise
    except Exception as exc:  # noqa: BLE001 -- any failure is told to the person; the app keeps serving
        raise gr.Error(f"处理失败：{first_line(exc)}", duration=None) from exc
    for note in result.notes:
        gr.Warning(note)
    zoom, _ = views.detail_zoom(result.before, result.after)
    return result, [(result.before, result.after), result.after, zoom, _summary(result)]


def deblur_tab(path, tlc=True, tiling="overlap", ocr=True, progress=PROGRESS):
    result, common = _run("deblur", path, progress, tlc=bool(tlc), tiling=tiling, ocr=bool(ocr))
    texts = result.texts
    return [*common, result.extras["tiles"], texts.get("ocr_before", ""), texts.get("ocr_after", "")]


def sdwnet_tab(path, progress=PROGRESS):
    result, common = _run("sdwnet", path, progress)
    return [*common, result.extras["difference"]]


def denoise_tab(path, progress=PROGRESS):
    result, common = _run("denoise", path, progress)
    return [*common, result.extras["difference"]]


def retouch_tab(path, progress=PROGRESS):
    result, common = _run("retouch", path, progress)
    return [*common, result.extras["K"], result.extras["D"]]


def deocclusion_tab(path, progress=PROGRESS):
    result, common = _run("deocclusion", path, progress)
    return [*common, result.extras["mask"], result.extras["crops"]]


HANDLERS = {
    "deblur": deblur_tab,
    "sdwnet": sdwnet_tab,
    "denoise": denoise_tab,
    "retouch": retouch_tab,
    "deocclusion": deocclusion_tab,
}


def _image(label, **kw):
    return gr.Image(label=label, type="numpy", format="png", interactive=False, **kw)


def _tab(track: str):
    """One tab: upload + preview + options + button on the left, before/after and the summary on the
    right, the zoom and the track's extras below."""
    example = example_path(track)
    gr.Markdown(INTROS[track])
    with gr.Row():
        with gr.Column(scale=1):
            upload = gr.File(
                label="上传图片",
                type="filepath",
                value=str(example) if example.is_file() else None,
                elem_id=f"{track}-file",
            )
            shown = _image("输入（转正、8 位 RGB 后）", value=str(example) if example.is_file() else None, height=240)
            options = []
            if track == "deblur":
                options = [
                    gr.Checkbox(value=True, label="TLC（测试时局部统计）"),
                    gr.Radio(
                        [(label, key) for key, label in TILING_LABELS.items()],
                        value=R.submission_tiling(None, "deblur"),
                        label="切图方式",
                    ),
                    gr.Checkbox(value=True, label=OCR_LABEL),
                ]
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
    if track == "deblur":
        with gr.Row():
            extras = [_image("切块（红框）")]
        with gr.Row():
            extras += [gr.Textbox(label="输入的 OCR 文字", lines=8), gr.Textbox(label="结果的 OCR 文字", lines=8)]
    elif track in ("sdwnet", "denoise"):
        with gr.Row():
            extras = [_image("差异图 |结果 - 输入|")]
    elif track == "retouch":
        with gr.Row():
            extras = [_image("K 图（乘性）"), _image("D 图（加性）")]
    else:
        with gr.Row():
            extras = [_image("分割网络找到的遮挡（红）"), _image("修补的裁块（蓝框）")]
    upload.change(preview, upload, shown, api_name=False)
    button.click(
        HANDLERS[track],
        [upload, *options],
        [slider, result, zoom, summary, *extras],
        api_name=track,
        concurrency_id=RESTORE_SLOT,
        concurrency_limit=1,
    )


def select_tab(request: gr.Request):
    """The tab the address names (``?tab=retouch``: a notebook's link to its track), else the first."""
    wanted = (request.query_params.get("tab") if request is not None else None) or R.TABS[0]
    return gr.Tabs(selected=wanted if wanted in R.TABS else R.TABS[0])


def build_app() -> gr.Blocks:
    """The app: five tabs, one queue (at most ``QUEUE_SIZE`` waiting, one restoring at a time)."""
    with gr.Blocks(title="图像恢复：五个方案") as demo:
        gr.Markdown(
            "# 在自己的图片上试一试\n"
            "每一栏用该方案导出的同一个模型和同一套推理代码（分块、TLC、前后处理）恢复你上传的图片："
            "你自己训练的模型（`COURSE_PROFILE`），没有则用课程附带的演示模型。"
        )
        with gr.Tabs() as tabs:
            for track in R.TABS:
                with gr.Tab(TITLES[track], id=track):
                    _tab(track)
        demo.load(select_tab, None, tabs, api_name=False, queue=False)
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    return demo


def warm_up(tracks=R.TABS) -> None:
    """Load every tab's model (in a background thread after start-up: the first request need not wait)."""
    for track in tracks:
        try:
            R.model_of(track)
            if track == "deocclusion":
                R.model_of("deocclusion_seg", deployed=False)
        except Exception as exc:  # noqa: BLE001 -- a tab without a model says so when used; the others serve
            print(f"[app] {track}: model not loaded ({first_line(exc)})", flush=True)
