"""Readability: the character error rate (CER) of an OCR engine on a page.

The competition scored pixels (PSNR, MS-SSIM); what a reader of a restored document cares about is
whether the text can be read. The OCR engine is ``rapidocr-onnxruntime`` (PaddleOCR's PP-OCRv4
detection and recognition models, shipped in its wheel, run offline by ONNX Runtime) with
``box_thresh=0.3, text_score=0.3``, which keeps faint text that the defaults drop.

CER = Levenshtein distance(OCR text, reference text) / reference length, both with all whitespace
removed and concatenated in reading order (OCR lines: top to bottom, then left to right). A page
read perfectly has CER 0; CER can exceed 1 when the OCR invents text.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

OCR_OPTIONS = {"box_thresh": 0.3, "text_score": 0.3}


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions, each cost 1) between two strings.

    The classic dynamic programme, one row at a time: O(len(a) * len(b)) time, O(len(b)) memory.
    """
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(
                min(
                    previous[j] + 1,  # delete ca
                    current[j - 1] + 1,  # insert cb
                    previous[j - 1] + (ca != cb),
                )
            )  # substitute (or keep)
        previous = current
    return previous[-1]


def strip_whitespace(text: str) -> str:
    """All whitespace removed (spaces, tabs, newlines, full-width spaces)."""
    return "".join(text.split())


def in_reference_order(hypothesis: str, reference: str) -> str:
    """``hypothesis``'s lines reordered to follow ``reference``'s lines: each read line goes to the reference
    line it is most similar to (``difflib`` ratio, whitespace removed; ties keep the read order). On a
    two-column page the OCR's :func:`reading_order` interleaves the columns line by line while the
    reference goes column by column; reordered, a CER counts misread characters, not the reading order.
    Whole lines are matched, not short runs, so a phrase that recurs on the page places nothing."""
    from difflib import SequenceMatcher

    targets = [strip_whitespace(line) for line in reference.split("\n")]
    targets = [t for t in targets if t]
    placed = []
    for index, line in enumerate(hypothesis.split("\n")):
        text = strip_whitespace(line)
        if not text:
            continue
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(text)
        scores = []
        for target in targets:
            matcher.set_seq1(target)
            scores.append(matcher.ratio())
        best = int(np.argmax(scores)) if scores else 0
        placed.append((best, index, line))
    return "\n".join(line for _, _, line in sorted(placed))


def cer(hypothesis: str, reference: str, order_free: bool = False) -> float:
    """Character error rate of ``hypothesis`` against ``reference``, whitespace removed; ``order_free``:
    the lower of the CER as read and after :func:`in_reference_order` (line matching can misplace a line
    among near-identical ones, e.g. table rows, where the order as read was right)."""
    if order_free:
        return min(cer(hypothesis, reference), cer(in_reference_order(hypothesis, reference), reference))
    hyp, ref = strip_whitespace(hypothesis), strip_whitespace(reference)
    if not ref:
        raise ValueError("cer: the reference text is empty (after removing whitespace)")
    return levenshtein(hyp, ref) / len(ref)


def reading_order(boxes: list) -> list:
    """OCR results ``[(box, text, score)]`` in reading order: grouped into lines by vertical
    overlap (a box joins a line if its centre lies within the line's vertical extent), lines top
    to bottom, boxes in a line left to right."""
    items = []
    for box, text, score in boxes:
        pts = np.asarray(box, dtype=np.float64)
        items.append((pts[:, 1].min(), pts[:, 1].max(), pts[:, 0].min(), text, score))
    items.sort(key=lambda item: (item[0] + item[1]) / 2)
    lines: list[list] = []
    for item in items:
        centre = (item[0] + item[1]) / 2
        if lines and lines[-1][0] <= centre <= lines[-1][1]:
            lines[-1][0] = min(lines[-1][0], item[0])
            lines[-1][1] = max(lines[-1][1], item[1])
            lines[-1][2].append(item)
        else:
            lines.append([item[0], item[1], [item]])
    return [(it[3], it[4]) for _, _, members in lines for it in sorted(members, key=lambda m: m[2])]


class OcrEngine:
    """RapidOCR (PP-OCRv4) with the course's thresholds; ``read(rgb_uint8) -> text``."""

    def __init__(self, **options):
        from rapidocr_onnxruntime import RapidOCR

        self.engine = RapidOCR()
        self.options = {**OCR_OPTIONS, **options}

    def read(self, image: np.ndarray) -> str:
        """The text of an RGB uint8 page, lines in reading order joined by newlines."""
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"OcrEngine.read expects an H x W x 3 uint8 RGB image, got {image.shape} {image.dtype}")
        bgr = np.ascontiguousarray(image[:, :, ::-1])  # RapidOCR follows OpenCV: BGR arrays
        result, _ = self.engine(bgr, **self.options)
        return "\n".join(text for text, _ in reading_order(result or []))


def reference_text(split_dir, image_name: str) -> str:
    """The rendered text of a page of the sample data: ``<split>/text/<stem>.txt``."""
    path = Path(split_dir) / "text" / f"{Path(image_name).stem}.txt"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no reference text for {image_name} (only the course's sample "
            f"data has text/; a real competition download does not)"
        )
    return path.read_text(encoding="utf-8")


def page_cer(engine: OcrEngine, images, references) -> dict:
    """Mean CER of ``engine`` over pages (RGB uint8) with their reference texts, per-page CERs
    and the OCR seconds per page."""
    rates, start = [], time.perf_counter()
    for image, reference in zip(images, references, strict=True):
        rates.append(cer(engine.read(image), reference))
    return {
        "cer": float(np.mean(rates)),
        "per_page": rates,
        "seconds_per_page": (time.perf_counter() - start) / max(len(rates), 1),
    }
