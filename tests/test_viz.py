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


def test_training_seconds_adds_the_stretches_of_a_resumed_run(tmp_path):
    from lib.viz import read_training_log, training_seconds

    log = tmp_path / "log.csv"
    # 10 -> 20 in one stretch (30 s), resumed at 20 (clock back to 0) for 25 s, resumed again for 7 s; a validation row
    # repeats an iteration with a later reading
    log.write_text(
        "iteration,loss,psnr,seconds\n10,0.5,,12.0\n20,0.4,,30.0\n20,,21.0,31.5\n"
        "30,0.3,,11.0\n40,0.2,,25.0\n50,0.1,,7.0\n",
        encoding="utf-8",
    )
    assert training_seconds(read_training_log(log)) == pytest.approx(31.5 + 25.0 + 7.0)
    assert training_seconds(read_training_log(log)[:3]) == pytest.approx(31.5)  # never resumed: its last reading


def test_tile_grid_titles_are_chinese_and_count_the_tiles():
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np

    from lib.viz import show_tile_grids

    fig = show_tile_grids(np.zeros((32, 32)), {"整图": ([(0, 32)], [(0, 32)]), "四块": ([(0, 16), (16, 16)],) * 2})
    assert [ax.get_title() for ax in fig.axes] == ["整图：1 块", "四块：4 块"]
