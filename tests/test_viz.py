"""lib.viz.grouped_bars: each bar stands where its group and series put it, at the value given."""
import matplotlib

matplotlib.use("Agg")

import math

import matplotlib.pyplot as plt
import pytest

from lib.viz import grouped_bars


def test_grouped_bars_heights_positions_and_gaps():
    groups = ["test_A", "heldout", "scans"]
    series = {"blurred": [0.44, 0.16, 0.22], "NAFNet": [0.36, None, float("nan")]}
    ax = grouped_bars(groups, series, title="t", ylabel="CER")
    bars = ax.patches
    assert len(bars) == 4  # the None and NaN values draw no bar
    heights = [round(b.get_height(), 6) for b in bars]
    assert heights == [0.44, 0.16, 0.22, 0.36]
    centres = [b.get_x() + b.get_width() / 2 for b in bars]
    # two series of width 0.4 each: the first left of the group's tick, the second right of it
    assert centres[:3] == pytest.approx([-0.2, 0.8, 1.8])
    assert centres[3] == pytest.approx(0.2)
    assert [t.get_text() for t in ax.get_xticklabels()] == groups
    assert [t.get_text() for t in ax.texts] == ["0.44", "0.16", "0.22", "0.36"]
    assert ax.get_legend() is not None and ax.get_ylabel() == "CER"
    plt.close("all")


def test_grouped_bars_single_series_has_no_legend_and_rejects_wrong_length():
    ax = grouped_bars(["a", "b"], {"params": [3, 5]}, fmt="{:.0f}")
    assert [b.get_height() for b in ax.patches] == [3, 5]
    assert all(math.isclose(b.get_x() + b.get_width() / 2, i) for i, b in enumerate(ax.patches))
    assert ax.get_legend() is None
    with pytest.raises(ValueError, match="'params' has 1 values for 2 groups"):
        grouped_bars(["a", "b"], {"params": [3]})
    plt.close("all")
