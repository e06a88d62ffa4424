"""The study's stroke-weighted L1 (lab.tracks.deblur.losses) against a SciPy Sobel reference: its weights, its
gradients, its errors, autocast, and its name in the engine's registry."""

import re

import numpy as np
import paddle
import pytest
from image_pairs import image_pair
from scipy.ndimage import gaussian_filter, sobel

from lab.tracks.deblur.losses import StrokeWeightedL1Loss
from lib.losses import L1Loss
from lib.train.registry import build_loss


def t(array, grad=False):
    tensor = paddle.to_tensor(array)
    tensor.stop_gradient = not grad
    return tensor


@pytest.mark.parametrize("target_value", [0.5, 0.2, 0.0])
def test_gradients_finite_on_flat_images(target_value):
    pred = t(np.full((1, 3, 32, 32), 0.5, dtype="float32"), grad=True)
    loss = StrokeWeightedL1Loss()(pred, t(np.full((1, 3, 32, 32), target_value, dtype="float32")))
    loss.backward()
    assert np.isfinite(float(loss)) and np.isfinite(pred.grad.numpy()).all()


# ----------------------------------------------------------------- stroke-weighted L1
def numpy_stroke_l1(pred, target, edge_weight):
    """Float64 reference written from the definition: per image, the Sobel magnitude (SciPy,
    mode 'nearest' = replicate padding) of the target's channel mean, divided by 4;
    w = 1 + edge_weight * magnitude broadcast over channels; sum(w |pred - target|) / (C sum(w))."""
    grey = target.astype(np.float64).mean(axis=1)
    magnitude = np.stack(
        [np.hypot(sobel(g, axis=1, mode="nearest"), sobel(g, axis=0, mode="nearest")) / 4 for g in grey]
    )
    w = (1.0 + edge_weight * magnitude)[:, None]
    return (w * np.abs(pred.astype(np.float64) - target)).sum() / (w.sum() * target.shape[1])


