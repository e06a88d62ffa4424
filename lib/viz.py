"""Figures shared by the notebooks (matplotlib): the image grid of :mod:`lib.image_grid`, bars, training
schedules and logs. A figure layer above training (it draws a schedule with lib.train's own scheduler);
the data layer draws its grids with :mod:`lib.image_grid`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .image_grid import center_crop as center_crop  # the notebooks import both from here
from .image_grid import show_images as show_images


def cjk_font_files() -> list[Path]:
    """Chinese-capable fonts shipped by the pip package ``mplfonts`` (empty if it is missing)."""
    try:
        import mplfonts
    except ImportError:
        return []
    folder = Path(mplfonts.__file__).resolve().parent / "fonts"
    return sorted(folder.glob("*.[ot]tf"))


def setup_matplotlib(dpi: int = 80) -> None:
    """Small inline figures and a Chinese-capable font, so titles can be in Chinese."""
    import matplotlib as mpl
    from matplotlib import font_manager

    names = []
    for path in cjk_font_files():
        if "Sans" in path.name or "SimHei" in path.name:
            font_manager.fontManager.addfont(str(path))
            names.append(font_manager.FontProperties(fname=str(path)).get_name())
    mpl.rcParams["font.sans-serif"] = names + ["DejaVu Sans"]
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["axes.unicode_minus"] = False
    mpl.rcParams["figure.dpi"] = dpi
    mpl.rcParams["figure.max_open_warning"] = 0


def plot_schedule(options: dict, points: int = 2000):
    """Learning rate, patch size and batch size over the iterations of resolved train options,
    with the loss phases shaded; returns the figure."""
    import matplotlib.pyplot as plt

    from .train.schedule import PiecewiseSchedule, build_scheduler, optimizer_spec

    stages = PiecewiseSchedule(options["stages"], "stages")
    phases = PiecewiseSchedule(options["phases"], "phases")
    first = next(iter(options["optimizer"])) if "lr" not in options["optimizer"] else "model"
    lr = build_scheduler(options["scheduler"], optimizer_spec(options, first)["lr"], options["phases"], first)
    its = np.unique(np.linspace(0, stages.total - 1, points).astype(int))
    lrs = []
    for it in its:
        lr.last_epoch = int(it)
        lrs.append(lr.get_lr())
    fig, axes = plt.subplots(1, 2, figsize=(10, 3))
    axes[0].plot(its, lrs)
    axes[0].set(title="学习率", xlabel="迭代次数")
    patch = [stages.at(int(i)).options["patch_size"] for i in its]
    batch = [stages.at(int(i)).options["batch_size"] for i in its]
    axes[1].step(its, patch, where="post", label="图块边长")
    ax2 = axes[1].twinx()
    ax2.step(its, batch, where="post", color="C1", label="batch 大小")
    axes[1].set(title="渐进式阶段", xlabel="迭代次数", ylabel="图块边长")
    ax2.set_ylabel("batch 大小")
    axes[1].legend(handles=axes[1].lines + ax2.lines, loc="center left", fontsize=7)
    for ax in axes:
        for span in phases.spans:
            loss = span.options.get("loss", f"阶段 {span.index}")
            name = loss if isinstance(loss, str) else loss["name"]
            name += "（全部数据）" if span.options.get("all_data") else ""
            ax.axvspan(span.start, span.end, alpha=0.08 + 0.08 * span.index, color="gray")
            ax.text(
                (span.start + span.end) / 2,
                0.97,
                name,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=7,
            )
    fig.tight_layout()
    return fig


def read_training_log(log_csv) -> list[dict]:
    """The rows of an engine's ``log.csv`` with numbers as floats (empty cells None)."""
    import csv

    with open(log_csv, encoding="utf-8") as f:
        return [{k: (float(v) if v not in ("", None) else None) for k, v in r.items()} for r in csv.DictReader(f)]


def training_seconds(rows: list[dict]) -> float:
    """Wall-clock seconds a run trained, from its :func:`read_training_log` rows. A resumed run's
    clock starts again at 0 (the engine keeps only the rows up to the checkpoint it resumed from),
    so each stretch's last reading counts."""
    total, previous = 0.0, 0.0
    for row in rows:
        if row["seconds"] < previous:  # a resume: the stretch before it ended at ``previous``
            total += previous
        previous = row["seconds"]
    return total + previous


def plot_training_log(log_csv):
    """Training loss and validation PSNR from an engine's ``log.csv``; returns the figure."""
    import matplotlib.pyplot as plt

    rows = read_training_log(log_csv)
    train = [(int(r["iteration"]), r["loss"]) for r in rows if r["loss"] is not None]
    val = [(int(r["iteration"]), r["psnr"]) for r in rows if r["psnr"] is not None]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3))
    if train:
        axes[0].plot(*zip(*train))
    axes[0].set(title="训练损失", xlabel="迭代次数")
    if val:
        axes[1].plot(*zip(*val), marker="o")
    axes[1].set(title="验证集 PSNR (dB)", xlabel="迭代次数")
    fig.tight_layout()
    return fig


def show_tile_grids(image: np.ndarray, grids: dict, cell_size: float = 4.0):
    """``image`` once per tile plan (``{title: (row tiles, column tiles)}`` from lib.infer), each
    tile outlined in its own colour; returns the figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(grids), figsize=(cell_size * len(grids), cell_size * 1.1), squeeze=False)
    for ax, (title, (rows, cols)) in zip(axes[0], grids.items()):
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
        for i, (y, th) in enumerate(rows):
            for j, (x, tw) in enumerate(cols):
                ax.add_patch(plt.Rectangle((x, y), tw, th, fill=False, lw=1.5, color=f"C{(i + 2 * j) % 10}"))
        ax.set_title(f"{title}：{len(rows) * len(cols)} 块", fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    return fig


def grouped_bars(
    groups: list[str],
    series: dict[str, list[float]],
    ax=None,
    *,
    title: str | None = None,
    ylabel: str | None = None,
    fmt: str = "{:.2f}",
    width: float = 0.8,
):
    """One bar per (group, series): ``groups`` along x, ``series[name][i]`` the value of ``name`` in
    group ``i`` (NaN or None: no bar), each bar labelled with its value; returns the axes.
    A single series gives a plain bar chart."""
    import matplotlib.pyplot as plt

    for name, values in series.items():
        if len(values) != len(groups):
            raise ValueError(f"grouped_bars: series {name!r} has {len(values)} values for {len(groups)} groups")
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(groups) * max(1, len(series)) ** 0.5 + 1.5), 3.2))
    x = np.arange(len(groups), dtype=float)
    bar = width / max(1, len(series))
    for k, (name, values) in enumerate(series.items()):
        heights = np.array([np.nan if v is None else float(v) for v in values])
        shown = ~np.isnan(heights)
        offset = (k - (len(series) - 1) / 2) * bar
        bars = ax.bar(x[shown] + offset, heights[shown], bar, label=name, color=f"C{k % 10}")
        for rect, value in zip(bars, heights[shown]):
            ax.annotate(
                fmt.format(value),
                (rect.get_x() + rect.get_width() / 2, rect.get_height()),
                ha="center",
                va="bottom",
                fontsize=7,
            )
    ax.set_xticks(x)
    ax.set_xticklabels(groups, fontsize=8)
    if title:
        ax.set_title(title)
    if ylabel:
        ax.set_ylabel(ylabel)
    if len(series) > 1:
        ax.legend(fontsize=8)
    return ax
