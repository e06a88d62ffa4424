"""The readability study's measurements: stroke geometry and OCR confusions of restored pages, and its 30-page benches.

The shipped demo NAFNet gains PSNR on every evaluation split but its OCR character error rate rises on the held-out
fonts and the scans. Two measurable suspects:

* the stroke width: glyphs restored bolder than the originals close the counters and gaps that tell "e" from "o" and
  one word from the next;
* which characters the OCR confuses: substitutions (reference -> read), deleted word spaces, inserted characters,
  aligned with :class:`difflib.SequenceMatcher`.

``lab/bench/bench_deblur_strokes.py`` measures both with these functions; the product reads its recorded results
(:mod:`lab.tracks.deblur.readings`: ``load_results(path)``, the figures and lines of notebook 04, per-page CER pairing
and bootstrap intervals).
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np

from lab.tracks.deblur.claims import VARIANT_ZH
from lab.tracks.deblur.readings import BLURRED, METHOD_LABELS_ZH, SHARP, SPLIT_LABELS_ZH

# The 30-page benches (lab/bench/bench_deblur_strokes.py --heldout 30 | --heldout-tilt 30 | --test-a 30 --out
# lab/bench/results/deblur_strokes_<tag>_<run>.json): the file tag of each split, and the bench that holds the
# shipped model's and the blurred input's per-page CER on it.
BENCH30_TAGS = {"heldout": "heldout30", "heldout_tilt": "heldout_tilt30", "test_A": "test_a30"}
SMALL_BODY_PX = 14  # body text below this many pixels: where the held-out pages lose most to every model
SHIPPED_BENCH30 = {
    "heldout": "deblur_strokes_heldout30.json",
    "heldout_tilt": "deblur_strokes_heldout_tilt30_shipped.json",
    "test_A": "deblur_strokes_test_a30.json",
}


def bench30_file(split: str, run: str) -> str:
    """The file name of ``run``'s 30-page bench on ``split`` (``run`` e.g. ``copies_stroke_s1``)."""
    return f"deblur_strokes_{BENCH30_TAGS[split]}_{run}.json"


BACKGROUND_KERNEL = 31  # px: wider than any stroke of the demo pages, so a closing removes the text
WEIGHT_WORDS = ("(faux bold)", "Bold", "Semibold", "Light", "Italic")


# ---------------------------------------------------------------- text mask and stroke width
def flattened_grey(image: np.ndarray) -> np.ndarray:
    """The grey page divided by its paper brightness, float in (0, 1]: 1 = paper.

    The paper is a grey closing (dilate then erode) with a disk of ``BACKGROUND_KERNEL`` px, which
    is wider than any stroke, so it keeps the lighting and drops the text. Without it a global
    threshold marks the darker corners of a photographed page (the ``scans`` split) as ink."""
    import cv2

    image = np.asarray(image)
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    grey = grey.astype(np.float32) + 1.0  # +1: no division by zero on black paper
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (BACKGROUND_KERNEL, BACKGROUND_KERNEL))
    paper = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, disk)
    return np.clip(grey / paper, 0.0, 1.0)


def text_threshold(image: np.ndarray) -> float:
    """Otsu's threshold (``skimage.filters.threshold_otsu``) of the flattened grey page."""
    from skimage.filters import threshold_otsu

    return float(threshold_otsu(flattened_grey(image)))


def binarize_text(image: np.ndarray, threshold: float | None = None) -> np.ndarray:
    """Boolean mask of the dark text of an RGB uint8 page: flattened grey (:func:`flattened_grey`)
    below ``threshold``, by default the page's own Otsu threshold (:func:`text_threshold`).

    Passing the sharp page's threshold measures a restoration at the same ink level as the
    original, so a change of width cannot come from Otsu choosing another level."""
    flat = flattened_grey(image)
    if threshold is None:
        from skimage.filters import threshold_otsu

        threshold = threshold_otsu(flat)
    return flat < threshold


def ink_fraction(image_or_mask: np.ndarray) -> float:
    """Text pixels / page pixels (the mask of :func:`binarize_text` for an image)."""
    mask = _as_mask(image_or_mask)
    return float(mask.mean())


