"""Figures of the document de-occlusion notebook (09): samples per category, predicted vs true
masks, the dilation study, coarse vs refined output, local vs global repair, the 3:1 schedule and
the training log. Each function returns a matplotlib figure; the numbers come from
lab.tracks.deocclusion.study and lib.tracks.deocclusion.repair."""

from __future__ import annotations

import numpy as np

MASK_COLOURS = {"both": (1.0, 1.0, 1.0), "predicted only": (0.9, 0.2, 0.2), "true only": (0.2, 0.4, 1.0)}
NETWORK_ZH = {"generator": "生成器", "discriminator": "判别器"}  # legend text of the schedule
LOSS_ZH = {"l1": "L1（生成器）", "d_loss": "判别器 hinge"}  # legend text of the training log
MASK_LABELS = {"both": "两者都有", "predicted only": "只在预测中", "true only": "只在真实中"}  # legend text


def _off(ax):
    ax.set_xticks([])
    ax.set_yticks([])


def show_samples(samples):
    """``samples``: (title, occluded photo, clean page, bool mask) tuples; one row each: the photo,
    its mask, the clean page."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(samples), 3, figsize=(9, 3.4 * len(samples)), squeeze=False)
    for row, (title, image, clean, mask) in zip(axes, samples):
        panels = (
            (image, f"{title}：遮挡照片"),
            (mask, f"掩码（遮挡 {100 * mask.mean():.1f} %）"),
            (clean, "干净页面（真值）"),
        )
        for ax, (picture, label) in zip(row, panels):
            ax.imshow(picture, cmap="gray" if picture.ndim == 2 else None, interpolation="antialiased")
            ax.set_title(label, fontsize=9)
            _off(ax)
    fig.tight_layout()
    return fig


def mask_errors(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """RGB float image: white where both masks agree on 'occluded', red where only the prediction
    says so, blue where only the truth does, black elsewhere."""
    pred, true = np.asarray(pred, bool), np.asarray(true, bool)
    out = np.zeros(pred.shape + (3,), np.float32)
    for where, key in ((pred & true, "both"), (pred & ~true, "predicted only"), (~pred & true, "true only")):
        out[where] = MASK_COLOURS[key]
    return out


def show_masks(rows):
    """``rows``: (title, photo, true mask, predicted mask) tuples; per row the photo, the true mask
    and the prediction against it (:func:`mask_errors`)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    fig, axes = plt.subplots(len(rows), 3, figsize=(9, 3.4 * len(rows)), squeeze=False)
    for r, (title, image, true, pred) in zip(axes, rows):
        r[0].imshow(image)
        r[0].set_title(title, fontsize=9)
        r[1].imshow(true, cmap="gray")
        r[1].set_title("真实掩码", fontsize=9)
        r[2].imshow(mask_errors(pred, true))
        r[2].set_title("预测 vs 真实", fontsize=9)
        for ax in r:
            _off(ax)
    fig.legend(
        handles=[Patch(color=c, label=MASK_LABELS[k]) for k, c in MASK_COLOURS.items()],
        loc="lower center",
        ncol=3,
        fontsize=8,
        facecolor="0.6",
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def plot_dilation(rows, input_psnr: float | None = None, chosen: int | None = None):
    """PSNR inside the true mask against the dilation radius (rows of
    lab.tracks.deocclusion.study.dilation_study), one line per mask kind."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for kind in dict.fromkeys(r["mask"] for r in rows):
        pts = [(r["dilate"], r["psnr_mask"]) for r in rows if r["mask"] == kind]
        ax.plot(*zip(*pts), marker="o", label={"true": "真实掩码", "predicted": "预测掩码"}.get(kind, kind))
    if input_psnr is not None:
        ax.axhline(input_psnr, color="gray", ls=":", label="遮挡输入")
    if chosen is not None:
        ax.axvline(chosen, color="C2", ls="--", lw=1, label=f"配置的膨胀 = {chosen}")
    ax.set(xlabel="膨胀半径 (px)", ylabel="真实掩码内 PSNR (dB)", title="OpenCV Telea 修复")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def show_coarse_refined(
    small: np.ndarray, hole: np.ndarray, coarse: np.ndarray, refined: np.ndarray, clean: np.ndarray
):
    """The network's input (hole painted white, as the coarse net sees it), its coarse and refined
    outputs (composited) and the clean crop, all at the network's size."""
    import matplotlib.pyplot as plt

    shown = small.copy()
    shown[np.asarray(hole, bool)] = 255
    panels = (
        (shown, f"input {small.shape[1]}x{small.shape[0]} (hole white)"),
        (coarse, "coarse"),
        (refined, "refined"),
        (clean, "clean crop"),
    )
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.4))
    for ax, (picture, title) in zip(axes, panels):
        ax.imshow(picture, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        _off(ax)
    fig.tight_layout()
    return fig


def show_repair(images: dict, boxes, zoom):
    """Top row: each image of ``images`` ({title: RGB}) whole, with the local repair's crops
    ``boxes`` (x0, y0, x1, y1) drawn; bottom row: the region ``zoom`` (x0, y0, x1, y1) of each."""
    import matplotlib.pyplot as plt

    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(2.8 * n, 6.4), squeeze=False)
    x0, y0, x1, y1 = zoom
    for i, (title, image) in enumerate(images.items()):
        axes[0][i].imshow(image)
        for b in boxes:
            axes[0][i].add_patch(plt.Rectangle((b[0], b[1]), b[2] - b[0], b[3] - b[1], fill=False, lw=1.2, color="C1"))
        axes[0][i].set_title(title, fontsize=8)
        axes[1][i].imshow(image[y0:y1, x0:x1], interpolation="nearest")
        axes[1][i].set_title("放大", fontsize=8)
        _off(axes[0][i])
        _off(axes[1][i])
    fig.tight_layout()
    return fig


