"""Figures and numbers of notebook 06 (SDWNet): receptive fields of dilated vs plain conv stacks,
and the Haar sub-bands the wavelet branch sees.

Receptive field, measured: the gradient of one output pixel (the centre) with respect to the input
is non-zero exactly on the pixels that can influence it. With all-positive weights and no
activation every path adds up, so the non-zero area is the theoretical receptive field, which for
a stack of 3x3 convs with dilations d_1..d_L is ``1 + 2 * sum(d_i)`` pixels wide
(:func:`theoretical_receptive_field`; tests/tracks/sdwnet/test_sdwnet_viz.py checks one against the other).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

SUBBAND_NAMES = ("LL", "HL", "LH", "HH")


def theoretical_receptive_field(dilations: Sequence[int], kernel: int = 3) -> int:
    """Width of the receptive field of stacked ``kernel`` x ``kernel`` convs with ``dilations``."""
    return 1 + (kernel - 1) * int(sum(dilations))


def conv_stack(dilations: Sequence[int], channels: int = 1):
    """A stack of 3x3 convs (zero padding ``d``, one per dilation) with every weight 1/9 and no bias
    or activation: each pixel in reach contributes, so the gradient shows the whole field."""
    import paddle
    import paddle.nn as nn

    layers = []
    for d in dilations:
        conv = nn.Conv2D(channels, channels, 3, padding=int(d), dilation=int(d), bias_attr=False)
        conv.weight.set_value(paddle.full(conv.weight.shape, 1.0 / 9.0))
        layers.append(conv)
    net = nn.Sequential(*layers)
    net.eval()
    return net


def gradient_map(net, size: int = 129, channels: int = 1) -> np.ndarray:
    """|d output[centre] / d input| of ``net`` (summed over channels): size x size float64."""
    import paddle

    x = paddle.zeros([1, channels, size, size])
    x.stop_gradient = False
    out = net(x)
    c_out = out.shape[2] // 2, out.shape[3] // 2
    out[:, :, c_out[0], c_out[1]].sum().backward()
    return np.abs(x.grad.numpy()[0]).sum(axis=0).astype(np.float64)


def extent(grad: np.ndarray, rel: float = 0.0) -> int:
    """Width (pixels) of the region where ``grad`` exceeds ``rel`` x its maximum (0: any non-zero)."""
    mask = grad > rel * grad.max()
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[-1] - cols[0] + 1) if cols.size else 0


def sdwnet_gradient_map(net, size: int = 161) -> np.ndarray:
    """The same gradient map for a (trained or random) SDWNet on a mid-grey image: its effective
    receptive field at full resolution."""
    import paddle

    x = paddle.full([1, 3, size, size], 0.5)
    x.stop_gradient = False
    out = net(x)
    out[:, :, size // 2, size // 2].sum().backward()
    return np.abs(x.grad.numpy()[0]).sum(axis=0).astype(np.float64)


def receptive_field_figure(maps: dict, title: str = "感受野：|d 输出(中心) / d 输入|"):
    """One panel per named gradient map (log scale), with the measured width in the title."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(maps), figsize=(3.2 * len(maps), 3.4))
    for ax, (name, grad) in zip(np.atleast_1d(axes), maps.items()):
        ax.imshow(np.log10(grad + grad.max() * 1e-6), cmap="magma")
        ax.set_title(f"{name}\n宽 {extent(grad)} px", fontsize=9)
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def haar_subbands(gray: np.ndarray) -> dict:
    """The four one-level Haar sub-bands (lib.models.wavelet: the branch's own transform, LL, HL,
    LH, HH) of a grayscale H x W image in [0, 1]; odd sides are cropped to even."""
    import paddle

    from lib.models.wavelet import haar_dwt_bands

    h, w = gray.shape[0] // 2 * 2, gray.shape[1] // 2 * 2
    x = paddle.to_tensor(np.ascontiguousarray(gray[:h, :w], dtype=np.float32)[None, None])
    return {name: band.numpy()[0, 0] for name, band in zip(SUBBAND_NAMES, haar_dwt_bands(x))}


