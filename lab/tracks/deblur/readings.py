"""What the readability benches recorded, read back: the methods' and splits' names, the stroke widths and OCR
confusions of a recorded bench as a figure and Chinese lines (notebook 04), and per-page CERs of several benches of the
same pages paired, with a bootstrap interval of their difference.

The recorded files come from the path their caller gives (:func:`load_results`); the measuring itself (stroke width,
ink, OCR confusions of restored pages) is the study's, ``lab.tracks.deblur.strokes``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

# The method names of lib.tracks.deblur.evaluate.readability, in the order the tables show them.
BLURRED, SHARP = "blurred input", "sharp (ground truth)"
METHOD_LABELS_ZH = {
    SHARP: "清晰原图",
    BLURRED: "模糊输入",
    "NAFNet": "NAFNet",
    "NAFNet + TLC": "NAFNet + TLC",
    "unsharp mask": "反锐化掩模",
    "shipped": "随课程发布的模型",
}
SPLIT_LABELS_ZH = {
    "test_A": "test_A（训练字体）",
    "heldout": "heldout（未见字体与抖动模糊）",
    "scans": "scans（真实扫描）",
    "heldout_tilt": "heldout_tilt（未见字体，倾斜页的失焦模糊）",
    "heldout_fonts": "未见字体 + 训练模糊",
    "heldout_blur": "训练字体 + 未见抖动模糊",
    "mild_blur": "训练字体 + 训练模糊减半",
    "heldout_fonts_mild": "未见字体 + 训练模糊减半",
}


# The study's checks on heldout that are not candidates (lab.tracks.deblur.candidates leaves them out), by what
# notebook 10 calls them -> the bench's method names: two seed ensembles (the seeds' restored pages averaged pixel by
# pixel) and a model whose training pages used heldout's own fonts.
DIAGNOSTICS_ZH = {
    "附带做法，随机种子 0 与 2 的集成": "recipe_ens2_x4 + TLC",
    "抖动副本 + 笔画粗细，随机种子 0、1、2 的集成": "copies_stroke_ens3_x4 + TLC",
    "训练页用 heldout 的字体（诊断）": "heldout_fonts_x4 + TLC",
}


def paired_cer_difference(cer_a, cer_b, *, confidence: float = 0.95, resamples: int = 10000, seed: int = 0) -> dict:
    """How much more (> 0) or less (< 0) method A's pages read wrong than method B's, the same pages:
    the mean per-page CER difference A - B with its percentile bootstrap interval over pages
    (``scipy.stats.bootstrap``), and how many pages A reads better / worse. An interval that holds 0
    means these pages cannot tell the two methods apart."""
    from scipy.stats import bootstrap

    a, b = np.asarray(cer_a, dtype=np.float64), np.asarray(cer_b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValueError(
            f"paired_cer_difference: need two equal-length lists of >= 2 page CERs, got {a.shape} and {b.shape}"
        )
    diff = a - b
    if np.ptp(diff) == 0:  # every page differs by the same amount: no spread to resample
        low = high = float(diff[0])
    else:
        ci = bootstrap(
            (diff,),
            np.mean,
            confidence_level=confidence,
            n_resamples=resamples,
            method="percentile",
            random_state=np.random.default_rng(seed),
        ).confidence_interval
        low, high = float(ci.low), float(ci.high)
    return {
        "mean_difference": float(diff.mean()),
        "low": low,
        "high": high,
        "confidence": confidence,
        "pages": int(diff.size),
        "better_pages": int((diff < 0).sum()),
        "worse_pages": int((diff > 0).sum()),
    }


def difference_text(d: dict) -> str:
    """A paired difference as the notebooks print it: the mean and its interval, ``+0.012（-0.003, +0.027）``."""
    return f"{d['mean_difference']:+.3f}（{d['low']:+.3f}, {d['high']:+.3f}）"


# ---------------------------------------------------------------- the recorded benchmark, for notebook 04
def load_results(path) -> dict:
    """A recorded strokes bench (e.g. the repository's ``deblur_strokes.json``), from the path its caller gives."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no recorded strokes bench (the deblur strokes bench writes it)")
    return json.loads(path.read_text(encoding="utf-8"))


def plot_stroke_widths(results: dict, ax=None, methods=None):
    """Bar chart of the mean stroke width per split (x) and method (bars), Chinese labels; returns the axes."""
    from lib.viz import grouped_bars, setup_matplotlib

    setup_matplotlib()
    methods = methods or [m for m in METHOD_LABELS_ZH if any(r["method"] == m for r in results["by_split"])]
    splits = list(dict.fromkeys(r["split"] for r in results["by_split"]))
    width = {(r["split"], r["method"]): r["stroke_width"] for r in results["by_split"]}
    series = {METHOD_LABELS_ZH.get(m, m): [width.get((s, m)) for s in splits] for m in methods}
    return grouped_bars(
        [SPLIT_LABELS_ZH.get(s, s) for s in splits],
        series,
        ax,
        title="文字笔画平均宽度（骨架上距离变换 × 2 − 1）",
        ylabel="笔画宽度（像素）",
        fmt="{:.2f}",
    )


def stroke_lines_zh(results: dict, methods=None) -> list[str]:
    """One Chinese line per split: each method's mean stroke width and its ratio to the sharp page."""
    methods = methods or [m for m in METHOD_LABELS_ZH if any(r["method"] == m for r in results["by_split"])]
    by = {(r["split"], r["method"]): r for r in results["by_split"]}
    lines = []
    for split in dict.fromkeys(r["split"] for r in results["by_split"]):
        parts = [
            f"{METHOD_LABELS_ZH.get(m, m)} {by[split, m]['stroke_width']:.2f}（×{by[split, m]['ratio_to_sharp']:.2f}）"
            for m in methods
            if (split, m) in by
        ]
        lines.append(
            f"{SPLIT_LABELS_ZH.get(split, split)}，{by[split, methods[0]]['pages']} 页，笔画宽度/像素（相对清晰原图）："
            + "，".join(parts)
        )
    return lines


def confusion_lines_zh(results: dict, methods=(BLURRED, "NAFNet"), top: int = 5) -> list[str]:
    """Chinese lines per split and method: CER, spaces deleted / inserted (a space both deleted and
    inserted is mostly a line read in another order), the most frequent substitutions."""
    lines = []
    for split in dict.fromkeys(s for m in methods for s in results["ocr"].get(m, {})):
        for method in methods:
            o = results["ocr"].get(method, {}).get(split)
            if o is None:
                continue
            subs = "，".join(f"“{a}”→“{b}”×{n}" for a, b, n in o["substitutions"][:top]) or "无"
            lines.append(
                f"{SPLIT_LABELS_ZH.get(split, split)} · {METHOD_LABELS_ZH.get(method, method)}：CER {o['cer']:.3f}，"
                f"空格 删 {o['spaces_deleted']} / 增 {o['spaces_inserted']}（参考文本 {o['reference_spaces']} 个），"
                f"替换 {o['substitution_count']} 处，"
                f"最常见：{subs}"
            )
    return lines


def _page_names(result: dict, split: str) -> list[str]:
    """The bench's pages of ``split`` in the order of its per-page CERs (empty if it recorded no rows)."""
    return list(dict.fromkeys(r["page"] for r in result.get("rows", []) if r["split"] == split))


def merged_page_cer(results: list[dict], split: str, tolerance: float = 0.0) -> dict[str, np.ndarray]:
    """Per-page CERs of every method of several recorded benches of the same pages (runs that each
    measured other models), one array per method. The benches are deterministic, so a method two runs
    share (the blurred input, the sharp page, unsharp masking) must agree page for page, to within
    ``tolerance`` per page (0 on one machine; ``CROSS_MACHINE_PAGE_CER_TOLERANCE`` across machines), and
    benches that name their pages must name the same ones in the same order: otherwise pairing their
    pages would be wrong, so it is an error. A shared method keeps the first bench's CERs."""
    if tolerance < 0:
        raise ValueError(f"merged_page_cer: tolerance must be >= 0, got {tolerance}")
    merged: dict[str, np.ndarray] = {}
    names: list[str] = []
    for k, result in enumerate(results):
        own = _page_names(result, split)
        if own and names and own != names:
            raise ValueError(f"merged_page_cer: bench {k} names other {split} pages than an earlier one")
        names = names or own
        for method, by_split in result["ocr"].items():
            if split not in by_split:
                continue
            cers = np.asarray(by_split[split]["page_cer"], dtype=np.float64)
            if method in merged and (
                merged[method].shape != cers.shape or np.abs(merged[method] - cers).max() > tolerance + 1e-12
            ):
                raise ValueError(
                    f"merged_page_cer: {method!r} on {split} differs between bench {k} and an earlier one "
                    f"by more than {tolerance} on a page (not the same pages or not the same OCR)"
                )
            merged.setdefault(method, cers)
    if not merged:
        raise ValueError(f"merged_page_cer: no bench has split {split!r}")
    return merged


# The 30-page TLC readings (bench_deblur_strokes.py; notebook 10 shows them): per split, the recorded files of the
# shipped model with TLC, the seed-2 model of the same recipe with TLC, and both without TLC.
TLC_READINGS = {
    "heldout": ("heldout30", "heldout30_seed2", "heldout30_plain"),
    "heldout_tilt": ("heldout_tilt30_shipped", "heldout_tilt30_seed2", "heldout_tilt30_plain"),
    "test_A": ("test_a30", "test_a30_seed2", "test_a30_plain"),
}
TLC_MODELS = ("shipped", "recipe_s2_x4")  # the two models' names in the readings; "<name> + TLC" with TLC
SAME_PAGE = 0.002  # the readings' shared rows (blurred, sharp) agree to one character in 500 per page


def tlc_reading(results_dir, readings=TLC_READINGS, models=TLC_MODELS) -> dict:
    """Does TLC help or hinder the reading? The recorded per-page CERs (``results_dir``: the folder of
    ``deblur_strokes_<tag>.json``) of two models with and without TLC, averaged page by page over the models:
    ``cer`` (split -> method -> per-page CERs), ``arrays`` (split -> {不带 TLC, 带 TLC, 模糊输入}),
    ``effect`` (split -> the paired difference without - with TLC: > 0 reads better with TLC), and the splits
    where the interval lies wholly above 0 (``helps``) or below (``hurts``). The one source of notebooks 00,
    02 and 03's sentence on TLC and the reading, and of notebook 04's exercise on intervals and pages."""
    results_dir = Path(results_dir)
    cer = {
        s: merged_page_cer([load_results(results_dir / f"deblur_strokes_{tag}.json") for tag in tags], s, SAME_PAGE)
        for s, tags in readings.items()
    }
    arrays = {
        s: {
            "不带 TLC": np.mean([c[m] for m in models], axis=0),
            "带 TLC": np.mean([c[m + " + TLC"] for m in models], axis=0),
            "模糊输入": c[BLURRED],
        }
        for s, c in cer.items()
    }
    effect = {s: paired_cer_difference(a["不带 TLC"], a["带 TLC"]) for s, a in arrays.items()}
    return {
        "cer": cer,
        "arrays": arrays,
        "effect": effect,
        "models": len(models),
        "helps": [s for s, d in effect.items() if d["low"] > 0],
        "hurts": [s for s, d in effect.items() if d["high"] < 0],
    }


def tlc_reading_line_zh(reading: dict) -> str:
    """One Chinese sentence of :func:`tlc_reading` for a summary: the splits, pages, models and where TLC
    resolvably helps or hinders (95 % intervals of the paired difference; the words follow the intervals)."""
    pages = "、".join(f"{s} {d['pages']} 页" for s, d in reading["effect"].items())
    per = "；".join(f"{s} 不带 − 带 {difference_text(d)}" for s, d in reading["effect"].items())
    return (
        f"TLC 与可读性（记录的逐页读数：{pages}，{reading['models']} 个模型逐页平均，CER 不带 − 带 TLC，"
        f"大于 0 表示 TLC 帮读）：{per}。区间整个高于 0 的分组：{'、'.join(reading['helps']) or '没有'}；"
        f"整个低于 0 的：{'、'.join(reading['hurts']) or '没有'}（附录 notebook 10“TLC 帮读还是碍读？”）"
    )
