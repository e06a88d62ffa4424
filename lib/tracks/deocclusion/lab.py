"""Measurements of the de-occlusion notebook (09): a short training run through the engine when no
trained model exists, the data's categories, the dilation study, the network's view of one crop,
the update counts of the 3:1 round and the pipeline's time per page. Figures: lib.tracks.deocclusion.viz."""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

from lib.paths import RUNS_DIR

import numpy as np


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
    from .data import list_samples, load_sample, read_mask

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

    from .repair import PSNR_CAP, opencv_inpaint_page

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
    from .repair import RepairInfo, repair_local

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
    from .repair import mask_scores, predict_mask_logits

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


def time_pipeline(segmenter, inpaint, image: np.ndarray, seg_size, opts, mask=None) -> dict:
    """Wall time of the whole pipeline on one photo: the mask (segmentation at ``seg_size``,
    upsampled, > 0), then the local repair; with ``mask`` given, the segmentation still runs and is
    timed but the repair uses ``mask`` (e.g. the true one, to time the repair of a covered page).
    Seconds of each part, the total, the photo's megapixels, the crops repaired."""
    from .repair import RepairInfo, predict_mask_logits, repair_local

    t0 = time.perf_counter()
    predicted = predict_mask_logits(segmenter, image, seg_size, opts.seg_flip) > 0
    t1 = time.perf_counter()
    used = predicted if mask is None else np.asarray(mask, bool)
    info = RepairInfo()
    repair_local(image, used, inpaint, opts, info)
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
    true mask of the local repair and of Telea, both over the predicted mask dilated the same."""
    from lib.metrics import region_psnr

    from .repair import PSNR_CAP, opencv_inpaint_page, repair_local

    rows = []
    for name, image, gt, true, pred in photos:
        model = repair_local(image, pred, inpaint, opts)
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