def detail_energy(bands: dict) -> dict:
    """Share of each detail sub-band in the energy of the image's detail (HL + LH + HH), and the
    detail's share of the whole energy (the Haar transform keeps the energy: LL + details = image)."""
    energy = {k: float((v.astype(np.float64) ** 2).sum()) for k, v in bands.items()}
    detail = energy["HL"] + energy["LH"] + energy["HH"]
    return {
        "detail_share": detail / (detail + energy["LL"]),
        **{f"{k}_share_of_detail": energy[k] / detail for k in ("HL", "LH", "HH")},
    }


def subband_figure(pages: dict):
    """Rows: the named grayscale pages (e.g. blurred, sharp); columns: LL, HL, LH, HH. Detail bands
    shown as |coefficient| on one scale per column, so blurred and sharp compare directly."""
    import matplotlib.pyplot as plt

    bands = {name: haar_subbands(page) for name, page in pages.items()}
    fig, axes = plt.subplots(len(pages), 4, figsize=(12, 3.1 * len(pages)), squeeze=False)
    for j, band in enumerate(SUBBAND_NAMES):
        top = max(np.abs(b[band]).max() for b in bands.values()) * (1.0 if band == "LL" else 0.5)
        for i, (name, b) in enumerate(bands.items()):
            ax = axes[i, j]
            shown = b[band] if band == "LL" else np.abs(b[band])
            ax.imshow(shown, cmap="gray" if band == "LL" else "inferno", vmin=0, vmax=top)
            ax.set_title(f"{name}: {band}", fontsize=9)
            ax.axis("off")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------- bench tables
BENCH_COLUMNS = ("variant", "seeds", "params", "gmacs_256", "iters", "train_seconds", "psnr", "score", "cer")


def _mean_std(entry: dict, key: str, digits: int) -> str:
    if f"{key}_mean" not in entry:
        return ""
    std = entry.get(f"{key}_std", float("nan"))
    spread = "" if std != std else f" ± {std:.{digits}f}"  # NaN: one seed, no spread
    return f"{entry[f'{key}_mean']:.{digits}f}{spread}"


BENCH_HEADERS_ZH = {
    "variant": "变体",
    "seeds": "随机种子数",
    "params": "参数量",
    "iterations": "迭代",
    "train s": "训练秒数",
    "score": "得分",
}


# lab/bench/bench_sdwnet.py's experiments, variants and claims (lab.tracks.sdwnet.study.VARIANTS) in the
# notebook's Chinese
EXPERIMENT_ZH = {
    "crops": "离线窗口 vs 在线裁剪",
    "width_depth": "宽度 vs 深度",
    "wavelet": "有 / 无小波分支",
    "nafnet": "SDWNet vs NAFNet",
}
VARIANT_ZH = {
    "offline": "离线窗口",
    "online": "在线裁剪",
    "base d8 x4": "基准 d8×4",
    "wide d11 x2": "宽 d11×2",
    "deep d6 x8": "深 d6×8",
    "with wavelet": "有小波分支",
    "without wavelet": "无小波分支",
    "SDWNet d4 x2": "SDWNet d4×2",
    "NAFNet (deblur demo)": "NAFNet（deblur 演示配置）",
}


def variant_zh(name: str) -> str:
    """A bench variant (or experiment) name in Chinese; unknown names unchanged."""
    return VARIANT_ZH.get(name, EXPERIMENT_ZH.get(name, name))


def claim_zh(claim: str) -> str:
    """A bench claim "A > B" with both sides in Chinese: "A 好于 B"."""
    ours, _, theirs = claim.partition(" > ")
    return f"{variant_zh(ours)} 好于 {variant_zh(theirs)}" if theirs else variant_zh(claim)


def bench_table(summary: list[dict], experiment: str, zh: bool = False):
    """One experiment of lab.tracks.sdwnet.study.summarize as a table: mean ± sample standard deviation over seeds
    (``zh``: the headers in Chinese, for the notebook)."""
    import pandas as pd

    rows = []
    for e in summary:
        if e["experiment"] != experiment:
            continue
        rows.append(
            {
                "variant": e["variant"],
                "seeds": e["seeds"],
                "params": f"{e['params']:,}",
                "GMACs @256": f"{e['gmacs_256']:.2f}",
                "iterations": f"{e['iters']:.0f}",
                "train s": _mean_std(e, "train_seconds", 0),
                "PSNR (dB)": _mean_std(e, "psnr", 3),
                "score": _mean_std(e, "score", 4),
                "OCR CER": _mean_std(e, "cer", 3),
            }
        )
    table = pd.DataFrame(rows)
    table = table.loc[:, (table != "").any(axis=0)] if len(table) else table
    if not zh:
        return table
    if len(table):
        table["variant"] = table["variant"].map(variant_zh)
    return table.rename(columns=BENCH_HEADERS_ZH)


