"""A write-up's claim against measured runs: "ours beats theirs" decided by the difference of the
means over random seeds and the larger run-to-run spread (sample standard deviation) of the two.

Used by the bench ablations and the notebooks that show them (deblur's data processing, progressive
training, all-data fine-tune and TLC; SDWNet's four claims). The three verdicts:

- ``supports``: the difference favours the claim and is larger than the spread;
- ``contradicts``: it goes against the claim and is larger than the spread;
- ``not resolved``: smaller than the spread, or one seed per side (the spread is unknown).
"""

from __future__ import annotations

import math

import numpy as np

VERDICTS = ("supports", "not resolved", "contradicts")
VERDICT_ZH = {"supports": "支持", "not resolved": "无法判定", "contradicts": "相反"}
METRIC_ZH = {"psnr": "PSNR", "ssim": "SSIM", "score": "得分", "cer": "CER，越低越好"}


def mean_spread(values) -> tuple[float, float]:
    """Mean and sample standard deviation (NaN with fewer than two values)."""
    values = np.asarray(list(values), dtype=float)
    if values.size == 0:
        raise ValueError("no runs to average")
    return float(values.mean()), float(values.std(ddof=1)) if values.size > 1 else math.nan


def verdict(ours, theirs, *, higher_is_better: bool = True) -> dict:
    """The claim "``ours`` beats ``theirs``" (one value per seed each) against the data: means, the
    difference ours - theirs, the larger spread, and the verdict (see the module docstring)."""
    ours, theirs = list(ours), list(theirs)
    mean_a, std_a = mean_spread(ours)
    mean_b, std_b = mean_spread(theirs)
    diff = mean_a - mean_b
    spread = max(std_a, std_b) if not (math.isnan(std_a) or math.isnan(std_b)) else math.nan
    return {
        "ours": mean_a,
        "ours_std": std_a,
        "theirs": mean_b,
        "theirs_std": std_b,
        "difference": diff,
        "spread": spread,
        "seeds": [len(ours), len(theirs)],
        "verdict": decide(diff, spread, higher_is_better),
    }


def decide(difference: float, spread: float, higher_is_better: bool = True) -> str:
    """The verdict of a difference of means (ours - theirs) against the run-to-run spread (NaN:
    unknown, one seed)."""
    if math.isnan(spread) or abs(difference) <= spread:
        return "not resolved"
    return "supports" if (difference > 0) == higher_is_better else "contradicts"


MEASURED_ZH = {"supports": "好于", "contradicts": "不如", "tie": "持平", "unknown": "无法判定"}


def measured_verdict_zh(difference: float, spread: float, *, higher_is_better: bool = True) -> str:
    """The verdict of a measurement "A - B" alone, not of anyone's claim: 好于 / 不如 when the difference is
    larger than the run-to-run spread (A better / worse), 持平 when it is not, 无法判定 with one run per side
    (``spread`` NaN: the spread is unknown)."""
    if not math.isfinite(difference):
        raise ValueError(f"measured_verdict_zh: the difference must be a finite number, got {difference!r}")
    if math.isnan(spread):
        return MEASURED_ZH["unknown"]
    if abs(difference) <= spread:
        return MEASURED_ZH["tie"]
    return MEASURED_ZH["supports" if (difference > 0) == higher_is_better else "contradicts"]


def claim_lines_zh(
    quote: str, cited: str, a: str, b: str, metric: str, difference: float, spread: float
) -> tuple[str, str]:
    """A claim in two parts: what the write-up or the code says (``quote``, from ``cited``: a file, a line, a
    section), then what was measured: ``a`` - ``b`` on ``metric`` (CER: lower is better) with the spread of the
    random seeds and the verdict of that measurement (:func:`measured_verdict_zh`)."""
    unit = " dB" if metric == "psnr" else ""
    word = measured_verdict_zh(difference, spread, higher_is_better=metric != "cer")
    shown = "未知（每边一次运行）" if math.isnan(spread) else f"±{spread:.3f}{unit}"
    said = f"说法：“{quote}”（{cited}）"
    verdict_sentence = {"持平": f"{a}与{b}持平", "无法判定": "无法判定"}.get(word, f"{a}{word}{b}")
    measured = (
        f"测得：{a} − {b} = {difference:+.3f}{unit}（{METRIC_ZH.get(metric, metric)}），随机种子间波动 {shown}"
        f"：{verdict_sentence}"
    )
    return said, measured


DIRECTION_ZH = {"better": "好于", "worse": "不如", "tie": "持平于"}


def direction_zh(difference: float, *, higher_is_better: bool = True, tolerance: float = 0.0) -> str:
    """The verdict word of a computed comparison, for a sentence "A {word} B" built from the numbers: 好于 when
    ``difference`` (A - B) favours A by more than ``tolerance``, 不如 when it favours B by more, else 持平于; so a
    summary's wording changes with its numbers instead of being written into the string."""
    if not math.isfinite(difference):
        raise ValueError(f"direction_zh: the difference must be a finite number, got {difference!r}")
    if abs(difference) <= tolerance:
        return DIRECTION_ZH["tie"]
    return DIRECTION_ZH["better" if (difference > 0) == higher_is_better else "worse"]