def stroke_width(image_or_mask: np.ndarray) -> float:
    """Mean stroke width in pixels: the mean local thickness along the strokes' centre lines.

    Definition: skeletonize the text mask (``skimage.morphology.skeletonize``), take the Euclidean
    distance transform of the mask (``scipy.ndimage.distance_transform_edt``: each ink pixel's
    distance to the nearest paper pixel) on the skeleton pixels, and return
    ``2 * mean(distance) - 1``. The ``- 1``: distances run between pixel centres, so the centre
    pixel of a 3-px bar lies 2 px from the first paper pixel, whose edge is half a pixel nearer on
    each side. An odd bar of thickness t measures exactly t; an even one t - 1 (its centre line
    falls on one of its two middle rows); stroke ends and junctions pull the mean slightly down.
    NaN for a page without ink. ``image_or_mask``: an RGB uint8 page (binarized with
    :func:`binarize_text`) or a boolean mask."""
    from scipy.ndimage import distance_transform_edt
    from skimage.morphology import skeletonize

    mask = _as_mask(image_or_mask)
    skeleton = skeletonize(mask)
    if not skeleton.any():
        return float("nan")
    distance = distance_transform_edt(mask)
    return float(2.0 * distance[skeleton].mean() - 1.0)


def stroke_width_by_area(image_or_mask: np.ndarray) -> float:
    """Mean stroke width in pixels as ink area / centre-line length (skeleton pixels): a bar of
    thickness t and length L has area t * L and a centre line of about L. Unlike
    :func:`stroke_width` it tells a 2-px stroke from a 1-px one (both have distance 1 on their
    centre line), which matters on the demo pages, whose sharp strokes are 1-2 px; a diagonal
    counts one pixel per step of its centre line, so slanted strokes read a little wide."""
    from skimage.morphology import skeletonize

    mask = _as_mask(image_or_mask)
    length = int(skeletonize(mask).sum())
    return float(mask.sum() / length) if length else float("nan")


def _as_mask(image_or_mask: np.ndarray) -> np.ndarray:
    array = np.asarray(image_or_mask)
    return array if array.dtype == bool else binarize_text(array)


# ---------------------------------------------------------------- the evaluation pages and their fonts
def font_family(name: str) -> tuple[str, str]:
    """("DejaVu Serif", "Bold") of a meta font name like "DejaVu Serif Bold" or "SimHei (faux bold)";
    the weight is "Regular" when the name has no weight word."""
    weights = [w for w in WEIGHT_WORDS if w in name]
    family = name
    for word in weights:
        family = family.replace(word, "")
    family = re.sub(r"\s+", " ", family).strip()
    return family, " ".join(w.strip("()") for w in weights) or "Regular"


def evaluation_pages(root, splits=None, limit: int | None = None) -> list[dict]:
    """Each page of the evaluation splits of the generated data: ``split``, ``name``, ``blurred``,
    ``sharp``, ``text`` (None for a scan), and from ``<split>/meta/<stem>.json``: ``families``
    (sorted family names, weights stripped; ``["(scan)"]`` for a real scan, which has no font) and
    ``weights``; and ``info``: the page's language, columns, body text height, fonts and blur kernel parts.
    A page mixes several families (body, headings, titles), and the meta does not say which line uses
    which, so the family is a property of the page, not of a stroke."""
    from lib.tracks.deblur.evaluate import EVAL_SPLITS, split_pages

    pages = []
    for split in splits or EVAL_SPLITS:
        for name, blurred, sharp, text in split_pages(root, split, limit):
            meta_file = Path(root) / split / "meta" / f"{Path(name).stem}.json"
            meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.is_file() else {}
            layout = meta.get("page", {})
            parsed = [font_family(f) for f in meta.get("fonts", [])]
            pages.append(
                {
                    "split": split,
                    "name": name,
                    "blurred": blurred,
                    "sharp": sharp,
                    "text": text,
                    "families": sorted({f for f, _ in parsed}) or ["(scan)"],
                    "weights": sorted({w for _, w in parsed}),
                    "info": {
                        "language": layout.get("language"),
                        "columns": layout.get("columns"),
                        "body_px": layout.get("body_px"),
                        "fonts": meta.get("fonts", []),
                        "kernel": meta.get("kernel", []),
                    },
                }
            )
    return pages


def restore_pages(pages: list[dict], restorers: dict) -> dict[str, list[np.ndarray]]:
    """``{method: [restored page, ...]}`` in the order of ``pages``, the blurred input and the sharp
    page first; ``restorers[name](blurred) -> restored``, called once per page."""
    outputs = {BLURRED: [p["blurred"] for p in pages], SHARP: [p["sharp"] for p in pages]}
    for method, restore in restorers.items():
        outputs[method] = [restore(p["blurred"]) for p in pages]
    return outputs


