"""Recorded readability benches read back (lab.tracks.deblur.readings): per-page CERs of several benches paired,
the bootstrap interval of their difference against a plain one, the notebook's figure and lines."""

from __future__ import annotations

import numpy as np
import pytest

from lab.tracks.deblur.readings import (
    SHARP,
    difference_text,
    merged_page_cer,
    paired_cer_difference,
)

TOLERANCE = 0.002  # one character on a 500-character page (the study's cross-machine tolerance)


def test_paired_cer_difference_matches_a_plain_bootstrap_and_tells_a_real_gap_from_noise():
    rng = np.random.default_rng(3)
    base = rng.uniform(0.0, 0.5, 30)
    noisy = base + rng.normal(0.0, 0.05, 30)  # no real gap: the interval holds 0
    result = paired_cer_difference(noisy, base)
    diff = noisy - base
    # independent reference: resample the pages with numpy and take the 2.5 / 97.5 percentiles
    means = diff[np.random.default_rng(7).integers(0, 30, (20000, 30))].mean(axis=1)
    assert result["mean_difference"] == pytest.approx(diff.mean())
    assert result["low"] == pytest.approx(np.percentile(means, 2.5), abs=0.004)
    assert result["high"] == pytest.approx(np.percentile(means, 97.5), abs=0.004)
    assert result["low"] < 0 < result["high"] and result["pages"] == 30
    assert result["better_pages"] + result["worse_pages"] == 30
    worse = paired_cer_difference(base + 0.05 + rng.normal(0.0, 0.02, 30), base)  # a real gap of 0.05
    assert 0.03 < worse["low"] < 0.05 < worse["high"] < 0.07
    same = paired_cer_difference(base, base)
    assert same["low"] == same["high"] == same["mean_difference"] == 0 and same["better_pages"] == 0
    with pytest.raises(ValueError, match="equal-length"):
        paired_cer_difference([0.1, 0.2], [0.1, 0.2, 0.3])


def test_merged_page_cer_joins_benches_of_the_same_pages_and_refuses_others():
    def bench(**methods):
        return {"ocr": {m: {"heldout": {"page_cer": cers}} for m, cers in methods.items()}}

    first = bench(blurred=[0.1, 0.2, 0.3], a=[0.0, 0.1, 0.2])
    second = bench(blurred=[0.1, 0.2, 0.3], b=[0.3, 0.2, 0.1])
    merged = merged_page_cer([first, second], "heldout")
    assert sorted(merged) == ["a", "b", "blurred"]
    np.testing.assert_array_equal(merged["b"], [0.3, 0.2, 0.1])
    with pytest.raises(ValueError, match="'blurred' on heldout differs between bench 1"):
        merged_page_cer([first, bench(blurred=[0.1, 0.2, 0.4])], "heldout")
    with pytest.raises(ValueError, match="differs"):
        merged_page_cer([first, bench(blurred=[0.1, 0.2])], "heldout")
    with pytest.raises(ValueError, match="no bench has split 'test_A'"):
        merged_page_cer([first], "test_A")


def test_merged_page_cer_accepts_a_stated_cross_machine_tolerance_and_checks_page_names():
    def bench(pages, **methods):
        rows = [{"split": "heldout", "page": p, "method": m} for p in pages for m in methods]
        return {"rows": rows, "ocr": {m: {"heldout": {"page_cer": cers}} for m, cers in methods.items()}}

    pages = ["00001.png", "00002.png", "00003.png"]
    intel = bench(pages, blurred=[0.1, 0.2, 0.3], a=[0.0, 0.1, 0.2])
    amd = bench(pages, blurred=[0.1, 0.2003, 0.3], b=[0.3, 0.2, 0.1])  # one character read differently
    with pytest.raises(ValueError, match="by more than 0.0 on a page"):
        merged_page_cer([intel, amd], "heldout")
    merged = merged_page_cer([intel, amd], "heldout", tolerance=TOLERANCE)
    np.testing.assert_array_equal(merged["blurred"], [0.1, 0.2, 0.3])  # the first bench's CERs are kept
    np.testing.assert_array_equal(merged["b"], [0.3, 0.2, 0.1])
    with pytest.raises(ValueError, match="by more than 0.002"):
        merged_page_cer([intel, bench(pages, blurred=[0.1, 0.21, 0.3])], "heldout", tolerance=TOLERANCE)
    with pytest.raises(ValueError, match="bench 1 names other heldout pages"):
        merged_page_cer([intel, bench(pages[::-1], blurred=[0.3, 0.2, 0.1])], "heldout", tolerance=TOLERANCE)
    with pytest.raises(ValueError, match="tolerance must be >= 0"):
        merged_page_cer([intel], "heldout", tolerance=-0.1)