def blurred_random_pair(shape, seed):
    """A random blocky target (4 x 4 blocks of random values, so flat areas and edges) and a
    blurred, noisy copy, whose errors sit mostly on the edges."""
    rng = np.random.default_rng(seed)
    n, c, h, w = shape
    target = rng.random((n, c, h // 4 + 1, w // 4 + 1)).repeat(4, axis=2).repeat(4, axis=3)[:, :, :h, :w]
    pred = gaussian_filter(target, sigma=(0, 0, 1, 1)) + 0.02 * rng.standard_normal(shape)
    return pred.astype("float32"), target.astype("float32")


@pytest.mark.parametrize("edge_weight", [4.0, 0.5])
def test_stroke_l1_matches_numpy_scipy_reference(edge_weight):
    pred, target = blurred_random_pair((2, 3, 17, 23), seed=7)
    reference = numpy_stroke_l1(pred, target, edge_weight)
    assert float(StrokeWeightedL1Loss(edge_weight=edge_weight)(t(pred), t(target))) == pytest.approx(
        reference, rel=1e-5
    )
    assert float(StrokeWeightedL1Loss(edge_weight, loss_weight=2.5)(t(pred), t(target))) == pytest.approx(
        2.5 * reference, rel=1e-5
    )
    # the weighting matters here (errors on edges), so the reference check is not just L1's
    assert abs(reference - np.abs(pred.astype(np.float64) - target).mean()) > 0.01 * reference


def test_stroke_l1_without_edge_weight_is_l1():
    clean, degraded = image_pair((2, 3, 16, 20), seed=8)
    a, b = t(degraded), t(clean)
    assert abs(float(StrokeWeightedL1Loss(edge_weight=0)(a, b)) - float(L1Loss()(a, b))) <= 1e-7
    assert abs(float(StrokeWeightedL1Loss(edge_weight=0, loss_weight=3.0)(a, b)) - float(L1Loss(3.0)(a, b))) <= 1e-7


def test_stroke_l1_costs_more_on_an_edge_than_on_flat_paper():
    """Paper 0.9 left of column 6, ink 0.1 from it: Sobel magnitude 0.8 on columns 5 and 6, 0 on
    the rest, so with edge_weight 4 an edge pixel weighs 1 + 4 x 0.8 = 4.2 flat pixels."""
    target = np.full((1, 1, 12, 12), 0.9, dtype="float32")
    target[..., 6:] = 0.1
    loss = StrokeWeightedL1Loss(edge_weight=4.0)

    def cost(row, col, fn=loss):
        pred = target.copy()
        pred[0, 0, row, col] += 0.05
        return float(fn(t(pred), t(target)))

    assert cost(6, 6, L1Loss()) == pytest.approx(cost(6, 1, L1Loss()), rel=1e-6)  # plain L1: the same
    assert cost(6, 6) > cost(6, 1)
    assert cost(6, 6) / cost(6, 1) == pytest.approx(4.2, rel=1e-5)
    assert cost(6, 5) == pytest.approx(cost(6, 6), rel=1e-5)  # the paper pixel next to the ink: also an edge
    # the gradient w.r.t. the prediction follows the weights
    pred = target.copy()
    pred[0, 0, 6, 6] += 0.05
    pred[0, 0, 6, 1] += 0.05
    p = t(pred, grad=True)
    loss(p, t(target)).backward()
    g = np.abs(p.grad.numpy()[0, 0])
    assert g[6, 1] > 0 and g[6, 6] > g[6, 1]
    assert g[6, 6] / g[6, 1] == pytest.approx(4.2, rel=1e-5)


def test_stroke_l1_goes_down_when_a_small_net_trains_on_it():
    paddle.seed(0)
    rng = np.random.default_rng(9)
    sharp = np.full((1, 1, 24, 24), 0.9)
    for r, c in rng.integers(2, 20, size=(6, 2)):  # a few ink bars
        sharp[0, 0, r : r + 2, c : c + 4] = 0.1
    blurred = gaussian_filter(sharp, sigma=(0, 0, 1, 1))
    x, y = t(blurred.astype("float32")), t(sharp.astype("float32"))
    net = paddle.nn.Sequential(
        paddle.nn.Conv2D(1, 8, 3, padding=1), paddle.nn.ReLU(), paddle.nn.Conv2D(8, 1, 3, padding=1)
    )
    opt = paddle.optimizer.Adam(learning_rate=0.01, parameters=net.parameters())
    loss_fn = StrokeWeightedL1Loss(edge_weight=4.0)
    losses = []
    for _ in range(30):
        loss = loss_fn(x + net(x), y)
        loss.backward()
        opt.step()
        opt.clear_grad()
        losses.append(float(loss))
    assert losses[-1] < 0.7 * losses[0]


@pytest.mark.parametrize("bad", [-1.0, -0.001, float("nan"), float("inf"), "4.0", None])
def test_stroke_l1_bad_edge_weight_is_a_clear_error(bad):
    with pytest.raises(ValueError, match=r"edge_weight must be a finite number >= 0, got " + re.escape(repr(bad))):
        StrokeWeightedL1Loss(edge_weight=bad)


def test_stroke_l1_bad_shapes_are_clear_errors():
    loss = StrokeWeightedL1Loss()
    with pytest.raises(ValueError, match="StrokeWeightedL1Loss.*same shape"):
        loss(t(np.zeros((1, 3, 16, 16), dtype="float32")), t(np.zeros((1, 3, 16, 15), dtype="float32")))
    with pytest.raises(ValueError, match="N x C x H x W"):
        loss(t(np.zeros((3, 16, 16), dtype="float32")), t(np.zeros((3, 16, 16), dtype="float32")))


def test_stroke_l1_under_autocast_is_float32():
    """A bfloat16 prediction (what a GPU autocast network returns; see the MS-SSIM test above) gives
    a float32 loss equal to the float64 reference on the rounded prediction, and a finite gradient."""
    pred, target = blurred_random_pair((1, 3, 20, 20), seed=10)
    low = paddle.to_tensor(pred).astype("bfloat16")
    low.stop_gradient = False
    with paddle.amp.auto_cast(dtype="bfloat16"):
        loss = StrokeWeightedL1Loss()(low, t(target))
    assert loss.dtype == paddle.float32
    assert float(loss) == pytest.approx(numpy_stroke_l1(low.astype("float32").numpy(), target, 4.0), rel=1e-5)
    loss.backward()
    assert np.isfinite(low.grad.astype("float32").numpy()).all()


def test_registry_builds_stroke_l1():
    pred, target = blurred_random_pair((1, 3, 12, 12), seed=11)
    built = build_loss({"name": "stroke_l1", "edge_weight": 2.0})
    assert isinstance(built, StrokeWeightedL1Loss) and built.edge_weight == 2.0
    assert float(built(t(pred), t(target))) == pytest.approx(numpy_stroke_l1(pred, target, 2.0), rel=1e-5)
    default = build_loss("stroke_l1")
    assert isinstance(default, StrokeWeightedL1Loss) and default.edge_weight == 4.0
    with pytest.raises(ValueError, match=r"loss 'stroke_l1': bad options .*edge_wieght"):
        build_loss({"name": "stroke_l1", "edge_wieght": 2.0})
    with pytest.raises(ValueError, match="edge_weight must be a finite number >= 0, got -1"):
        build_loss({"name": "stroke_l1", "edge_weight": -1})