def stroke_table(pages: list[dict], restorers: dict) -> list[dict]:
    """One row per (page, method): stroke width and ink fraction of the blurred input, the sharp page
    and each restorer, with the page's split, name, font families and weights.

    ``restorers[name]``: a function ``blurred -> restored``, or the list of already restored pages
    (as :func:`restore_pages` gives) in the order of ``pages``. ``stroke_width`` binarizes each
    image at its own Otsu threshold; ``stroke_width_at_sharp_threshold`` at the sharp page's, and
    ``ratio_to_sharp`` is the page's width over the sharp page's (both at their own thresholds);
    ``stroke_width_by_area`` and ``ratio_to_sharp_by_area`` the same with :func:`stroke_width_by_area`."""
    methods = {BLURRED: None, SHARP: None, **restorers}
    rows = []
    for index, page in enumerate(pages):
        sharp_threshold = text_threshold(page["sharp"])
        sharp_mask = binarize_text(page["sharp"], sharp_threshold)
        sharp_width, sharp_by_area = stroke_width(sharp_mask), stroke_width_by_area(sharp_mask)
        for method, restore in methods.items():
            if method == BLURRED:
                image = page["blurred"]
            elif method == SHARP:
                image = page["sharp"]
            else:
                image = restore[index] if isinstance(restore, (list, tuple)) else restore(page["blurred"])
            mask = binarize_text(image)
            width, width_by_area = stroke_width(mask), stroke_width_by_area(mask)
            rows.append(
                {
                    "split": page["split"],
                    "page": page["name"],
                    "family": " + ".join(page["families"]),
                    "families": page["families"],
                    "weights": page["weights"],
                    "method": method,
                    "stroke_width": width,
                    "ink_fraction": ink_fraction(mask),
                    "stroke_width_at_sharp_threshold": stroke_width(binarize_text(image, sharp_threshold)),
                    "ratio_to_sharp": width / sharp_width,
                    "stroke_width_by_area": width_by_area,
                    "ratio_to_sharp_by_area": width_by_area / sharp_by_area,
                }
            )
    return rows


def summarize_strokes(rows: list[dict], by: str = "split") -> list[dict]:
    """Mean stroke width, width at the sharp threshold, ink fraction and ratio to sharp of each method,
    grouped by ``split`` or by ``family`` (split and one family; a page counts under every family
    it uses, so family groups overlap). One row per group and method."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        keys = [(row["split"],)] if by == "split" else [(row["split"], f) for f in row["families"]]
        for key in keys:
            groups.setdefault(key + (row["method"],), []).append(row)
    out = []
    for key, members in groups.items():
        summary = {
            "split": key[0],
            **({"family": key[1]} if by == "family" else {}),
            "method": key[-1],
            "pages": len(members),
        }
        for field in (
            "stroke_width",
            "stroke_width_at_sharp_threshold",
            "ink_fraction",
            "ratio_to_sharp",
            "stroke_width_by_area",
            "ratio_to_sharp_by_area",
        ):
            summary[field] = float(np.nanmean([m[field] for m in members]))
        out.append(summary)
    return out


# ---------------------------------------------------------------- OCR confusions
SHORT_BLOCK = 3  # chars: a longer replaced run is a misalignment (reading order), not a confusion


def normalize_spaces(text: str) -> str:
    """Every run of whitespace (spaces, tabs, line breaks) as one space, ends stripped: the OCR's line
    breaks and the reference's need not fall at the same places, a word space must."""
    return " ".join(text.split())


