"""lab.claims.verdict against hand-computed means and sample standard deviations (statistics module)."""

import math
import statistics

import pytest

from lab.claims import verdict


def test_supports_when_the_difference_exceeds_the_larger_spread():
    ours, theirs = [1.0, 1.2], [0.2, 0.3]
    v = verdict(ours, theirs)
    assert v["ours"] == pytest.approx(statistics.mean(ours))
    assert v["difference"] == pytest.approx(1.1 - 0.25)
    assert v["spread"] == pytest.approx(max(statistics.stdev(ours), statistics.stdev(theirs)))
    assert v["verdict"] == "supports" and v["seeds"] == [2, 2]


def test_contradicts_and_lower_is_better():
    # CER: ours higher (worse) by more than the spread
    assert verdict([0.5, 0.52], [0.3, 0.31], higher_is_better=False)["verdict"] == "contradicts"
    assert verdict([0.3, 0.31], [0.5, 0.52], higher_is_better=False)["verdict"] == "supports"


def test_not_resolved_within_the_spread_or_with_one_seed():
    assert verdict([1.0, 2.0], [1.2, 1.3])["verdict"] == "not resolved"
    one = verdict([5.0], [1.0, 1.1])
    assert one["verdict"] == "not resolved" and math.isnan(one["spread"])


def test_accepts_generators_and_refuses_no_runs():
    assert verdict((x for x in [1.0, 1.1]), iter([0.0, 0.1]))["seeds"] == [2, 2]
    with pytest.raises(ValueError, match="no runs"):
        verdict([], [1.0])


def test_direction_word_follows_the_numbers():
    import pytest

    from lab.claims import direction_zh

    assert direction_zh(0.3) == "好于" and direction_zh(-0.3) == "不如"
    assert direction_zh(0.3, higher_is_better=False) == "不如"  # e.g. CER: a higher value is worse
    assert direction_zh(0.05, tolerance=0.1) == "持平于" and direction_zh(-0.1, tolerance=0.1) == "持平于"
    assert direction_zh(-0.11, tolerance=0.1) == "不如"
    with pytest.raises(ValueError, match="finite"):
        direction_zh(float("nan"))


def test_the_measured_verdict_judges_the_measurement_not_the_claim():
    from lab.claims import measured_verdict_zh

    assert measured_verdict_zh(0.30, 0.10) == "好于"
    assert measured_verdict_zh(-0.30, 0.10) == "不如"
    assert measured_verdict_zh(-0.05, 0.10) == "持平"
    assert measured_verdict_zh(0.30, math.nan) == "无法判定"
    assert measured_verdict_zh(0.02, 0.01, higher_is_better=False) == "不如"  # CER went up
    with pytest.raises(ValueError, match="finite"):
        measured_verdict_zh(math.inf, 0.1)


def test_a_claim_comes_in_two_parts_quote_then_measurement():
    from lab.claims import claim_lines_zh

    said, measured = claim_lines_zh("离线裁剪更好", "README.md", "离线", "在线", "psnr", -0.132, 0.062)
    assert said == "说法：“离线裁剪更好”（README.md）"
    assert "离线 − 在线 = -0.132 dB" in measured and "±0.062 dB" in measured
    assert measured.endswith("：离线不如在线")
    _, tied = claim_lines_zh("q", "c", "甲", "乙", "psnr", 0.05, 0.062)
    assert tied.endswith("：甲与乙持平")
    _, single = claim_lines_zh("q", "c", "甲", "乙", "psnr", 0.5, math.nan)
    assert single.endswith("：无法判定") and "未知" in single
