"""Metrics (lib.metrics) on uint8 images: conversion, PSNR by its formula, SSIM against the
independent Paddle implementation, MS-SSIM against the float64 NumPy reference, the score."""

import numpy as np
import paddle
import pytest
from scipy.ndimage import gaussian_filter
from test_losses import numpy_ms_ssim  # float64 reference written from the paper

from lib import losses, metrics


def uint8_pair(shape, seed=0, noise=12.0):
    rng = np.random.default_rng(seed)
    smooth_sigma = (4, 4, 0)[: len(shape)]
    clean = gaussian_filter(rng.random(shape), sigma=smooth_sigma)
    clean = (clean - clean.min()) / (clean.max() - clean.min()) * 255
    noisy = clean + noise * rng.standard_normal(shape)
    return metrics.to_uint8(noisy / 255), metrics.to_uint8(clean / 255)


def test_to_uint8_rounds_and_clips():
    x = np.array([-0.2, 0.0, 0.4 / 255, 0.6 / 255, 127.5 / 255, 254.6 / 255, 1.0, 1.7], dtype=np.float32)
    np.testing.assert_array_equal(metrics.to_uint8(x), [0, 0, 0, 1, 128, 255, 255, 255])
    assert metrics.to_uint8(paddle.to_tensor(x)).dtype == np.uint8
    with pytest.raises(ValueError, match="float image"):
        metrics.to_uint8(np.array([1, 2], dtype=np.int64))


def test_tensor_to_uint8_is_hwc():
    chw = np.random.default_rng(0).random((3, 4, 5)).astype("float32")
    out = metrics.tensor_to_uint8(paddle.to_tensor(chw[None]))
    assert out.shape == (4, 5, 3)
    np.testing.assert_array_equal(out, metrics.to_uint8(chw.transpose(1, 2, 0)))
    assert metrics.tensor_to_uint8(paddle.rand([1, 1, 4, 5])).shape == (4, 5)


@pytest.mark.parametrize("shape", [(40, 50, 3), (33, 47)])
def test_psnr_matches_formula(shape):
    restored, target = uint8_pair(shape)
    mse = np.mean((restored.astype(np.float64) - target.astype(np.float64)) ** 2)
    assert metrics.psnr(restored, target) == pytest.approx(10 * np.log10(255**2 / mse), rel=1e-9)
    assert metrics.psnr(target, target) == float("inf")


@pytest.mark.parametrize("shape", [(40, 50, 3), (33, 47)])
def test_ssim_agrees_with_the_paddle_implementation(shape):
    """scikit-image (reflect-filtered, border cropped) and lib.losses.ssim (valid conv) agree."""
    restored, target = uint8_pair(shape, seed=1)

    def to_tensor(img):
        img = img[..., None] if img.ndim == 2 else img
        return paddle.to_tensor(img.transpose(2, 0, 1)[None].astype("float32") / 255)

    ours = float(losses.ssim(to_tensor(restored), to_tensor(target), data_range=1.0)[0])
    assert metrics.ssim(restored, target) == pytest.approx(ours, abs=5e-5)
    assert metrics.ssim(target, target) == pytest.approx(1.0)


@pytest.mark.parametrize("shape", [(180, 190, 3), (200, 176)])
def test_ms_ssim_matches_numpy_reference(shape):
    restored, target = uint8_pair(shape, seed=2, noise=25)

    def as_chw(img):
        return img[None] if img.ndim == 2 else img.transpose(2, 0, 1)

    expected = numpy_ms_ssim(as_chw(restored).astype(np.float64), as_chw(target).astype(np.float64), data_range=255.0)
    assert metrics.ms_ssim(restored, target) == pytest.approx(expected, abs=1e-4)
    assert metrics.ms_ssim(target, target) == pytest.approx(1.0, abs=1e-5)


def test_competition_score_reproduces_13th_place():
    # Public result of the 13th-place entry: PSNR 20.32433, MS-SSIM 0.93676, score 0.57.
    score = metrics.competition_score(20.32433, 0.93676)
    assert round(score, 2) == 0.57
    assert score == pytest.approx(0.5 * 0.2032433 + 0.5 * 0.93676)


def test_evaluate_pair_combines_the_metrics():
    restored, target = uint8_pair((192, 192, 3), seed=3)
    result = metrics.evaluate_pair(restored, target)
    assert result["psnr"] == pytest.approx(metrics.psnr(restored, target))
    assert result["ms_ssim"] == pytest.approx(metrics.ms_ssim(restored, target))
    assert result["score"] == pytest.approx(0.5 * result["psnr"] / 100 + 0.5 * result["ms_ssim"])


def test_bad_inputs_give_clear_errors():
    a, b = uint8_pair((64, 64, 3))
    with pytest.raises(ValueError, match="uint8.*to_uint8"):
        metrics.psnr(a.astype(np.float32) / 255, b)
    with pytest.raises(ValueError, match="shapes differ"):
        metrics.ssim(a, b[:, :60])
    with pytest.raises(ValueError, match="too small.*176"):
        metrics.ms_ssim(a, b)
    with pytest.raises(ValueError, match="H x W"):
        metrics.psnr(a[None], b[None])


def test_grid_artifact_finds_a_16_px_grid_and_ignores_pages():
    from skimage import data

    from lib.metrics import grid_artifact

    page = np.repeat(data.page()[:, :, None], 3, axis=2).astype(np.float64)
    assert grid_artifact(page) < 1.15  # a real page has no 16-px period (its text lines repeat in one direction only)
    yy, xx = np.mgrid[: page.shape[0], : page.shape[1]]
    grid = 12.0 * ((xx % 16 == 0) | (yy % 16 == 0))
    assert grid_artifact(np.clip(page + grid[:, :, None], 0, 255)) > 1.3
    assert grid_artifact(np.clip(page + grid[:, :, None], 0, 255), period=5) < 1.15  # another period: nothing
    with pytest.raises(ValueError, match="too small"):
        grid_artifact(np.zeros((20, 20)))