def plot_psnr_vs_params(runs: list[dict], experiment: str = "width_depth", input_psnr: float | None = None):
    """PSNR of every run (dots) and the mean of each variant (labelled) against its parameter count."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    variants = list(dict.fromkeys(r["variant"] for r in runs if r["experiment"] == experiment))
    for variant in variants:
        rows = [r for r in runs if r["experiment"] == experiment and r["variant"] == variant]
        xs, ys = [r["params"] for r in rows], [r["psnr"] for r in rows]
        ax.scatter(xs, ys, s=18, alpha=0.6)
        ax.errorbar(
            xs[0],
            np.mean(ys),
            yerr=np.std(ys, ddof=1) if len(ys) > 1 else None,
            fmt="o",
            capsize=4,
            color="black",
            markersize=4,
        )
        ax.annotate(variant, (xs[0], np.mean(ys)), textcoords="offset points", xytext=(6, 4), fontsize=8)
    if input_psnr is not None:
        ax.axhline(input_psnr, color="grey", linestyle="--", linewidth=1, label="模糊输入")
        ax.legend(fontsize=8)
    ax.set_xlabel("参数量")
    ax.set_ylabel("留出页面上的 PSNR (dB)")
    ax.set_title(f"{experiment}：每个点一个随机种子，黑色：均值 ± 标准差", fontsize=9)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------- evaluation tables
# the method names of the evaluation (lib.evaluate, shared with the deblur track) as the notebook shows them
METHOD_ZH = {
    "blurred input": "模糊输入",
    "unsharp mask": "反锐化掩模",
    "Richardson-Lucy": "Richardson-Lucy 反卷积",
    "Wiener": "维纳滤波",
    "SDWNet": "SDWNet",
    "NAFNet": "NAFNet",
    "sharp (ground truth)": "清晰原图（真值）",
}
METHODS_HEADERS_ZH = {
    "method": "方法",
    "psnr": "PSNR (dB)",
    "ms_ssim": "MS-SSIM",
    "score": "得分",
    "seconds_per_image": "每页秒数",
}
READABILITY_HEADERS_ZH = {
    "split": "划分",
    "method": "方法",
    "pages": "页数",
    "psnr": "PSNR (dB)",
    "ms_ssim": "MS-SSIM",
    "cer": "OCR 字符错误率",
    "grid": "网格度量",
}
SPLIT_ZH = {"test_A": "test_A", "heldout": "留出字体与模糊", "scans": "真实扫描页"}


def method_zh(name: str) -> str:
    """A method's name in the notebook's Chinese (unknown names unchanged)."""
    return METHOD_ZH.get(name, name)


def methods_table_zh(rows: list[dict], digits: int = 4):
    """``Track.evaluate``'s ``methods`` rows as a table with Chinese headers and method names."""
    import pandas as pd

    table = pd.DataFrame(rows)[[c for c in METHODS_HEADERS_ZH if c in rows[0]]].round(digits)
    table["method"] = table["method"].map(method_zh)
    return table.rename(columns=METHODS_HEADERS_ZH)


def readability_table_zh(rows: list[dict], digits: int = 4):
    """``Track.evaluate``'s ``readability`` rows (split, method, pages, PSNR, MS-SSIM, CER, grid) in Chinese."""
    import pandas as pd

    table = pd.DataFrame(rows)[[c for c in READABILITY_HEADERS_ZH if c in rows[0]]].round(digits)
    table["method"] = table["method"].map(method_zh)
    table["split"] = table["split"].map(lambda s: SPLIT_ZH.get(s, s))
    return table.rename(columns=READABILITY_HEADERS_ZH)
