"""The study's stroke geometry and OCR confusions (lab.tracks.deblur.strokes) against references drawn by hand:
bars of known thickness, text drawn on a known page, strings with known edits."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from lab.tracks.deblur.readings import SHARP
from lab.tracks.deblur.strokes import (
    align_confusions,
    binarize_text,
    font_family,
    ink_fraction,
    model_label_zh,
    ocr_confusions,
    reading_table_markdown,
    stroke_table,
    stroke_width,
    stroke_width_by_area,
    summarize_strokes,
    width_excess_vs_blur,
)


def page_with_bar(thickness: int, size: int = 240, length: int = 200) -> np.ndarray:
    """A white RGB page with one black horizontal bar of ``thickness`` rows."""
    page = np.full((size, size, 3), 255, np.uint8)
    top = size // 2 - thickness // 2
    page[top : top + thickness, 20 : 20 + length] = 0
    return page


def page_with_text(ink: int = 0, paper: int = 255) -> np.ndarray:
    """A page with a few words drawn without anti-aliasing, so every pixel is ink or paper."""
    page = np.full((200, 420, 3), paper, np.uint8)
    for row, words in enumerate(("stroke width", "of a restored", "document page")):
        cv2.putText(page, words, (10, 50 + 60 * row), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (ink, ink, ink), 2, cv2.LINE_8)
    return page


class ScriptedOcr:
    """Reads each page as the text it was given, in order."""

    def __init__(self, texts):
        self.texts = iter(texts)

    def read(self, image):
        return next(self.texts)


def bench_rows(blur_ratios, restored_ratios, sharp_widths, method="model"):
    """Rows shaped like a recorded stroke bench: per page a blurred, a sharp and a restored row."""
    rows = []
    for i, (b, r, w) in enumerate(zip(blur_ratios, restored_ratios, sharp_widths)):
        page = f"{i:05d}.png"
        rows += [
            {"split": "heldout", "page": page, "method": "blurred input", "ratio_to_sharp": b, "stroke_width": b * w},
            {"split": "heldout", "page": page, "method": SHARP, "ratio_to_sharp": 1.0, "stroke_width": w},
            {"split": "heldout", "page": page, "method": method, "ratio_to_sharp": r, "stroke_width": r * w},
        ]
    return {"rows": rows}


@pytest.mark.parametrize("measure", [stroke_width, stroke_width_by_area])
def test_bar_widths_match_their_thickness_and_keep_their_order(measure):
    thicknesses = (3, 5, 9)
    widths = [measure(page_with_bar(t)) for t in thicknesses]
    for t, w in zip(thicknesses, widths):
        assert abs(w - t) <= 1.0, f"{measure.__name__}: a {t}-px bar measured {w:.2f} px"
    assert widths == sorted(widths) and len(set(np.round(widths, 3))) == 3


def test_distance_width_is_exact_on_an_odd_bar_and_a_mask_works_like_a_page():
    assert stroke_width(page_with_bar(5)) == pytest.approx(5.0, abs=0.05)
    mask = np.zeros((60, 300), bool)
    mask[20:27, 10:290] = True
    assert stroke_width(mask) == pytest.approx(7.0, abs=0.05)
    assert np.isnan(stroke_width(np.zeros((10, 10), bool)))


def test_a_bolder_rendering_of_the_same_text_is_wider():
    page = page_with_text()
    bolder = cv2.erode(page, np.ones((3, 3), np.uint8))  # eroding the white page dilates the black text
    for measure in (stroke_width, stroke_width_by_area):
        thin, bold = measure(page), measure(bolder)
        assert bold > thin + 1.0, f"{measure.__name__}: {thin:.2f} -> {bold:.2f} px after a 3x3 dilation"


def test_binarize_finds_exactly_the_text_and_its_ink_fraction():
    page = page_with_text()
    truth = page[..., 0] == 0
    mask = binarize_text(page)
    assert np.array_equal(mask, truth)
    assert ink_fraction(page) == pytest.approx(truth.mean(), abs=1e-6)
    assert 0.02 < truth.mean() < 0.2  # the page does carry text


def test_binarize_ignores_uneven_lighting():
    """Paper from 255 down to 110 across the page, text at a third of the paper's brightness: a global
    threshold on the grey page would take the dark side for ink."""
    page = page_with_text(ink=0).astype(np.float32)
    light = np.linspace(1.0, 110 / 255, page.shape[1], dtype=np.float32)[None, :, None]
    text = page == 0
    lit = np.where(text, 255 / 3, page) * light
    lit = np.clip(np.round(lit), 0, 255).astype(np.uint8)
    truth = text[..., 0]
    assert ink_fraction(lit) == pytest.approx(truth.mean(), abs=0.002)
    assert (binarize_text(lit) == truth).mean() > 0.998


def test_stroke_table_ratios_to_the_sharp_page():
    sharp = page_with_text()
    pages = [
        {
            "split": "s",
            "name": "p.png",
            "blurred": cv2.GaussianBlur(sharp, (5, 5), 1.5),
            "sharp": sharp,
            "families": ["DejaVu Serif"],
            "weights": ["Regular"],
        }
    ]
    rows = stroke_table(pages, {"bolder": lambda x: cv2.erode(sharp, np.ones((3, 3), np.uint8))})
    by = {r["method"]: r for r in rows}
    assert set(by) == {"blurred input", SHARP, "bolder"}
    assert by[SHARP]["ratio_to_sharp"] == pytest.approx(1.0)
    assert by["bolder"]["ratio_to_sharp"] > 1.3 and by["bolder"]["ink_fraction"] > by[SHARP]["ink_fraction"]
    summary = {r["method"]: r for r in summarize_strokes(rows, "family")}
    assert summary["bolder"]["family"] == "DejaVu Serif"
    assert summary["bolder"]["stroke_width"] == pytest.approx(by["bolder"]["stroke_width"])


def test_font_family_splits_the_weight_off():
    assert font_family("DejaVu Serif Bold") == ("DejaVu Serif", "Bold")
    assert font_family("SimHei (faux bold)") == ("SimHei", "faux bold")
    assert font_family("Caladea") == ("Caladea", "Regular")


def test_ocr_confusions_counts_the_substitution_and_the_vanished_space():
    blank = np.full((8, 8, 3), 255, np.uint8)
    result = ocr_confusions(ScriptedOcr(["hollo world", "ab"]), {"t": [blank, blank]}, {"t": ["hello world", "a b"]})[
        "t"
    ]
    assert result["substitutions"] == [["e", "o", 1]] and result["substitution_count"] == 1
    assert result["deletions"] == [[" ", 1]] and result["spaces_deleted"] == 1
    assert result["insertions"] == [] and result["insertion_count"] == 0
    assert result["reference_spaces"] == 2
    assert result["cer"] == pytest.approx((1 / 10 + 0) / 2)  # lib.ocr.cer ignores whitespace
    assert result["page_cer"] == pytest.approx([1 / 10, 0]) == result["page_cer_order_free"]


def test_width_excess_vs_blur_ranks_pages_and_cuts_them_by_blur():
    blur = [2.0, 5.0, 3.0, 4.0, 6.0, 1.5]
    restored = [1.1, 1.4, 1.2, 1.3, 1.5, 1.0]  # rises with the blur exactly: rank correlation 1
    sharp = [1.2, 1.0, 1.6, 1.4, 1.1, 1.3]  # ranks 3,0,5,4,1,2 of the pages: unrelated to the excess
    got = width_excess_vs_blur(bench_rows(blur, restored, sharp), "model", groups=3)
    assert got["pages"] == 6 and got["rho_blur"] == pytest.approx(1.0)

    def ranks(x):
        return np.argsort(np.argsort(x)).astype(float)

    assert got["rho_sharp"] == pytest.approx(
        np.corrcoef(ranks(sharp), ranks(restored))[0, 1]
    )  # Spearman = Pearson of ranks
    # by blur: pages (1.5, 2.0), (3.0, 4.0), (5.0, 6.0)
    assert [(g["blur_low"], g["blur_high"]) for g in got["groups"]] == [(1.5, 2.0), (3.0, 4.0), (5.0, 6.0)]
    assert [g["restored_ratio"] for g in got["groups"]] == pytest.approx([1.05, 1.25, 1.45])
    assert got["groups"][0]["sharp_width"] == pytest.approx((1.3 + 1.2) / 2)
    with pytest.raises(ValueError, match="0 pages with 'other'"):
        width_excess_vs_blur(bench_rows(blur, restored, sharp), "other")
    with pytest.raises(ValueError, match="need at least 6"):
        width_excess_vs_blur(bench_rows(blur[:4], restored[:4], sharp[:4]), "model")


def test_alignment_separates_insertions_merges_and_line_breaks():
    counts = align_confusions("the cat sat\non a mat", "the cat sat on a\nmat")  # only the line break moved
    assert sum(counts["substitutions"].values()) == sum(counts["deletions"].values()) == 0
    counts = align_confusions("the catt sat", "the cat sat")  # (read, reference): an inserted letter
    assert counts["insertions"] == {"t": 1} and not counts["substitutions"] and not counts["deletions"]
    counts = align_confusions("mo dem", "modern")  # "rn" read as "m", a space read where there is none
    assert counts["substitutions"] == {("rn", "m"): 1} and counts["insertions"] == {" ": 1}


def test_reading_table_bolds_the_best_cer_of_each_split_and_shows_the_width_ratio():
    by_split = [
        {"split": s, "method": m, "ratio_to_sharp": r}
        for s in ("mild_blur", "heldout_fonts")
        for m, r in ((SHARP, 1.0), ("blurred input", 2.0), ("shipped", 1.1))
    ]
    cer = {
        ("mild_blur", "blurred input"): 0.03,
        ("mild_blur", "shipped"): 0.05,
        ("mild_blur", SHARP): 0.02,
        ("heldout_fonts", "blurred input"): 0.5,
        ("heldout_fonts", "shipped"): 0.3,
        ("heldout_fonts", SHARP): 0.1,
    }
    ocr = {}
    for (split, method), value in cer.items():
        ocr.setdefault(method, {})[split] = {"cer": value}
    lines = reading_table_markdown({"by_split": by_split, "ocr": ocr}).splitlines()
    assert lines[0] == "| 分组 | 模糊输入 | 附带模型 | 清晰原图 |" and len(lines) == 4
    assert lines[2] == "| 训练字体 + 训练模糊减半 | **0.030** / ×2.00 | 0.050 / ×1.10 | 0.020 |"
    assert lines[3] == "| 未见字体 + 训练模糊 | 0.500 / ×2.00 | **0.300** / ×1.10 | 0.100 |"


def test_model_labels_name_a_claims_run_by_its_recipe_and_seed():
    assert model_label_zh("recipe-seed1") == "冠军方案损失（半长，随机种子 1）"
    assert model_label_zh("l1_only-seed0") == "三段都用 L1（半长，随机种子 0）"
    assert model_label_zh("shipped") == "附带模型"
    assert model_label_zh("other-seed0") == "other-seed0"  # an unknown recipe keeps its name
