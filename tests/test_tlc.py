"""TLC (lib.models.tlc): the fast integral-image local mean against a naive sliding average,
the window sizes fixed at the training size, and the converted model against the original."""

import numpy as np
import paddle
import pytest

from lib.models.nafnet import NAFNet
from lib.models.tlc import LocalAvgPool2d, local_avg_pool, tlc_kernel_sizes, to_tlc


def naive_local_mean(x, kh, kw):
    """Independent reference: loop over output pixels; each takes the mean of the clipped window
    whose top-left corner is the pixel shifted by half the unused size, clamped into the map
    (that is: the valid stride-1 box means, edge-replicated back to full size)."""
    n, c, h, w = x.shape
    k1, k2 = min(h, kh), min(w, kw)
    top, left = (h - (h - k1 + 1)) // 2, (w - (w - k2 + 1)) // 2
    out = np.empty_like(x, dtype=np.float64)
    for i in range(h):
        r = min(max(i - top, 0), h - k1)
        for j in range(w):
            q = min(max(j - left, 0), w - k2)
            out[:, :, i, j] = x[:, :, r : r + k1, q : q + k2].astype(np.float64).mean(axis=(2, 3))
    return out


@pytest.mark.parametrize(
    "shape, kernel",
    [
        ((1, 2, 13, 17), (5, 4)),  # odd sizes, even and odd windows
        ((2, 3, 20, 9), (7, 12)),  # window wider than the map in one direction only
        ((1, 1, 8, 8), (1, 1)),  # 1 x 1 window: identity
        ((1, 2, 11, 6), (11, 3)),  # window as tall as the map
    ],
)
def test_fast_local_mean_equals_naive_sliding_average(shape, kernel):
    x = np.random.default_rng(0).standard_normal(shape).astype("float32") + 2.0
    fast = local_avg_pool(paddle.to_tensor(x), kernel).numpy()
    assert fast.shape == x.shape
    np.testing.assert_allclose(fast, naive_local_mean(x, *kernel), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kernel", [(9, 12), (30, 40)])
def test_window_covering_the_map_is_global_pooling(kernel):
    x = np.random.default_rng(1).random((2, 3, 9, 12)).astype("float32")
    out = local_avg_pool(paddle.to_tensor(x), kernel).numpy()
    expected = x.mean(axis=(2, 3), keepdims=True)
    np.testing.assert_allclose(np.broadcast_to(out, x.shape), np.broadcast_to(expected, x.shape), rtol=1e-6)


def test_local_mean_rejects_bad_input():
    with pytest.raises(ValueError, match="N x C x H x W"):
        local_avg_pool(paddle.rand([3, 8, 8]), (2, 2))
    with pytest.raises(ValueError, match="positive"):
        local_avg_pool(paddle.rand([1, 3, 8, 8]), (0, 2))


def active_net(seed=0):
    """4-level NAFNet with non-zero beta/gamma, so every SCA influences the output."""
    paddle.seed(seed)
    net = NAFNet(3, 4, 1, [1, 1, 1, 1], [1, 1, 1, 1])
    for name, p in net.named_parameters():
        if name.endswith(".beta") or name.endswith(".gamma"):
            p.set_value(paddle.randn(p.shape) * 0.5)
    net.eval()
    return net


def test_windows_are_factor_times_feature_size_at_training_size():
    net = to_tlc(active_net(), train_size=(1, 3, 32, 48), factor=1.5)
    # Blocks in forward order: encoders at 32x48, 16x24, 8x12, 4x6; middle at 2x3; decoders back up.
    enc = [(48, 72), (24, 36), (12, 18), (6, 9)]
    expected = enc + [(3, 4)] + enc[::-1]  # middle: 2 * 48 // 32 = 3, 3 * 72 // 48 = 4 (integer rule)
    order = [m for m in net.sublayers() if isinstance(m, LocalAvgPool2d)]
    assert len(order) == 9
    by_name = dict(zip([n for n, m in net.named_sublayers() if isinstance(m, LocalAvgPool2d)], tlc_kernel_sizes(net)))
    forward_order = (
        [by_name[f"encoders.{i}.0.sca.0"] for i in range(4)]
        + [by_name["middle_blks.0.sca.0"]]
        + [by_name[f"decoders.{i}.0.sca.0"] for i in range(4)]
    )
    assert forward_order == expected


def test_converted_model_equals_original_when_input_fits_the_window():
    net = active_net()
    tlc = to_tlc(net, train_size=(1, 3, 32, 32), factor=1.5)  # windows: 48 at full resolution
    for shape in [(1, 3, 32, 32), (1, 3, 48, 48), (1, 3, 45, 31)]:
        x = paddle.rand(list(shape))
        np.testing.assert_allclose(tlc(x).numpy(), net(x).numpy(), rtol=1e-5, atol=1e-5)


def test_converted_model_differs_on_larger_input_and_training_is_unchanged():
    net = active_net()
    tlc = to_tlc(net, train_size=(1, 3, 32, 32), factor=1.5)
    x = paddle.rand([1, 3, 97, 75])  # odd sizes larger than the 48-pixel window
    out = tlc(x)
    assert list(out.shape) == [1, 3, 97, 75] and np.isfinite(out.numpy()).all()
    assert float((out - net(x)).abs().max()) > 1e-3
    # The original is untouched (a copy was converted) ...
    assert not any(isinstance(m, LocalAvgPool2d) for m in net.sublayers())
    # ... and in training mode the converted model pools globally, exactly like the original.
    tlc.train(), net.train()
    np.testing.assert_allclose(tlc(x).numpy(), net(x).numpy(), rtol=1e-5, atol=1e-5)


def test_to_tlc_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        to_tlc(active_net(), train_size=(256, 256))
    with pytest.raises(ValueError, match="no AdaptiveAvgPool2D"):
        to_tlc(paddle.nn.Conv2D(3, 3, 1), train_size=(1, 3, 8, 8))


@pytest.mark.slow
def test_converted_model_runs_under_to_static():
    """The windows are fixed Python ints, so the converted model traces like the original."""
    import copy

    tlc = to_tlc(active_net(), train_size=(1, 3, 32, 32), factor=1.5)
    x = paddle.rand([1, 3, 97, 75])
    static = paddle.jit.to_static(copy.deepcopy(tlc), full_graph=True)
    np.testing.assert_allclose(static(x).numpy(), tlc(x).numpy(), rtol=1e-5, atol=1e-5)
