"""Measurements of the de-occlusion notebook (09): a short training run through the engine when no
trained model exists, the data's categories, the dilation study, the network's view of one crop,
the update counts of the 3:1 round and the pipeline's time per page. Figures: lib.tracks.deocclusion.viz."""

from __future__ import annotations

import math
import re
import shutil
import time
from pathlib import Path

import numpy as np

from lib.paths import RUNS_DIR


def short_run_dir(track_name: str, profile: str) -> Path:
    """Where the notebook's short runs go: ``runs/notebook09/<track>-<profile>`` (not the track's
    own run folder, so a later ``load_model()`` never mistakes a short run for a trained model)."""
    return RUNS_DIR / "notebook09" / f"{track_name}-{profile}"


def short_run(track, profile: str, iters: int, batch_size: int | None = None, out_dir=None):
    """Train ``track`` (a lib.tracks Track) through the engine for ``iters`` iterations with the
    profile's options otherwise: its first stage (its batch size unless ``batch_size``), its phases
    scaled to ``iters`` (the GAN's d_every kept), validation about six times. Starts afresh in
    ``out_dir`` (default :func:`short_run_dir`); returns the finished Trainer."""
    from lib.train import resolve_options

    cfg = track.config(profile)
    opts = resolve_options(track.train_options(cfg), track.task)
    stage = {**opts["stages"][0], "iters": int(iters)}
    if batch_size:
        stage["batch_size"] = int(batch_size)
    phases = scaled_phases(opts["phases"], iters)
    every = max(1, iters // 6)
    out = Path(out_dir) if out_dir else short_run_dir(track.name, cfg["profile"])
    shutil.rmtree(out, ignore_errors=True)
    trainer = track.trainer(
        cfg["profile"],
        out,
        quiet=True,
        stages=[stage],
        phases=phases,
        val_every=every,
        save_every=iters,
        log_every=every,
    )
    trainer.fit()
    return trainer


def scaled_phases(phases: list[dict], iters: int) -> list[dict]:
    """``phases`` (each with its other keys, e.g. d_every) shrunk to ``iters`` iterations in all,
    in proportion to their lengths; a ValueError if a phase would get none."""
    total = sum(int(p["iters"]) for p in phases)
    out, used = [], 0
    for i, phase in enumerate(phases):
        n = iters - used if i == len(phases) - 1 else max(1, round(iters * phase["iters"] / total))
        out.append({**phase, "iters": int(n)})
        used += n
    if any(p["iters"] < 1 for p in out):
        raise ValueError(f"{iters} iterations are too few for {len(phases)} phases")
    return out


def category_table(root, splits=("train", "val", "test_A"), max_masks: int = 30) -> list[dict]:
    """One row per (split, category): photos, and the occluded share of the photo over at most
    ``max_masks`` of them (their segmentation files, else masks derived from the clean page)."""
    from lib.tracks.deocclusion.data import list_samples, load_sample, read_mask

    rows = []
    for split in splits:
        if not (Path(root) / split).is_dir():
            continue
        samples = list_samples(Path(root) / split)
        for category in sorted({s.category for s in samples}):
            group = [s for s in samples if s.category == category]
            masks = [read_mask(s.mask) if s.mask is not None else load_sample(s)[2] for s in group[:max_masks]]
            fractions = [float(m.mean()) for m in masks if m is not None]
            rows.append(
                {
                    "split": split,
                    "category": category,
                    "photos": len(group),
                    "occluded %": 100 * float(np.mean(fractions)) if fractions else float("nan"),
                }
            )
    return rows


def dilation_study(photos, radii, method: str = "telea", radius: int = 5) -> list[dict]:
    """``photos``: (image, clean, true mask, predicted mask) tuples. For each mask kind and dilation
    radius, the mean PSNR inside the true mask (and on the page) of OpenCV's repair at full
    resolution over the dilated mask (lib.tracks.deocclusion.repair.opencv_inpaint_page)."""
    from lib.metrics import region_psnr
    from lib.tracks.deocclusion.repair import PSNR_CAP, opencv_inpaint_page

    rows = []
    for kind, index in (("true", 2), ("predicted", 3)):
        for r in radii:
            outs = [(opencv_inpaint_page(p[0], p[index], method, radius, dilate=int(r)), p) for p in photos]
            rows.append(
                {
                    "mask": kind,
                    "dilate": int(r),
                    "psnr_mask": float(np.mean([region_psnr(o, p[1], p[2], cap=PSNR_CAP) for o, p in outs])),
                    "psnr": float(np.mean([region_psnr(o, p[1], cap=PSNR_CAP) for o, p in outs])),
                }
            )
    return rows


def network_inputs(image: np.ndarray, mask: np.ndarray, opts) -> list[tuple]:
    """What the inpainting network is given by lib.tracks.deocclusion.repair.repair_local, per crop:
    (box (x0, y0, x1, y1), shrunk crop RGB uint8, shrunk hole bool). Recorded by running the repair
    with an inpainter that keeps its input, so it is exactly the repair's own cropping."""
    from lib.tracks.deocclusion.repair import RepairInfo, repair_local

    seen, info = [], RepairInfo()

    def keep(small, hole):
        seen.append((small.copy(), hole.copy()))
        return small

    repair_local(image, mask, keep, opts, info)
    return [(box, small, hole) for box, (small, hole) in zip(info.boxes, seen)]


def shrink_like(image: np.ndarray, box, shape) -> np.ndarray:
    """``image``'s crop ``box`` shrunk to ``shape`` (h, w) the way the repair shrinks (area)."""
    import cv2

    x0, y0, x1, y1 = box
    return cv2.resize(image[y0:y1, x0:x1], (int(shape[1]), int(shape[0])), interpolation=cv2.INTER_AREA)


def update_counts(options: dict) -> dict:
    """Generator and discriminator updates of resolved ``deepfill_gan`` train options, iteration by
    iteration (the discriminator steps when ``iteration % d_every == 0``, as
    lib.train.tasks.InpaintingGANTask): cumulative counts and one summary row per phase."""
    from lib.train.schedule import PiecewiseSchedule

    phases = PiecewiseSchedule(options["phases"], "phases")
    d_every = np.array([phases.at(i).options.get("d_every", 1) for i in range(phases.total)])
    d_step = np.arange(phases.total) % d_every == 0
    rows = []
    for span in phases.spans:
        n_d = int(d_step[span.start : span.end].sum())
        rows.append(
            {
                "phase": span.index,
                "iterations": f"{span.start}-{span.end}",
                "d_every": int(span.options.get("d_every", 1)),
                "G updates": span.end - span.start,
                "D updates": n_d,
                "G : D": round((span.end - span.start) / max(n_d, 1), 2),
            }
        )
    return {
        "iterations": np.arange(1, phases.total + 1),
        "generator": np.arange(1, phases.total + 1),
        "discriminator": np.cumsum(d_step),
        "boundaries": phases.boundaries(),
        "phases": rows,
    }


def flip_effect(segmenter, photos, clean_pages, seg_size) -> list[dict]:
    """The segmenter with and without the test-time flip (``repair.seg_flip``): on ``photos``
    ((image, true mask) pairs) mean mIoU, boundary F and recall of the occluder; on ``clean_pages``
    (pages nothing covers) the largest share called occluded and how many pages go over 0.1 %."""
    from lib.tracks.deocclusion.repair import mask_scores, predict_mask_logits

    rows = []
    for flip in (False, True):
        preds = [(predict_mask_logits(segmenter, image, seg_size, flip) > 0, true) for image, true in photos]
        clean = [100 * float((predict_mask_logits(segmenter, page, seg_size, flip) > 0).mean()) for page in clean_pages]
        scores = [mask_scores(p, t) for p, t in preds]
        rows.append(
            {
                "test-time flip": flip,
                "miou": float(np.mean([m["miou"] for m in scores])),
                "boundary_f": float(np.mean([m["boundary_f"] for m in scores])),
                "recall": float(np.mean([(p & t).sum() / max(t.sum(), 1) for p, t in preds])),
                "clean: max % called occluded": max(clean, default=0.0),
                "clean pages over 0.1 %": int(sum(c > 0.1 for c in clean)),
            }
        )
    return rows


def _runner(segmenter):
    """A segmentation runner (float32 N x 3 x h x w -> N x C x h x w NumPy) from a dygraph network
    (lib.tracks.deocclusion.repair.dygraph_runner) or a function returning NumPy or a Paddle tensor."""
    import paddle

    from lib.tracks.deocclusion.repair import dygraph_runner

    if isinstance(segmenter, paddle.nn.Layer):
        return dygraph_runner(segmenter)

    def run(x):
        out = segmenter(x)
        return out.numpy() if hasattr(out, "numpy") else np.asarray(out)

    return run


def time_pipeline(segmenter, inpaint, image: np.ndarray, seg_size, opts, mask=None) -> dict:
    """Wall time of the whole pipeline on one photo in ``opts.mode`` (components or one_crop): the
    mask (lib.tracks.deocclusion.repair.page_mask: segmentation at ``seg_size``, upsampled), then the
    repair (repair_page); with ``mask`` given, the segmentation still runs and is timed but the repair
    uses ``mask`` (e.g. the true one, to time the repair of a covered page). Seconds of each part, the
    total, the photo's megapixels, the crops repaired."""
    from lib.tracks.deocclusion.repair import RepairInfo, page_mask, repair_page

    t0 = time.perf_counter()
    predicted = page_mask(_runner(segmenter), image, seg_size, opts)
    t1 = time.perf_counter()
    used = predicted if mask is None else np.asarray(mask, bool)
    info = RepairInfo()
    repair_page(image, used, inpaint, opts, info)
    t2 = time.perf_counter()
    mp = image.shape[0] * image.shape[1] / 1e6
    return {
        "segmentation_s": t1 - t0,
        "repair_s": t2 - t1,
        "total_s": t2 - t0,
        "megapixels": mp,
        "seconds_per_megapixel": (t2 - t0) / mp,
        "crops": info.components,
        "masked %": 100 * float(used.mean()),
    }


def phase_ends(rows: list[dict], metric: str = "psnr_hole") -> list[dict]:
    """The last validation value of ``metric`` in each phase of a log (rows of
    :func:`lib.viz.read_training_log`)."""
    last = {}
    for r in rows:
        if r.get(metric) is not None and not math.isnan(r[metric]):
            last[int(r["phase"])] = (int(r["iteration"]), r[metric])
    return [{"phase": p, "iteration": it, metric: v} for p, (it, v) in sorted(last.items())]


def occluded_band(mask: np.ndarray, margin: int = 4) -> tuple[int, int]:
    """Rows [top, bottom) of the page's text lines an occluder touches: the mask's rows, ``margin``
    px more on each side (a line cut at its top or bottom is still that line)."""
    rows = np.flatnonzero(np.asarray(mask, bool).any(axis=1))
    if rows.size == 0:
        raise ValueError("occluded_band: the mask is empty")
    return max(0, int(rows[0]) - margin), min(mask.shape[0], int(rows[-1]) + 1 + margin)


def occluded_lines_cer(engine, outputs: dict, gt: np.ndarray, mask: np.ndarray, margin: int = 4) -> dict:
    """OCR character error rate of each method's output on the text lines the occluder covered
    (the full-width band of :func:`occluded_band`), against what the OCR engine reads on the clean
    page's same band (the reference: the rendered text is not stored per line). ``outputs``: name ->
    RGB uint8 page. Returns name -> CER, plus ``reference_characters``."""
    from lib.ocr import cer, strip_whitespace

    top, bottom = occluded_band(mask, margin)
    reference = engine.read(np.ascontiguousarray(gt[top:bottom]))
    if not strip_whitespace(reference):
        return {"reference_characters": 0}
    rates = {name: cer(engine.read(np.ascontiguousarray(out[top:bottom])), reference) for name, out in outputs.items()}
    return {**rates, "reference_characters": len(strip_whitespace(reference))}


def per_photo_comparison(photos, inpaint, opts, ocv_radius: int) -> list[dict]:
    """Where the model wins or loses against OpenCV Telea: for each (name, image, clean, true mask,
    predicted mask), the share of pixels each mask covers and the PSNR on the page and inside the
    true mask of the repair ``opts.mode`` names (lib.tracks.deocclusion.repair.repair_page) and of
    Telea, both over the predicted mask (Telea's dilated by ``opts.dilate``, as the components repair's)."""
    from lib.metrics import region_psnr
    from lib.tracks.deocclusion.repair import PSNR_CAP, opencv_inpaint_page, repair_page

    rows = []
    for name, image, gt, true, pred in photos:
        model = repair_page(image, pred, inpaint, opts)
        telea = opencv_inpaint_page(image, pred, "telea", ocv_radius, dilate=opts.dilate)
        rows.append(
            {
                "photo": name,
                "true %": 100 * float(true.mean()),
                "predicted %": 100 * float(pred.mean()),
                "page model": region_psnr(model, gt, cap=PSNR_CAP),
                "page Telea": region_psnr(telea, gt, cap=PSNR_CAP),
                "mask model": region_psnr(model, gt, true, cap=PSNR_CAP),
                "mask Telea": region_psnr(telea, gt, true, cap=PSNR_CAP),
            }
        )
        rows[-1]["page model - Telea"] = rows[-1]["page model"] - rows[-1]["page Telea"]
    return rows


# ---------------------------------------------------------------------------------------------- repair modes
# The course's components repair where the profile's own is one_crop (full): the named option of
# lib/configs/deocclusion.yaml's repair comment.
COURSE_COMPONENTS = {"mode": "components", "seg_dilate": 0, "dilate": 15, "feather": 8, "min_area": 400}
MODE_NAMES_ZH = {"one_crop": "一个裁块（原方案）", "components": "每块一个裁块 + 羽化（课程）"}


def repair_modes(opts, one_crop_seg_dilate: int) -> dict:
    """The two repairs to compare, from the profile's ``opts`` (lib.tracks.deocclusion.repair.RepairOptions,
    same crop, shrink and test-time flip): ``one_crop``, the solution's (predict_onnx.py), dilated by
    ``one_crop_seg_dilate`` at the segmenter's size (full's ``seg_dilate``: 4), and ``components``, the
    course's: ``opts`` itself when it is one, else :data:`COURSE_COMPONENTS`."""
    from dataclasses import replace

    one = replace(opts, mode="one_crop", seg_dilate=int(one_crop_seg_dilate), dilate=0, feather=0, min_area=0)
    course = opts if opts.mode == "components" else replace(opts, **COURSE_COMPONENTS)
    return {"one_crop": one, "components": course}


def compare_repair_modes(segmenter, inpaint, photos, clean_pages, seg_size, modes: dict) -> list[dict]:
    """The whole pipeline in each repair mode of ``modes`` (name -> RepairOptions, e.g. :func:`repair_modes`),
    with the same segmenter (a dygraph network or a runner) and inpainting function: on ``photos``
    ((occluded RGB, clean RGB, true mask) held-out triples) the mean PSNR on the page and inside the
    true mask, the share of the true mask's pixels left exactly as they were (occluder left on the
    page), the crops per photo and the seconds per photo (mask + repair); on ``clean_pages`` (pages
    nothing covers) how many the pipeline changes. One row per mode, in the order of ``modes``."""
    from lib.metrics import region_psnr
    from lib.tracks.deocclusion.repair import PSNR_CAP, RepairInfo, page_mask, repair_page

    run = _runner(segmenter)
    if not photos:
        raise ValueError("compare_repair_modes: no photos")
    rows = []
    for name, opts in modes.items():
        per = []
        for image, clean, true in photos:
            true = np.asarray(true, bool)
            start, info = time.perf_counter(), RepairInfo()
            out = repair_page(image, page_mask(run, image, seg_size, opts), inpaint, opts, info)
            seconds = time.perf_counter() - start
            untouched = (out == image).all(axis=2) & true
            per.append(
                (
                    region_psnr(out, clean, cap=PSNR_CAP),
                    region_psnr(out, clean, true, cap=PSNR_CAP),
                    100 * untouched.sum() / max(int(true.sum()), 1),
                    info.components,
                    seconds,
                )
            )
        changed = sum(
            bool((repair_page(page, page_mask(run, page, seg_size, opts), inpaint, opts) != page).any())
            for page in clean_pages
        )
        mean = np.mean(np.array(per, dtype=float), axis=0)
        rows.append(
            {
                "mode": name,
                "psnr": float(mean[0]),
                "psnr_mask": float(mean[1]),
                "untouched %": float(mean[2]),
                "crops per photo": float(mean[3]),
                "seconds per photo": float(mean[4]),
                "clean pages changed": int(changed),
                "clean pages": len(clean_pages),
            }
        )
    return rows


def time_methods(segmenter, inpaint, photos, seg_size, opts, ocv_radius: int) -> dict:
    """Seconds per photo of each method of the evaluation table on ``photos`` (RGB uint8 occluded
    photos): the segmentation (the mask every method repairs, lib.tracks.deocclusion.repair.page_mask),
    and on that mask the model's repair (repair_page in ``opts.mode``) and OpenCV Telea / Navier-Stokes
    at full resolution over it dilated by ``opts.dilate``. Each method's total = the segmentation +
    its own repair. Keys: ``segmentation`` and, per method of the table, its total."""
    from lib.tracks.deocclusion.repair import opencv_inpaint_page, page_mask, repair_page

    run = _runner(segmenter)
    seconds = {"segmentation": 0.0, "DeepFillv2 (local repair)": 0.0, "OpenCV Telea": 0.0, "OpenCV Navier-Stokes": 0.0}
    if not photos:
        raise ValueError("time_methods: no photos")
    for image in photos:
        t0 = time.perf_counter()
        mask = page_mask(run, image, seg_size, opts)
        t1 = time.perf_counter()
        repair_page(image, mask, inpaint, opts)
        t2 = time.perf_counter()
        opencv_inpaint_page(image, mask, "telea", ocv_radius, dilate=opts.dilate)
        t3 = time.perf_counter()
        opencv_inpaint_page(image, mask, "ns", ocv_radius, dilate=opts.dilate)
        t4 = time.perf_counter()
        seg_s = t1 - t0
        seconds["segmentation"] += seg_s
        seconds["DeepFillv2 (local repair)"] += seg_s + t2 - t1
        seconds["OpenCV Telea"] += seg_s + t3 - t2
        seconds["OpenCV Navier-Stokes"] += seg_s + t4 - t3
    return {k: v / len(photos) for k, v in seconds.items()}


CLASSICAL = ("OpenCV Telea", "OpenCV Navier-Stokes")


def headline(methods: list[dict], metric: str = "psnr_mask", model: str = "DeepFillv2 (local repair)") -> dict:
    """The model against the best classical method of an evaluation table (``Track.evaluate``'s
    ``methods`` rows): which classical method scores highest on ``metric``, its value, the model's,
    and the difference model - best."""
    by = {r["method"]: r for r in methods}
    missing = [m for m in (model, *CLASSICAL) if m not in by]
    if missing:
        raise KeyError(f"headline: the evaluation table lacks {missing}")
    best = max(CLASSICAL, key=lambda m: by[m][metric])
    return {
        "metric": metric,
        "best_classical": best,
        "model": by[model][metric],
        "classical": by[best][metric],
        "difference": by[model][metric] - by[best][metric],
    }


# ---------------------------------------------------------------------------------------------- Chinese labels
LABELS_ZH = {
    # column names of this module's tables and of Track.evaluate's
    "split": "数据集",
    "category": "类别",
    "photos": "照片数",
    "occluded %": "遮挡占比 %",
    "mask": "掩码",
    "dilate": "膨胀 px",
    "psnr": "整页 PSNR",
    "psnr_mask": "掩码内 PSNR",
    "method": "方法",
    "mode": "修复方式",
    "untouched %": "遮挡未动 %",
    "crops per photo": "裁块/张",
    "seconds per photo": "秒/张",
    "clean pages changed": "改动的干净页",
    "clean pages": "干净页数",
    "test-time flip": "测试时翻转",
    "miou": "mIoU",
    "boundary_f": "边界 F 值",
    "recall": "遮挡召回率",
    "clean: max % called occluded": "干净页：最多被判为遮挡 %",
    "clean pages over 0.1 %": "干净页超过 0.1 % 的页数",
    "photo": "照片",
    "true %": "真实掩码 %",
    "predicted %": "预测掩码 %",
    "page model": "整页 模型",
    "page Telea": "整页 Telea",
    "mask model": "掩码内 模型",
    "mask Telea": "掩码内 Telea",
    "page model - Telea": "整页 模型减 Telea",
    "phase": "阶段",
    "iterations": "迭代",
    "d_every": "判别器每几次更新",
    "G updates": "生成器更新次数",
    "D updates": "判别器更新次数",
    "G : D": "生成器 : 判别器",
    "segmentation_s": "分割 s",
    "repair_s": "修复 s",
    "total_s": "合计 s",
    "megapixels": "百万像素",
    "seconds_per_megapixel": "每百万像素 s",
    "crops": "裁块数",
    "masked %": "掩码占比 %",
    "track": "网络",
    "input": "输入 h x w",
    "batch": "batch",
    "gpu_hours": "V100 小时（估算）",
    "parameters": "可训练参数",
    "amp": "混合精度",
    "gpu_memory_gib": "训练显存 GiB（估算）",
    "deocclusion_seg": "分割 DeepLabV3",
    "deocclusion": "修复 DeepFillv2 + 判别器",
    # values: the methods of Track.evaluate, the mask kinds, the repair modes, the data's categories
    "occluded input": "遮挡输入",
    "OpenCV Telea": "OpenCV Telea",
    "OpenCV Navier-Stokes": "OpenCV Navier-Stokes",
    "DeepFillv2 (local repair)": "DeepFillv2 局部修复",
    "segmentation": "分割（各方法共用）",
    "true": "真实掩码",
    "predicted": "预测掩码",
    "hand": "手",
    "head": "头",
    "object": "物品",
    **MODE_NAMES_ZH,
}


def zh(name):
    """The Chinese label of a column name or value of this module's tables (itself if it has none)."""
    return LABELS_ZH.get(name, name) if isinstance(name, str) else name


def frame_zh(rows):
    """``rows`` (a list of dicts or a DataFrame) as a pandas DataFrame with Chinese column names and the
    Chinese names of the methods, modes, mask kinds and categories in its text columns (:data:`LABELS_ZH`)."""
    import pandas as pd

    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    for column in frame.columns:
        frame[column] = frame[column].map(zh)
    frame.index = [zh(i) for i in frame.index]
    return frame.rename(columns=zh)


# ---------------------------------------------------------------------------------------------- full's cost
def activation_elements(model, *inputs) -> int:
    """Elements of every leaf layer's output in one forward pass of ``model`` on ``inputs`` (Paddle
    tensors): what the backward pass keeps, roughly (each layer's output is the next one's saved input)."""
    import paddle

    total, hooks = [0], []

    def count(layer, args, output):
        for out in output if isinstance(output, (list, tuple)) else (output,):
            if isinstance(out, paddle.Tensor):
                total[0] += int(np.prod(out.shape))

    for layer in model.sublayers(include_self=True):
        if not layer.sublayers():
            hooks.append(layer.register_forward_post_hook(count))
    try:
        with paddle.no_grad():
            model(*inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return total[0]


def training_memory_gib(parameters: int, activations_per_sample: float, batch: int, amp: bool) -> float:
    """An estimate of a training step's GPU memory: the trainable weights with their gradients and
    Adam's two moments (4 x 4 bytes each) plus the activations of ``batch`` samples (4 bytes each,
    2 with mixed precision). Rough both ways: every leaf layer's output counted once (an in-place
    activation would not add one), no workspace, allocator slack or framework overhead."""
    return (16 * parameters + activations_per_sample * batch * (2 if amp else 4)) / 2**30


def full_cost(track, seg_track, record: dict | None, probe: int = 8) -> list[dict]:
    """The ``full`` recipe's cost per network: V100 hours as ``make check-full`` recorded them (``record``:
    lab/records/check_full.json, loaded by the caller; its estimate: conv MACs x 3 x 2 FLOP over a V100's
    fp32 peak x an assumed efficiency) and the GPU memory of one training step at the recipe's batch,
    estimated by :func:`training_memory_gib` from the full networks' parameters and their activations
    counted (:func:`activation_elements`) at 1 / ``probe`` of the recipe's side and scaled by the pixels.
    The inpainter's step holds the generator's activations and three discriminator passes (real, fake,
    and the generator's)."""
    import paddle

    from lib.models.nafnet import count_parameters
    from lib.train import resolve_options
    from lib.train.registry import build_model

    recorded = {t["track"]: t for t in (record or {}).get("tracks", [])}
    rows = []
    seg_cfg = seg_track.config("full")
    seg_opts = resolve_options(seg_track.train_options(seg_cfg), seg_track.task)
    h, w = seg_cfg["prepare"]["seg_size"]
    net = build_model({**seg_track.model_spec(seg_cfg), "pretrained": None})
    net.eval()
    small = (max(32, h // probe), max(32, w // probe))
    acts = activation_elements(net, paddle.zeros([1, 3, *small])) * (h * w) / (small[0] * small[1])
    params = count_parameters(net, trainable_only=True)
    batch = seg_opts["stages"][0]["batch_size"]
    rows.append(("deocclusion_seg", f"{h} x {w}", batch, params, acts, bool(seg_opts.get("amp"))))

    cfg = track.config("full")
    opts = resolve_options(track.train_options(cfg), track.task)
    side = opts["stages"][0]["patch_size"]
    gen, disc = (build_model(opts["model"][k]) for k in ("generator", "discriminator"))
    gen.eval(), disc.eval()
    s = max(32, side // probe)
    image, hole = paddle.zeros([1, 3, s, s]), paddle.zeros([1, 1, s, s])
    per = activation_elements(gen, image, hole) + 3 * activation_elements(disc, image, hole)
    params = count_parameters(gen, trainable_only=True) + count_parameters(disc, trainable_only=True)
    batch = opts["stages"][0]["batch_size"]
    rows.append(("deocclusion", f"{side} x {side}", batch, params, per * side * side / (s * s), bool(opts.get("amp"))))

    out = []
    for name, size, batch, params, acts, amp in rows:
        cost = recorded.get(name, {}).get("cost", {})
        out.append(
            {
                "track": name,
                "input": size,
                "batch": int(batch),
                "iterations": cost.get("iterations"),
                "gpu_hours": cost.get("gpu_hours"),
                "parameters": int(params),
                "amp": amp,
                "gpu_memory_gib": training_memory_gib(params, acts, batch, amp),
            }
        )
    return out


def model_origin_zh(track, path) -> str:
    """Which model a checkpoint ``path`` of ``track`` is, in Chinese, for a notebook to print beside
    what it shows: the shipped one (``checkpoints/``), the learner's published one (``runs/published/``,
    ``make train``), the learner's own run (``runs/train/``), this notebook's short run, or another file."""
    from lib.paths import PUBLISHED_DIR, shown_path

    path = Path(path).resolve()

    def under(folder) -> bool:
        return path.is_relative_to(Path(folder).resolve())

    shown = shown_path(path)
    if under(track.shipped_dir):
        return f"附带模型（{shown}）"
    if under(PUBLISHED_DIR):
        return f"你自己训练并发布的模型（{shown}，由 `make train TRACK={track.name}` 生成）"
    if under(RUNS_DIR / "notebook09"):
        return f"本 notebook 现场短训练的模型（{shown}），远未训练好"
    if under(RUNS_DIR / "train"):
        return f"你自己训练中的模型（{shown}）"
    return f"另一个检查点（{shown}）"


_TEXT_ZH = (
    (re.compile(r"^(\S+) \((\d+) photos\)$"), r"\1（\2 张照片）"),  # Track.evaluate's evaluated_on
    (re.compile(r"^predicted \((.+)\)$"), r"预测掩码（\1）"),  # its mask
    (re.compile(r"^true \(no trained segmenter\)$"), "真实掩码（没有训练好的分割模型）"),
)


def text_zh(text: str) -> str:
    """A phrase recorded in English by Track.evaluate (``evaluated_on``, ``mask``) in Chinese; other text as it is."""
    for pattern, replacement in _TEXT_ZH:
        if pattern.match(text):
            return pattern.sub(replacement, text)
    return text