def align_confusions(read: str, reference: str) -> dict:
    """Character edits that turn ``reference`` into the OCR's ``read`` text (whitespace normalized).

    ``difflib.SequenceMatcher(autojunk=False)`` aligns the two; in its opcodes, a ``replace`` of
    equal lengths up to ``SHORT_BLOCK`` counts one substitution per character ("e" -> "o"), an
    unequal short one counts as one substitution of strings ("rn" -> "m"), and a longer one
    (lines read in another order) as ``unaligned`` characters; ``delete`` counts each reference
    character in ``deletions``, ``insert`` each read character in ``insertions``.
    ``spaces_deleted``: reference word spaces with no space read in their place (deleted, or lost
    inside a short replaced run). Counters are keyed by character or ``(reference, read)``."""
    ref, hyp = normalize_spaces(reference), normalize_spaces(read)
    substitutions, deletions, insertions = Counter(), Counter(), Counter()
    spaces_deleted, unaligned_ref, unaligned_read = 0, 0, 0
    matcher = difflib.SequenceMatcher(None, ref, hyp, autojunk=False)  # autojunk would ignore spaces and "e"
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = ref[i1:i2], hyp[j1:j2]
        if op == "delete":
            deletions.update(a)
            spaces_deleted += a.count(" ")
        elif op == "insert":
            insertions.update(b)
        elif op == "replace":
            if len(a) > SHORT_BLOCK or len(b) > SHORT_BLOCK:
                unaligned_ref, unaligned_read = unaligned_ref + len(a), unaligned_read + len(b)
            elif len(a) == len(b):
                substitutions.update(zip(a, b))
            else:
                substitutions[(a, b)] += 1
                spaces_deleted += max(0, a.count(" ") - b.count(" "))
    return {
        "substitutions": substitutions,
        "deletions": deletions,
        "insertions": insertions,
        "spaces_deleted": spaces_deleted,
        "reference_spaces": ref.count(" "),
        "reference_chars": len(ref),
        "unaligned_reference_chars": unaligned_ref,
        "unaligned_read_chars": unaligned_read,
    }


def merge_confusions(counts: list[dict]) -> dict:
    """The sum of several :func:`align_confusions` results."""
    total: dict = {}
    for c in counts:
        for key, value in c.items():
            total[key] = total.get(key, Counter() if isinstance(value, Counter) else 0) + value
    return total


def top_confusions(counts: dict, top: int = 15) -> dict:
    """JSON-ready: the ``top`` most frequent substitutions ``[reference, read, n]``, deletions and
    insertions ``[char, n]`` (most frequent first), and the plain totals.

    A character both deleted and inserted was most likely read in another place (lines of two
    columns interleaved by the OCR's reading order), not lost: ``moved`` counts min(deleted,
    inserted) per character, and the ``deletions`` / ``insertions`` lists and counts are net of it.
    ``spaces_deleted`` and ``spaces_inserted`` stay raw."""
    out = {key: value for key, value in counts.items() if not isinstance(value, Counter)}
    out["substitutions"] = [[a, b, n] for (a, b), n in counts["substitutions"].most_common(top)]
    out["substitution_count"] = sum(counts["substitutions"].values())
    moved = counts["deletions"] & counts["insertions"]  # per character: min of the two
    out["spaces_inserted"] = counts["insertions"][" "]
    out["moved"] = [[c, n] for c, n in moved.most_common(top)]
    out["moved_count"] = sum(moved.values())
    for key in ("deletions", "insertions"):
        net = counts[key] - moved
        out[key] = [[c, n] for c, n in net.most_common(top)]
        out[f"{key[:-1]}_count"] = sum(net.values())
    return out


def ocr_confusions(engine, restored_pages: dict, references: dict, top: int = 15) -> dict:
    """Per split: which characters the OCR reads as which on the restored pages.

    ``engine``: anything with ``read(rgb_uint8) -> text`` (:class:`lib.ocr.OcrEngine`);
    ``restored_pages[split]`` and ``references[split]``: the pages and their reference texts in the
    same order. Returns ``{split: top_confusions(...) + page_cers(...) + {"texts": what was read}}``
    (CER as :func:`lib.ocr.cer`: whitespace removed)."""
    out = {}
    for split, images in restored_pages.items():
        texts = [engine.read(image) for image in images]
        refs = references[split]
        if len(texts) != len(refs):
            raise ValueError(f"ocr_confusions: {len(texts)} pages but {len(refs)} references in {split}")
        counts = merge_confusions([align_confusions(t, r) for t, r in zip(texts, refs)])
        out[split] = {**top_confusions(counts, top), **page_cers(texts, refs), "texts": texts}
    return out


def page_cers(texts: list[str], references: list[str]) -> dict:
    """Per-page CER of what was read and its mean, plain and order-free (:func:`lib.ocr.in_reference_order`:
    a two-column page's interleaved lines do not count as errors)."""
    from lib.ocr import cer

    plain = [float(cer(t, r)) for t, r in zip(texts, references)]
    free = [float(cer(t, r, order_free=True)) for t, r in zip(texts, references)]
    return {
        "cer": float(np.mean(plain)),
        "page_cer": plain,
        "cer_order_free": float(np.mean(free)),
        "page_cer_order_free": free,
    }


