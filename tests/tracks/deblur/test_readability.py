"""Readability beyond the generator (lib.evaluate.readability, on the deblur track's pages): every split, every
method, CER against the rendered text or, for a scan, against what OCR reads on the sharp scan."""

from __future__ import annotations

import numpy as np
import pytest

from lib.evaluate import EVAL_SPLITS, readability, readability_summary, split_pages
from lib.metrics import evaluate_pair
from lib.ocr import cer
from lib.tracks.deblur.data import ensure_dataset


class FakeOcr:
    """Reads a page exactly when it is one of the sharp pages, else a fixed wrong string; counts calls."""

    def __init__(self, sharp_texts: dict):
        self.sharp_texts, self.calls = sharp_texts, 0

    def read(self, image):
        self.calls += 1
        for sharp, text in self.sharp_texts.values():
            if image.shape == sharp.shape and np.array_equal(image, sharp):
                return text
        return "模糊不清 unreadable"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return ensure_dataset(
        "smoke",
        tmp_path_factory.mktemp("read") / "set",
        workers=1,
        options={"n_train": 1, "n_test": 2, "n_heldout": 2, "n_scans": 2, "test_long_side": 300},
    )


@pytest.mark.slow
def test_every_split_every_method_and_cer_references(data):
    pages = {split: split_pages(data, split) for split in EVAL_SPLITS}
    assert [len(pages[s]) for s in EVAL_SPLITS] == [2, 2, 2]
    assert all(text for *_, text in pages["heldout"]) and all(text is None for *_, text in pages["scans"])
    sharp_of = {name: sharp for split in EVAL_SPLITS for name, _, sharp, _ in pages[split]}
    texts = {
        f"{split}/{name}": (sharp, text if text is not None else f"scan {name} text")
        for split in EVAL_SPLITS
        for name, _, sharp, text in pages[split]
    }
    engine = FakeOcr(texts)
    oracle = {id(blur): sharp_of[name] for split in EVAL_SPLITS for name, blur, _, _ in pages[split]}
    rows = readability({"identity": lambda x: x.copy()}, data, ocr=engine)
    by = {(r["split"], r["method"]): r for r in rows}
    assert set(by) == {(s, m) for s in EVAL_SPLITS for m in ("blurred input", "identity", "sharp (ground truth)")}
    for split in EVAL_SPLITS:
        inp, same, sharp = by[split, "blurred input"], by[split, "identity"], by[split, "sharp (ground truth)"]
        expected = np.mean([evaluate_pair(b, s)["psnr"] for _, b, s, _ in pages[split]])
        assert inp["psnr"] == pytest.approx(expected, rel=1e-9) and same["psnr"] == pytest.approx(expected, rel=1e-9)
        assert sharp["cer"] == 0.0 and "psnr" not in sharp  # an infinite PSNR is not stored
        references = [text if text is not None else f"scan {name} text" for name, _, _, text in pages[split]]
        assert inp["cer"] == pytest.approx(np.mean([cer("模糊不清 unreadable", r) for r in references]))
    gains = readability_summary(rows, "identity")
    assert gains["test_A"]["psnr_gain"] == pytest.approx(0.0) and gains["scans"]["cer_ratio"] == pytest.approx(1.0)
    assert oracle  # (blurred pages were read through restorers, never mutated)


def test_absent_splits_are_skipped_and_ocr_can_be_off(data, tmp_path):
    import shutil

    shutil.copytree(data / "test_A", tmp_path / "test_A")  # like a real download: no heldout/ or scans/
    rows = readability({"identity": lambda x: x}, tmp_path, ocr=False, reference_pages=False, input_rows=False)
    assert [(r["split"], r["method"]) for r in rows] == [("test_A", "identity")] and "cer" not in rows[0]


def test_order_free_cer_forgives_line_order_only(data):
    """An OCR that reads each sharp page's lines in reverse order: the plain CER of the sharp row is
    high, the order-free one a small part of it (line matching can misplace near-identical lines,
    e.g. table rows); every other row's order-free CER is at most its plain CER."""
    pages = {split: split_pages(data, split) for split in ("test_A", "heldout")}
    texts = {f"{split}/{name}": (sharp, text) for split in pages for name, _, sharp, text in pages[split]}
    reversed_texts = {k: (sharp, "\n".join(text.splitlines()[::-1])) for k, (sharp, text) in texts.items()}
    rows = readability({"identity": lambda x: x.copy()}, data, splits=tuple(pages), ocr=FakeOcr(reversed_texts))
    for row in rows:
        assert row["cer_order_free"] <= row["cer"] + 1e-12, row
        if row["method"] == "sharp (ground truth)":
            expected = np.mean(
                [cer(reversed_texts[f"{row['split']}/{name}"][1], text) for name, _, _, text in pages[row["split"]]]
            )
            assert row["cer"] == pytest.approx(expected) and row["cer"] > 0.5 and row["cer_order_free"] < row["cer"] / 5
