"""Scoring restorations of blurred pages on a folder of pairs: a model against the input and the classical
deconvolution baselines (:mod:`lib.evaluate.deconvolution`), and readability (PSNR / MS-SSIM / OCR CER) on the
evaluation splits of generated document pages."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import numpy as np

from lib.data.pairs import list_pairs, read_image
from lib.metrics import evaluate_pair, grid_artifact

from . import deconvolution


def load_pairs(source, limit: int | None = None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, blurred, sharp) uint8 images of a folder with ground truth, or of a list of
    (name, blur path, gt path) as ``list_pairs`` gives."""
    listed = list_pairs(source) if isinstance(source, (str, Path)) else list(source)
    missing = [name for name, _, g in listed[:limit] if g is None]
    if missing:
        raise ValueError(f"{source}: no ground truth for {missing[:5]}")
    return [(name, read_image(b), read_image(g)) for name, b, g in listed[:limit]]


def score_restorer(restore, pairs) -> dict:
    """Mean PSNR / MS-SSIM / score of ``restore(blurred) -> restored`` over ``pairs``, and seconds per image."""
    rows, start = [], time.perf_counter()
    for _, blur, sharp in pairs:
        rows.append(evaluate_pair(restore(blur), sharp))
    seconds = (time.perf_counter() - start) / max(len(pairs), 1)
    return {**{k: float(np.mean([r[k] for r in rows])) for k in rows[0]}, "seconds_per_image": seconds}


def compare_methods(test_pairs, val_pairs, model=None, methods=None, model_name: str = "model") -> list[dict]:
    """One row per method on ``test_pairs``: the blurred input, each classical baseline with its
    parameters tuned on ``val_pairs`` (by PSNR), and ``model`` if given (its row named ``model_name``)."""
    from lib.infer import predict_image

    rows = [{"method": "blurred input", "params": "", **score_restorer(lambda x: x, test_pairs)}]
    tuning = [(blur, sharp) for _, blur, sharp in val_pairs]
    for name in methods or deconvolution.METHODS:
        params, _ = deconvolution.tune(name, tuning)
        fn = deconvolution.METHODS[name][0]
        rows.append({"method": name, "params": params, **score_restorer(partial(fn, **params), test_pairs)})
    if model is not None:
        model.eval()
        rows.append(
            {"method": model_name, "params": "", **score_restorer(lambda x: predict_image(model, x), test_pairs)}
        )
    return rows


# ---------------------------------------------------------------- beyond the generator: held-out splits
EVAL_SPLITS = ("test_A", "heldout", "scans")  # test pages; held-out fonts + blur; a real scan


def split_pages(root, split: str, limit: int | None = None) -> list[tuple[str, np.ndarray, np.ndarray, str | None]]:
    """(name, blurred, sharp, reference text or None) of a split of the generated data; ``[]`` when
    the split is absent (a real competition download has only train/ and test_A/ without text)."""
    folder = Path(root) / split
    if not (folder / "gt_image").is_dir():
        return []
    pages = []
    for name, blur, sharp in load_pairs(folder, limit):
        text = folder / "text" / f"{Path(name).stem}.txt"
        pages.append((name, blur, sharp, text.read_text(encoding="utf-8") if text.is_file() else None))
    return pages


def readability(
    restorers: dict,
    root,
    splits=EVAL_SPLITS,
    *,
    ocr=None,
    limit: int | None = None,
    reference_pages: bool = True,
    input_rows: bool = True,
) -> list[dict]:
    """PSNR / MS-SSIM / score, OCR character error rate and periodic grid strength
    (:func:`lib.metrics.grid_artifact`) of each ``restorers[name](blurred) -> restored`` on each
    split of ``root``; one row per (split, method), the blurred input and the
    sharp page (``reference_pages``) included (``input_rows=False``: without the blurred input).

    The OCR reference is the page's rendered text; a scan has none, so there it is what the OCR
    reads on the sharp scan (its CER is then 0 by definition and the others are relative to it).
    ``cer`` compares the text as read; ``cer_order_free`` (``lib.ocr.cer(..., order_free=True)``)
    forgives the order of the lines (a two-column page read across its columns).
    ``ocr``: an :class:`lib.ocr.OcrEngine` (made here if None; ``False`` skips OCR).
    """
    from lib.ocr import OcrEngine, cer

    engine = OcrEngine() if ocr is None else ocr
    methods = {**({"blurred input": lambda x: x} if input_rows else {}), **restorers}
    rows = []
    for split in splits:
        pages = split_pages(root, split, limit)
        if not pages:
            continue
        references = None
        if engine:
            references = [text if text is not None else engine.read(sharp) for _, _, sharp, text in pages]
        candidates = dict(methods, **({"sharp (ground truth)": None} if reference_pages else {}))
        for method, restore in candidates.items():
            start = time.perf_counter()
            outputs = [sharp if restore is None else restore(blur) for _, blur, sharp, _ in pages]
            seconds = (time.perf_counter() - start) / len(pages)
            row = {"split": split, "method": method, "pages": len(pages)}
            if restore is not None:  # the sharp page scores nothing but its CER (PSNR would be infinite)
                scores = [evaluate_pair(out, sharp) for out, (_, _, sharp, _) in zip(outputs, pages)]
                row.update({k: float(np.mean([s[k] for s in scores])) for k in scores[0]})
                row["grid"] = float(np.mean([grid_artifact(out) for out in outputs]))
                row["seconds_per_image"] = seconds
            if engine:
                texts = [engine.read(out) if ref.strip() else None for out, ref in zip(outputs, references)]
                for key, order_free in (("cer", False), ("cer_order_free", True)):
                    rates = [
                        cer(t, ref, order_free=order_free) if t is not None else float("nan")
                        for t, ref in zip(texts, references)
                    ]
                    row[key] = float(np.nanmean(rates))
            rows.append(row)
    return rows


def readability_summary(rows: list[dict], method: str) -> dict:
    """Per split: ``method``'s PSNR gain over the blurred input and its CER against the input's
    (``cer_ratio`` < 1: easier to read than the blurred page)."""
    out = {}
    for split in dict.fromkeys(r["split"] for r in rows):
        by = {r["method"]: r for r in rows if r["split"] == split}
        if method in by:
            gain = {"psnr_gain": by[method]["psnr"] - by["blurred input"]["psnr"]}
            if "cer" in by[method] and by["blurred input"].get("cer"):
                gain["cer_ratio"] = by[method]["cer"] / by["blurred input"]["cer"]
            out[split] = gain
    return out
