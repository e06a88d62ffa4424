"""The per-page line after a one-run claim (lab.tracks.deblur.claims.page_line_zh): its numbers against a direct
computation of the same pages."""

import numpy as np

from lab.tracks.deblur.claims import page_line_zh


def test_the_page_line_reports_the_mean_difference_and_counts_each_side():
    a = np.array([22.0, 23.5, 21.0, 24.0, 22.5])
    b = np.array([21.5, 23.7, 20.0, 23.0, 22.5])
    line = page_line_zh(a, b, "四块", "整图")
    assert f"{(a - b).mean():+.3f} dB" in line  # +0.460
    assert "（5 页）" in line
    assert "四块更高 3 页、更低 1 页" in line  # one page ties


def test_an_interval_that_holds_zero_is_shown_with_both_signs():
    a, b = np.array([1.0, -1.0, 2.0, -2.0]), np.zeros(4)
    line = page_line_zh(a, b, "A", "B", metric="cer")
    low, high = (float(x) for x in line.split("95% 区间 ")[1].split("）")[0].split(", "))
    assert low < 0 < high
    assert " dB" not in line
