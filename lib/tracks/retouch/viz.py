"""Figures of the face-retouching notebook (08): the degradation maps, crops at 100 %, the three
stages and the inside / outside comparison. Each function returns a matplotlib figure."""

from __future__ import annotations

import copy

import numpy as np


def stage_labels(options: dict) -> list[str]:
    """A short name per phase: its loss mix (the loss names of the config) and its flips in Chinese,
    e.g. ``l1 + color｜全部翻转``."""
    labels = []
    for phase in options["phases"]:
        loss = phase["loss"]
        terms = [loss] if isinstance(loss, str) else [k for k in loss if k not in ("name", "msssim_weights")]
        flips = phase.get("augment") or {}
        hflip_only = flips.get("rotate") is False and flips.get("vflip") is False
        labels.append(" + ".join(terms) + ("｜只水平翻转" if hflip_only else "｜全部翻转"))
    return labels


def plot_stages(options: dict, title: str = ""):
    """lib.viz.plot_schedule with each phase labelled by its loss mix and flips."""
    from lib.viz import plot_schedule

    labelled = copy.deepcopy(options)
    for phase, label in zip(labelled["phases"], stage_labels(options)):
        phase["loss"] = {"name": label}
    fig = plot_schedule(labelled)
    if title:
        fig.suptitle(title, y=1.02)
    return fig


def show_degradation(clean, degraded, K, D, mask):
    """I, J, mean K (diverging map), |D| summed over channels, and the blemish mask."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 5, figsize=(16, 3.6))
    k = K.mean(axis=2)
    lim = max(float(np.abs(k).max()), 1e-6)
    panels = [
        (clean, "I（干净）", None),
        (degraded, "J（输入）", None),
        (k, f"K，RGB 平均（|K| <= {lim:.3f}）", "coolwarm"),
        (np.abs(D).sum(axis=2), "|D|（RGB 求和）", "magma"),
        (mask, "瑕疵掩码", "gray"),
    ]
    for ax, (image, title, cmap) in zip(axes, panels):
        shown = ax.imshow(image, cmap=cmap, **({"vmin": -lim, "vmax": lim} if cmap == "coolwarm" else {}))
        if cmap in ("coolwarm", "magma"):
            fig.colorbar(shown, ax=ax, fraction=0.046)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    return fig


def blemish_crop_box(mask: np.ndarray, size: int) -> tuple[int, int]:
    """Top-left corner of the ``size`` x ``size`` window holding the most blemish pixels."""
    h, w = mask.shape
    size = min(size, h, w)
    integral = np.pad(mask.astype(np.int64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = integral[size:, size:] - integral[:-size, size:] - integral[size:, :-size] + integral[:-size, :-size]
    y, x = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(y), int(x)


def show_crops_100(images: dict, mask: np.ndarray, size: int = 96, dpi: int = 80):
    """The same ``size`` px crop (where the blemishes are densest) of every image, at 100 %: one
    screen pixel per image pixel at ``dpi``."""
    import matplotlib.pyplot as plt

    y, x = blemish_crop_box(mask, size)
    n, cell_w, cell_h = len(images), size + 10, size + 24
    fig = plt.figure(figsize=(n * cell_w / dpi, cell_h / dpi), dpi=dpi)
    for i, (title, image) in enumerate(images.items()):
        ax = fig.add_axes([i * cell_w / (n * cell_w), 0, size / (n * cell_w), size / cell_h])
        ax.imshow(image[y : y + size, x : x + size], interpolation="nearest")
        ax.set_title(title, fontsize=7)
        ax.axis("off")
    return fig


def plot_inside_outside(rows: list[dict], input_name: str = "input (blemished)"):
    """PSNR inside and outside the blemishes per method (bars), the input's as dashed lines."""
    import matplotlib.pyplot as plt

    from .evaluate import method_zh

    names = [r["method"] for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
    for ax, key, title in ((axes[0], "psnr_inside", "瑕疵内"), (axes[1], "psnr_outside", "瑕疵外")):
        values = [r[key] for r in rows]
        ax.barh(range(len(rows)), values, color=["C7" if n == input_name else "C0" for n in names])
        ax.set_yticks(range(len(rows)), [method_zh(n) for n in names], fontsize=8)
        ax.axvline(next(r[key] for r in rows if r["method"] == input_name), ls="--", color="k", lw=1)
        ax.set(title=f"{title} PSNR (dB)", xlim=(min(values) - 2, max(values) + 1))
        ax.invert_yaxis()
    fig.tight_layout()
    return fig


# lab/bench/bench_retouch_variants.py's variants (its record's names) as the notebook shows them: the first row was the
# shipped demo model of its time (400 iterations, 48 training views), not the one in checkpoints/ now
VARIANT_ZH = {
    "shipped demo (400 iterations, 48 training views)": (
        "旧的演示配方（400 次迭代，48 个训练视图；不是现在的附带模型）"
    ),
    "k_pool 1, schedule x2": "计划 ×2（800 次迭代，48 个训练视图）",
    "k_pool 8, schedule x1": "k_pool 8（K 按 8×8 平均；400 次迭代，48 个训练视图）",
    "k_pool 1, schedule x2, 480 training views": ("计划 ×2、480 个训练视图（附带模型的配方，bench 里单独训练的一次）"),
}


def variant_zh(name: str) -> str:
    """A bench variant's name in Chinese (unknown names unchanged)."""
    return VARIANT_ZH.get(name, name)