def plot_gan_schedule(options: dict, counts: dict, title: str = ""):
    """Left: both learning rates over the iterations (the optimizers' schedulers); right: the
    cumulative generator and discriminator updates (``counts`` from
    lab.tracks.deocclusion.study.update_counts); the phase boundaries dashed."""
    import matplotlib.pyplot as plt

    from lib.train.schedule import build_scheduler, optimizer_spec

    total = int(counts["iterations"][-1])
    its = np.unique(np.linspace(0, total - 1, 600).astype(int))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    for name in options["optimizer"]:
        lr = build_scheduler(options["scheduler"], optimizer_spec(options, name)["lr"], options["phases"], name)
        values = []
        for it in its:
            lr.last_epoch = int(it)
            values.append(lr.get_lr())
        axes[0].plot(its, values, label=f"{NETWORK_ZH.get(name, name)}的学习率")
    axes[0].set(title="学习率", xlabel="迭代", yscale="log")
    axes[1].plot(counts["iterations"], counts["generator"], label="生成器更新次数")
    axes[1].plot(counts["iterations"], counts["discriminator"], label="判别器更新次数")
    axes[1].set(title="累计更新次数", xlabel="迭代")
    for ax in axes:
        for b in counts["boundaries"]:
            ax.axvline(b, color="gray", ls="--", lw=1)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, y=1.02)
    fig.tight_layout()
    return fig


def plot_gan_log(rows, boundaries=(), title: str = ""):
    """An inpainting run's log (rows of lib.viz.read_training_log): validation PSNR inside the
    holes (left) and the training losses L1 and D hinge (right); dashed lines after the iterations
    ``boundaries`` (where a new phase starts, e.g. the 3:1 round)."""
    import matplotlib.pyplot as plt

    def series(key):
        return [(r["iteration"], r[key]) for r in rows if r.get(key) is not None]

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    val = series("psnr_hole")
    if val:
        axes[0].plot(*zip(*val), marker="o")
    axes[0].set(title="验证集洞内 PSNR (dB)", xlabel="迭代")
    for key in ("l1", "d_loss"):
        pts = series(key)
        if pts:
            axes[1].plot(*zip(*pts), label=LOSS_ZH.get(key, key))
    axes[1].set(title="训练损失", xlabel="迭代")
    for i, b in enumerate(boundaries, 1):
        for ax in axes:
            ax.axvline(b, color="gray", ls="--", lw=1)
        axes[0].text(b, 0.02, f" 阶段 {i}", transform=axes[0].get_xaxis_transform(), fontsize=8)
    if axes[1].lines:
        axes[1].legend(fontsize=8)
    if title:
        fig.suptitle(title, y=1.02)
    fig.tight_layout()
    return fig
