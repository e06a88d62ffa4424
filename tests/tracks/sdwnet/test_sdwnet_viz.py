"""Notebook 06's measurements (lib.tracks.sdwnet.viz): the measured receptive field of conv stacks equals
the formula, SDWNet's dilated blocks see farther than plain ones, and the Haar sub-bands keep the
image's energy and show less detail on a blurred page."""

import numpy as np
import pytest
from scipy import ndimage

from lib.tracks.sdwnet.viz import (
    conv_stack,
    detail_energy,
    extent,
    gradient_map,
    haar_subbands,
    sdwnet_gradient_map,
    theoretical_receptive_field,
)


@pytest.mark.parametrize("dilations", [[1], [1, 1, 1, 1], [1, 2, 4, 8], [1, 3, 5, 7], [2, 2]])
def test_measured_receptive_field_is_the_formula(dilations):
    width = extent(gradient_map(conv_stack(dilations), size=97))
    assert width == theoretical_receptive_field(dilations) == 1 + 2 * sum(dilations)


def test_dilated_sdwnet_sees_farther_than_undilated():
    import paddle

    from lib.models.sdwnet import SDWNet

    widths = {}
    for name, dims in (("dilated", ((1, 2, 4, 8), (1, 3, 5, 7))), ("plain", ((1, 1, 1, 1), (1, 1, 1, 1)))):
        paddle.seed(0)
        net = SDWNet(num_blocks=2, d_mult=4, atrousDim=dims, wavelet=False)
        net.eval()
        widths[name] = extent(sdwnet_gradient_map(net, size=161))
    assert widths["dilated"] > widths["plain"] + 20


def test_subbands_keep_energy_and_blur_lowers_detail():
    rng = np.random.default_rng(0)
    sharp = (rng.random((64, 80)) > 0.8).astype(np.float64)
    blurred = ndimage.gaussian_filter(sharp, 1.5)
    bands = haar_subbands(sharp)
    assert set(bands) == {"LL", "HL", "LH", "HH"} and bands["LL"].shape == (32, 40)
    total = sum(float((b.astype(np.float64) ** 2).sum()) for b in bands.values())
    assert total == pytest.approx(float((sharp**2).sum()), rel=1e-5)
    assert detail_energy(haar_subbands(blurred))["detail_share"] < detail_energy(bands)["detail_share"]
    shares = detail_energy(bands)
    assert sum(shares[f"{k}_share_of_detail"] for k in ("HL", "LH", "HH")) == pytest.approx(1.0)


def test_bench_table_shows_mean_and_spread_of_each_variant():
    from lab.tracks.sdwnet.study import summarize
    from lib.tracks.sdwnet.viz import bench_table, plot_psnr_vs_params

    runs = [
        {
            "experiment": "wavelet",
            "variant": v,
            "seed": s,
            "params": n,
            "gmacs_256": 1.0,
            "iters": 10,
            "psnr": p,
            "score": 0.5,
            "train_seconds": 3.0,
        }
        for v, n, ps in (("with wavelet", 200, [21.0, 21.2]), ("without wavelet", 150, [20.5, 20.5]))
        for s, p in enumerate(ps)
    ]
    table = bench_table(summarize(runs), "wavelet")
    assert list(table["variant"]) == ["with wavelet", "without wavelet"]
    assert list(table["PSNR (dB)"]) == [f"21.100 ± {np.std([21.0, 21.2], ddof=1):.3f}", "20.500 ± 0.000"]
    assert "OCR CER" not in table.columns  # no CER measured in this experiment
    zh = bench_table(summarize(runs), "wavelet", zh=True)
    assert list(zh.columns[:3]) == ["变体", "随机种子数", "参数量"] and list(zh["变体"]) == ["有小波分支", "无小波分支"]
    fig = plot_psnr_vs_params(runs, "wavelet", input_psnr=20.0)
    assert len(fig.axes[0].collections) >= 2


def test_evaluation_tables_are_in_chinese():
    from lib.tracks.sdwnet.viz import METHOD_ZH, methods_table_zh, readability_table_zh

    rows = [
        {"method": m, "params": "", "psnr": 20.0 + i, "ms_ssim": 0.9, "score": 0.5, "seconds_per_image": 0.1 * (i + 1)}
        for i, m in enumerate(METHOD_ZH)
    ]
    table = methods_table_zh(rows)
    assert list(table.columns) == ["方法", "PSNR (dB)", "MS-SSIM", "得分", "每页秒数"]
    assert list(table["方法"])[:4] == ["模糊输入", "反锐化掩模", "Richardson-Lucy 反卷积", "维纳滤波"]
    assert table["每页秒数"].tolist() == [round(0.1 * (i + 1), 4) for i in range(len(rows))]
    readable = readability_table_zh(
        [{"split": "heldout", "method": "blurred input", "pages": 3, "psnr": 19.0, "ms_ssim": 0.8, "cer": 0.2}]
    )
    assert list(readable.columns) == ["划分", "方法", "页数", "PSNR (dB)", "MS-SSIM", "OCR 字符错误率"]
    assert readable.iloc[0].tolist()[:2] == ["留出字体与模糊", "模糊输入"]


def test_bench_names_are_in_chinese():
    from lab.tracks.sdwnet.study import VARIANTS
    from lib.tracks.sdwnet.viz import claim_zh, variant_zh

    for experiment, variants in VARIANTS.items():
        assert variant_zh(experiment) != experiment
        assert all(variant_zh(v) != v or v.startswith("SDWNet") for v in variants)
    assert claim_zh("offline > online") == "离线窗口 好于 在线裁剪"
    assert claim_zh("wide d11 x2 > deep d6 x8") == "宽 d11×2 好于 深 d6×8"