def model_label_zh(name: str) -> str:
    """A reading's model name in Chinese: a method's label, or a claims run ``<variant>-seed<k>`` (half-length
    runs of bench_deblur_claims.py) as its recipe and seed."""
    run = re.fullmatch(r"(\w+)-seed(\d+)", name)
    if run and run.group(1) in VARIANT_ZH:
        return f"{VARIANT_ZH[run.group(1)]}（半长，随机种子 {run.group(2)}）"
    return METHOD_LABELS_ZH.get(name, name)


def reading_table_markdown(results: dict, methods=None) -> str:
    """Markdown: one row per split, per method its OCR CER and stroke width relative to the sharp
    page (``CER / ×ratio``); the best CER of each row in bold (the sharp page excluded)."""
    methods = methods or [m for m in results["ocr"] if m != SHARP]
    by = {(r["split"], r["method"]): r for r in results["by_split"]}
    lines = [
        "| 分组 | " + " | ".join(model_label_zh(m) for m in methods) + " | 清晰原图 |",
        "|---" * (len(methods) + 2) + "|",
    ]
    for split in dict.fromkeys(r["split"] for r in results["by_split"]):
        best = min(results["ocr"][m][split]["cer"] for m in methods)
        cells = []
        for m in methods:
            cer = results["ocr"][m][split]["cer"]
            cells.append(
                (f"**{cer:.3f}**" if cer == best else f"{cer:.3f}") + f" / ×{by[split, m]['ratio_to_sharp']:.2f}"
            )
        lines.append(
            f"| {SPLIT_LABELS_ZH.get(split, split)} | "
            + " | ".join(cells)
            + f" | {results['ocr'][SHARP][split]['cer']:.3f} |"
        )
    return "\n".join(lines)


def width_excess_vs_blur(results: dict, method: str, split: str | None = None, groups: int = 3) -> dict:
    """Does a restoration's stroke width excess follow the blur or the font? Per page of a recorded bench
    (its ``rows``): x = the blurred page's stroke width / the sharp page's (how strong the blur was for
    this text), y = the restored page's width / the sharp page's, and the sharp width itself. Returns
    both Spearman rank correlations (y with the blur, y with the sharp width) and the pages cut into
    ``groups`` equal groups by blur strength with their mean ratios. A residual blur widens strokes more
    the stronger the blur was; a learned stroke weight would widen thin fonts more, whatever the blur."""
    from scipy.stats import spearmanr

    by_page: dict = {}
    for r in results["rows"]:
        if split is None or r["split"] == split:
            by_page.setdefault((r["split"], r["page"]), {})[r["method"]] = r
    pages = [k for k, v in by_page.items() if {BLURRED, SHARP, method} <= v.keys()]
    if len(pages) < 2 * groups:
        raise ValueError(
            f"width_excess_vs_blur: {len(pages)} pages with {method!r}, {BLURRED!r} and {SHARP!r} rows "
            f"(split {split!r}); need at least {2 * groups}"
        )
    blur = np.array([by_page[k][BLURRED]["ratio_to_sharp"] for k in pages])
    restored = np.array([by_page[k][method]["ratio_to_sharp"] for k in pages])
    sharp = np.array([by_page[k][SHARP]["stroke_width"] for k in pages])
    rho_blur, p_blur = spearmanr(blur, restored)
    rho_sharp, p_sharp = spearmanr(sharp, restored)
    order = np.argsort(blur, kind="stable")
    cut = [
        {
            "blur_low": float(blur[g].min()),
            "blur_high": float(blur[g].max()),
            "pages": int(g.size),
            "restored_ratio": float(restored[g].mean()),
            "sharp_width": float(sharp[g].mean()),
        }
        for g in np.array_split(order, groups)
    ]
    return {
        "method": method,
        "split": split,
        "pages": len(pages),
        "blurred_ratio": blur.tolist(),
        "restored_ratio": restored.tolist(),
        "sharp_width": sharp.tolist(),
        "rho_blur": float(rho_blur),
        "p_blur": float(p_blur),
        "rho_sharp": float(rho_sharp),
        "p_sharp": float(p_sharp),
        "groups": cut,
    }


# Across machines the OCR can read a page one character differently (its floating point differs): measured, one
# blurred held-out page of 30 read 0.0003 apart between an Intel Xeon and an AMD EPYC, every other page the same.
# 0.002 is one character on a 500-character page; pass it only to pair benches recorded on different machines.
CROSS_MACHINE_PAGE_CER_TOLERANCE = 0.002
