"""lab.tracks.sdwnet.study: the experiments' variants are what they claim (equal parameter budget, MACs near
the NAFNet's, one difference per experiment), and the summary's mean / spread / verdict against NumPy; the linear
ceiling's least-squares filter against OpenCV's filter2D; the branch activity of a wavelet branch forced silent."""

import math

import numpy as np
import pytest

from lab.tracks.sdwnet import study as sdwnet_lab
from lab.tracks.sdwnet.study import (
    VARIANTS,
    describe_model,
    model_spec,
    summarize,
    train_options,
    verdict,
    verdict_text,
)


@pytest.mark.slow
def test_width_depth_variants_share_a_parameter_budget():
    params = {v: describe_model(model_spec(VARIANTS["width_depth"][v][0]))["params"] for v in VARIANTS["width_depth"]}
    assert params == {"wide d11 x2": 255_694, "base d8 x4": 230_947, "deep d6 x8": 228_395}
    assert max(params.values()) / min(params.values()) < 1.15


def test_each_experiment_changes_one_thing(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "demo")  # the NAFNet compared with is the deblur demo model
    (a, ca), (b, cb) = VARIANTS["crops"].values()
    assert a == b and (ca, cb) == ("offline", "online")
    (a, _), (b, _) = VARIANTS["wavelet"].values()
    assert {k for k in a if a[k] != b.get(k)} == {"wavelet"}
    sdw = describe_model(model_spec(VARIANTS["nafnet"]["SDWNet d4 x2"][0]))
    naf_spec = model_spec("deblur")
    assert naf_spec["name"] == "nafnet"
    naf = describe_model(naf_spec)
    assert 0.5 < sdw["gmacs_256"] / naf["gmacs_256"] < 2.0  # similar conv MACs


def test_train_options_resolve_for_both_families():
    from lib.train.engine import resolve_options

    for spec in (sdwnet_lab.BASE, model_spec("deblur")):
        opts = resolve_options(train_options(spec, iters=7, batch=2, patch=48, seed=3))
        assert opts["stages"] == [{"batch_size": 2, "patch_size": 48, "iters": 7}] and opts["seed"] == 3
        assert opts["phases"] == [{"loss": "charbonnier_ssim", "iters": 7}]
        assert opts["scheduler"]["periods"] == [7]


def _runs():
    return [
        {
            "experiment": "crops",
            "variant": "offline",
            "seed": s,
            "params": 1,
            "gmacs_256": 1.0,
            "iters": 10,
            "psnr": p,
            "score": 0.5,
            "train_seconds": 1.0,
        }
        for s, p in enumerate([20.0, 20.4, 20.2])
    ] + [
        {
            "experiment": "crops",
            "variant": "online",
            "seed": s,
            "params": 1,
            "gmacs_256": 1.0,
            "iters": 10,
            "psnr": p,
            "score": 0.5,
            "train_seconds": 1.0,
        }
        for s, p in enumerate([19.0, 19.1, 19.2])
    ]


def test_summary_is_mean_and_sample_std():
    summary = summarize(_runs())
    off = next(s for s in summary if s["variant"] == "offline")
    assert off["seeds"] == 3 and off["psnr_mean"] == pytest.approx(20.2)
    assert off["psnr_std"] == pytest.approx(np.std([20.0, 20.4, 20.2], ddof=1))
    v = verdict(summary, "crops")
    assert v["difference"] == pytest.approx(1.1) and v["spread"] == pytest.approx(0.2) and v["resolved"] and v["agrees"]
    assert "larger than the run-to-run spread: supports the claim" in verdict_text(v)
    # the CER is lower-is-better: a higher CER for the claimed winner contradicts the claim
    cer = [
        {
            **r,
            "experiment": "nafnet",
            "variant": {"offline": "SDWNet d4 x2", "online": "NAFNet (deblur demo)"}[r["variant"]],
            "cer": r["psnr"] / 100,
        }
        for r in _runs()
    ]
    w = verdict(summarize(cer), "nafnet", "cer")
    assert w["difference"] == pytest.approx(0.011) and w["resolved"] and not w["agrees"]
    assert "CONTRADICTS the claim" in verdict_text(w) and "lower is better" in verdict_text(w)


def test_verdict_unresolved_and_single_seed():
    runs = _runs()
    for r in runs:
        if r["variant"] == "online":
            r["psnr"] += 1.0  # 20.0, 20.1, 20.2 against 20.0, 20.4, 20.2
    v = verdict(summarize(runs), "crops")
    assert not v["resolved"] and "not resolved" in verdict_text(v)
    one = verdict(summarize([r for r in runs if r["seed"] == 0]), "crops")
    assert one["resolved"] is None and math.isnan(one["spread"]) and "spread unknown" in verdict_text(one)
    assert verdict(summarize(runs), "wavelet") == {}


def test_the_least_squares_filter_recovers_a_known_asymmetric_kernel_and_bias():
    """lab.tracks.sdwnet.linear_ceiling: pages made by OpenCV's filter2D with a known lopsided 5 x 5 kernel and a
    bias per channel; the fit (numpy windows) finds that kernel, not its mirror image, and applying it rebuilds the
    pages within a grey level."""
    import cv2

    from lab.tracks.sdwnet.linear_ceiling import apply_filter, fit_filter
    from lib.metrics import to_uint8

    rng = np.random.default_rng(3)
    kernel = rng.random((5, 5))
    kernel[:, :2] *= 4  # heavier on the left: a flipped fit would be far off
    kernel /= kernel.sum()
    bias = np.array([0.02, -0.03, 0.01])
    pairs = []
    for _ in range(3):
        blurred = rng.integers(40, 200, (48, 56, 3)).astype(np.uint8)
        x = blurred / 255.0
        sharp = to_uint8(np.stack([cv2.filter2D(x[..., c], -1, kernel) + bias[c] for c in range(3)], axis=2))
        pairs.append((blurred, sharp))
    weights = fit_filter(pairs, size=5, stride=1)
    for c in range(3):
        assert np.abs(weights[c, :-1].reshape(5, 5) - kernel).max() < 0.01
        assert abs(weights[c, -1] - bias[c]) < 0.01
    for blurred, sharp in pairs:
        assert np.abs(apply_filter(blurred, weights).astype(int) - sharp).max() <= 1


def test_branch_activity_measures_each_hidden_channel_and_both_corrections():
    import paddle

    from lab.tracks.sdwnet.branch_activity import branch_activity
    from lib.models.sdwnet import SDWNet

    image = np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    paddle.seed(0)
    net = SDWNet(num_blocks=2, d_mult=4, wavelet_widths=(6, 4), zero_heads=True)
    net.eval()
    with paddle.no_grad():  # the first conv always fires, the second never: the branch adds only conv3's bias (0)
        net.SRCNN.conv1.bias.set_value(paddle.full([6], 1e4))
        net.SRCNN.conv2.bias.set_value(paddle.full([4], -1e4))
    found = branch_activity(net, image)
    assert found["conv1"] == [1.0] * 6 and found["conv2"] == [0.0] * 4
    assert found["spatial"] == 0.0 and found["wavelet"] == 0.0  # zero heads: both corrections start at zero
    with paddle.no_grad():
        net.output_layer[1].conv.weight.set_value(paddle.full(net.output_layer[1].conv.weight.shape, 0.1))
    assert branch_activity(net, image)["spatial"] > 0.0