def test_the_notebook_helpers_draw_and_print_the_recorded_numbers():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lab.tracks.deblur.readings import confusion_lines_zh, plot_stroke_widths, stroke_lines_zh

    by_split = [
        {"split": s, "method": m, "pages": 2, "stroke_width": w, "ratio_to_sharp": w / base}
        for s, base in (("test_A", 1.0), ("scans", 2.0))
        for m, w in ((SHARP, base), ("blurred input", 3 * base), ("NAFNet", 1.5 * base))
    ]
    results = {
        "by_split": by_split,
        "ocr": {
            "NAFNet": {
                "test_A": {
                    "cer": 0.25,
                    "spaces_deleted": 3,
                    "spaces_inserted": 1,
                    "reference_spaces": 9,
                    "substitution_count": 4,
                    "substitutions": [["e", "o", 3], ["i", "l", 1]],
                }
            }
        },
    }
    ax = plot_stroke_widths(results)
    heights = sorted(round(bar.get_height(), 6) for bar in ax.patches)
    assert heights == sorted([1.0, 3.0, 1.5, 2.0, 6.0, 3.0])
    plt.close(ax.figure)
    lines = stroke_lines_zh(results)
    assert len(lines) == 2 and "NAFNet 1.50（×1.50）" in lines[0] and "模糊输入 6.00（×3.00）" in lines[1]
    (line,) = confusion_lines_zh(results, methods=("NAFNet",))
    assert "CER 0.250" in line and "删 3 / 增 1" in line and "“e”→“o”×3" in line


def test_load_results_reads_the_given_file_and_names_a_missing_one(tmp_path):
    from lab.tracks.deblur.readings import load_results

    (tmp_path / "bench.json").write_text('{"by_split": []}', encoding="utf-8")
    assert load_results(tmp_path / "bench.json") == {"by_split": []}
    with pytest.raises(FileNotFoundError, match=r"none\.json: no recorded strokes bench"):
        load_results(tmp_path / "none.json")
    with pytest.raises(TypeError):  # no default path: the caller says which recorded file
        load_results()


def test_difference_text_shows_the_mean_and_interval_with_signs():
    d = paired_cer_difference([0.10, 0.20, 0.30, 0.25], [0.12, 0.18, 0.35, 0.20])
    text = difference_text(d)
    assert text == f"{d['mean_difference']:+.3f}（{d['low']:+.3f}, {d['high']:+.3f}）"
    assert difference_text({"mean_difference": -0.0123, "low": -0.02, "high": 0.004}) == "-0.012（-0.020, +0.004）"


def test_tlc_reading_averages_two_models_and_names_the_resolved_splits(tmp_path):
    import json

    from lab.tracks.deblur.readings import BLURRED, tlc_reading, tlc_reading_line_zh

    rng = np.random.default_rng(0)
    blurred = rng.uniform(0.2, 0.4, 30)
    readings = {}
    for split, gap in (("a", 0.05), ("b", 0.0)):  # TLC lowers the CER by 0.05 on a, not at all on b
        plain = blurred - 0.02 + rng.normal(0, 0.003, 30)
        files = {
            f"{split}_with": {"shipped + TLC": plain - gap, "m2 + TLC": plain - gap},
            f"{split}_plain": {"shipped": plain, "m2": plain},
        }
        for tag, methods in files.items():
            ocr = {m: {split: {"page_cer": list(v)}} for m, v in {**methods, BLURRED: blurred}.items()}
            (tmp_path / f"deblur_strokes_{tag}.json").write_text(json.dumps({"ocr": ocr}))
        readings[split] = (f"{split}_with", f"{split}_plain")
    result = tlc_reading(tmp_path, readings, ("shipped", "m2"))
    assert result["effect"]["a"]["mean_difference"] == pytest.approx(0.05)
    assert result["helps"] == ["a"] and result["hurts"] == []
    assert result["arrays"]["b"]["模糊输入"] == pytest.approx(blurred)
    line = tlc_reading_line_zh(result)
    assert "a 30 页" in line and "2 个模型" in line and "区间整个高于 0 的分组：a；" in line
