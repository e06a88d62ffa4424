"""Camera noise synthesis (lib.tracks.denoise.camera_noise, after Brooks et al., CVPR 2019): each colour step
inverts exactly, demosaicking is exact where bilinear interpolation is, the noise-free round trip
returns the image, the noise variance is linear in the signal with the model's slope and
intercept, the reference's random ranges, reproducibility from a seed, and clear input errors."""

import numpy as np
import pytest

from lib.tracks.denoise.camera_noise import (
    READ_NOISE_LINE,
    READ_NOISE_LOG_STD,
    SHOT_NOISE_RANGE,
    XYZ2CAMS,
    add_noise,
    apply_ccm,
    apply_gains,
    demosaic,
    gamma_compression,
    gamma_expansion,
    inverse_smoothstep,
    mosaic,
    noise_levels_for_iso,
    process,
    random_ccm,
    random_gains,
    random_noise_levels,
    read_noise_for_shot,
    safe_invert_gains,
    smoothstep,
    synthesize,
    unpack_bayer,
    unprocess,
)

STEP_TOLERANCE = 1e-5  # each colour step against its inverse
ROUND_TRIP_INTERIOR = 1e-3  # smooth image, noise-free unprocess -> process, one-pixel border excluded (measured 5e-4)
ROUND_TRIP_ALL = 0.02  # ... including the border, where the mirrored demosaic is not exact (measured 0.0125)


def smooth_image(h=64, w=96, dtype=np.float64):
    """Low-frequency colours in [0.2, 0.7]: no clipping, grey level far below the 0.9 highlight knee."""
    yy, xx = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    return np.stack(
        [
            0.45 + 0.25 * np.sin(2 * np.pi * (0.7 * xx + 0.1)),
            0.40 + 0.20 * np.cos(2 * np.pi * 0.8 * yy),
            0.35 + 0.15 * np.sin(np.pi * (xx + yy)),
        ],
        axis=-1,
    ).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_each_colour_step_is_inverted_exactly(dtype):
    rng = np.random.default_rng(0)
    y = np.linspace(0, 1, 1001, dtype=dtype)
    np.testing.assert_allclose(smoothstep(inverse_smoothstep(y)), y, atol=STEP_TOLERANCE)
    x = np.linspace(1e-3, 1, 1001, dtype=dtype)
    np.testing.assert_allclose(gamma_compression(gamma_expansion(x)), x, atol=STEP_TOLERANCE)

    linear = rng.uniform(0.0, 0.85, size=(32, 32, 3)).astype(dtype)
    rgb2cam, _ = random_ccm(rng)
    np.testing.assert_allclose(
        apply_ccm(apply_ccm(linear, rgb2cam), np.linalg.inv(rgb2cam)), linear, atol=STEP_TOLERANCE
    )

    rgb_gain, red_gain, blue_gain = random_gains(rng)
    dimmed = safe_invert_gains(linear, rgb_gain, red_gain, blue_gain)  # grey level <= 0.85: plain gains
    np.testing.assert_allclose(
        dimmed, linear * np.array([1 / red_gain, 1, 1 / blue_gain]) / rgb_gain, atol=STEP_TOLERANCE
    )
    restored = apply_gains(mosaic(dimmed), red_gain, blue_gain, rgb_gain)
    np.testing.assert_allclose(restored, mosaic(linear), atol=STEP_TOLERANCE)
    assert smoothstep(y).dtype == dtype and apply_ccm(linear, rgb2cam).dtype == dtype


def test_highlights_are_not_dimmed():
    white = np.ones((4, 4, 3))
    out = safe_invert_gains(white, 1.25, 2.0, 1.7)
    assert np.all(out >= 1.0)  # stays saturated (clipped to 1 by unprocess), processes back to white
    meta = {"rgb_gain": 1.25, "red_gain": 2.0, "blue_gain": 1.7, "cam2rgb": np.eye(3)}
    np.testing.assert_array_equal(process(mosaic(np.clip(out, 0, 1)), meta), white)
    grey = np.full((4, 4, 3), 0.5)  # below the knee: the plain inverse gains
    np.testing.assert_allclose(safe_invert_gains(grey, 1.25, 2.0, 1.7)[0, 0], [0.2, 0.4, 0.5 / 1.7 / 1.25])


def test_mosaic_is_rggb_and_demosaic_keeps_the_samples():
    image = np.random.default_rng(1).random((6, 8, 3))
    bayer = mosaic(image)
    assert bayer.shape == (3, 4, 4)
    flat = unpack_bayer(bayer)
    np.testing.assert_array_equal(flat[0::2, 0::2], image[0::2, 0::2, 0])  # R
    np.testing.assert_array_equal(flat[0::2, 1::2], image[0::2, 1::2, 1])  # G on red rows
    np.testing.assert_array_equal(flat[1::2, 0::2], image[1::2, 0::2, 1])  # G on blue rows
    np.testing.assert_array_equal(flat[1::2, 1::2], image[1::2, 1::2, 2])  # B
    rgb = demosaic(bayer)
    np.testing.assert_allclose(rgb[0::2, 0::2, 0], image[0::2, 0::2, 0], atol=1e-12)
    np.testing.assert_allclose(rgb[1::2, 1::2, 2], image[1::2, 1::2, 2], atol=1e-12)
    np.testing.assert_allclose(rgb[0::2, 1::2, 1], image[0::2, 1::2, 1], atol=1e-12)


def test_demosaic_is_exact_on_flat_and_linear_images():
    flat = np.ones((10, 14, 3)) * np.array([0.2, 0.5, 0.8])
    np.testing.assert_allclose(demosaic(mosaic(flat)), flat, atol=1e-12)
    yy, xx = np.mgrid[0:10, 0:14]
    ramp = np.stack([0.01 * xx + 0.02 * yy, 0.5 - 0.01 * yy, 0.03 * xx], axis=-1)
    np.testing.assert_allclose(demosaic(mosaic(ramp))[1:-1, 1:-1], ramp[1:-1, 1:-1], atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_noise_free_round_trip_returns_the_image(dtype):
    image = smooth_image(dtype=dtype)
    for seed in range(10):
        raw, meta = unprocess(image, np.random.default_rng(seed))
        assert raw.shape == (32, 48, 4) and raw.dtype == dtype
        out = process(raw, meta)
        assert out.dtype == dtype
        error = np.abs(out - image).max(axis=-1)
        assert error[1:-1, 1:-1].max() < ROUND_TRIP_INTERIOR, seed
        assert error.max() < ROUND_TRIP_ALL, seed


def test_zero_noise_gives_identical_clean_and_noisy():
    image = (smooth_image(31, 45) * 255).round().astype(np.uint8)  # odd size: mirrored to even inside
    clean, noisy, meta = synthesize(image, np.random.default_rng(0), shot_noise=0.0, read_noise=0.0)
    assert clean.shape == noisy.shape == image.shape and clean.dtype == np.uint8
    np.testing.assert_array_equal(clean, noisy)
    error = np.abs(clean.astype(int) - image)
    assert error[1:-1, 1:-1].max() <= 1  # rounding
    # The one-pixel border: the demosaic's mirror copies a neighbour instead of extrapolating, an
    # error of about one pixel's gradient (this small image changes fast: measured 9 levels).
    assert error.max() <= 10


@pytest.mark.parametrize("shot, read", [(0.01, 5e-4), (noise_levels_for_iso(6400))])
def test_noise_variance_is_linear_in_the_signal(shot, read):
    """Flat raw patches at 10 levels, 10^5 pixels each: the fitted line of variance against level
    has the model's slope (shot) and intercept (read) within 2 % and 3 %."""
    rng = np.random.default_rng(42)
    levels = np.linspace(0.0, 0.9, 10)
    variances = []
    for level in levels:
        raw = np.full((158, 158, 4), level)
        variances.append((add_noise(raw, shot, read, rng) - raw).var())
    slope, intercept = np.polyfit(levels, variances, 1)
    assert slope == pytest.approx(shot, rel=0.02)
    assert intercept == pytest.approx(read, rel=0.03)


def test_noise_grows_with_iso_in_srgb():
    """A sweep: the same grey image at rising ISO, the sRGB noise grows every step."""
    grey = np.full((64, 64, 3), 0.4)
    stds = []
    for iso in (100, 400, 1600, 6400, 12000):
        clean, noisy, meta = synthesize(grey, np.random.default_rng(0), iso=iso)
        assert meta["iso"] == iso and meta["shot_noise"] == pytest.approx(1e-4 * iso / 100)
        stds.append(float((noisy - clean).std()))
    assert all(a < b for a, b in zip(stds, stds[1:]))
    assert stds[0] < 0.02 and stds[-1] > 0.1  # measured 0.012 at ISO 100, 0.15 at ISO 12000


def test_iso_levels_follow_the_log_linear_relation():
    shot, read = noise_levels_for_iso(100)
    assert shot == pytest.approx(SHOT_NOISE_RANGE[0])
    assert np.log(read) == pytest.approx(READ_NOISE_LINE[0] * np.log(shot) + READ_NOISE_LINE[1])
    assert noise_levels_for_iso(12000)[0] == pytest.approx(SHOT_NOISE_RANGE[1])
    reads = [noise_levels_for_iso(iso)[1] for iso in (100, 200, 800, 3200, 12000)]
    assert all(a < b for a, b in zip(reads, reads[1:]))
    assert noise_levels_for_iso(800) == noise_levels_for_iso(800)  # deterministic without rng
    jittered = noise_levels_for_iso(800, np.random.default_rng(0))
    assert jittered[0] == noise_levels_for_iso(800)[0] and jittered[1] != noise_levels_for_iso(800)[1]
    assert read_noise_for_shot(0.01) == pytest.approx(np.exp(2.18 * np.log(0.01) + 1.20))


def test_random_metadata_follows_the_reference_ranges():
    rng = np.random.default_rng(7)
    levels = np.array([random_noise_levels(rng) for _ in range(4000)])
    log_shot, log_read = np.log(levels[:, 0]), np.log(levels[:, 1])
    assert levels[:, 0].min() >= SHOT_NOISE_RANGE[0] and levels[:, 0].max() <= SHOT_NOISE_RANGE[1]
    residual = log_read - (READ_NOISE_LINE[0] * log_shot + READ_NOISE_LINE[1])
    assert abs(residual.mean()) < 0.02 and residual.std() == pytest.approx(READ_NOISE_LOG_STD, rel=0.05)

    gains = np.array([random_gains(rng) for _ in range(4000)])
    assert (1 / gains[:, 0]).mean() == pytest.approx(0.8, abs=0.01)
    assert (1 / gains[:, 0]).std() == pytest.approx(0.1, rel=0.05)
    assert gains[:, 1].min() >= 1.9 and gains[:, 1].max() <= 2.4
    assert gains[:, 2].min() >= 1.5 and gains[:, 2].max() <= 1.9

    rgb2cam, xyz2cam = random_ccm(rng)
    np.testing.assert_allclose(rgb2cam.sum(axis=1), 1.0)  # white stays white
    assert np.all(xyz2cam >= XYZ2CAMS.min(axis=0) - 1e-12) and np.all(xyz2cam <= XYZ2CAMS.max(axis=0) + 1e-12)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_same_seed_gives_identical_bytes(dtype):
    image = smooth_image(40, 50)
    image = (image * 255).round().astype(np.uint8) if dtype == np.uint8 else image.astype(dtype)
    a = synthesize(image, np.random.default_rng(123), iso=3200)
    b = synthesize(image, np.random.default_rng(123), iso=3200)
    c = synthesize(image, np.random.default_rng(124), iso=3200)
    assert a[0].dtype == dtype and a[1].dtype == dtype
    assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes()
    assert a[2]["rgb2cam"].tobytes() == b[2]["rgb2cam"].tobytes() and a[2]["read_noise"] == b[2]["read_noise"]
    assert a[1].tobytes() != c[1].tobytes()


def test_output_dtype_can_be_chosen():
    image = smooth_image(16, 16, np.float64)
    clean, noisy, _ = synthesize(image, np.random.default_rng(0), out_dtype=np.uint8)
    assert clean.dtype == noisy.dtype == np.uint8
    clean, noisy, meta = synthesize(image, np.random.default_rng(0))
    assert noisy.dtype == np.float64 and 0 <= noisy.min() and noisy.max() <= 1
    assert SHOT_NOISE_RANGE[0] <= meta["shot_noise"] <= SHOT_NOISE_RANGE[1] and meta["iso"] is None


def test_bad_inputs_give_clear_errors():
    rng = np.random.default_rng(0)
    good = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(TypeError, match="uint8"):
        synthesize(np.zeros((8, 8, 3), np.uint16), rng)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        synthesize(np.full((8, 8, 3), 200.0), rng)  # a 0-255 image as floats
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        synthesize(np.full((8, 8, 3), -0.1), rng)
    with pytest.raises(ValueError, match="NaN"):
        synthesize(np.full((8, 8, 3), np.nan), rng)
    with pytest.raises(ValueError, match="H x W x 3"):
        synthesize(np.zeros((8, 8), np.uint8), rng)
    with pytest.raises(ValueError, match="H x W x 3"):
        synthesize(np.zeros((8, 8, 4), np.uint8), rng)
    with pytest.raises(ValueError, match="even"):
        unprocess(np.zeros((7, 8, 3), np.uint8), rng)
    with pytest.raises(TypeError, match="Generator"):
        synthesize(good, 0)
    with pytest.raises(TypeError, match="Generator"):
        synthesize(good, np.random.RandomState(0))
    with pytest.raises(ValueError, match="both"):
        synthesize(good, rng, shot_noise=0.01)
    with pytest.raises(ValueError, match="either iso"):
        synthesize(good, rng, iso=800, shot_noise=0.01, read_noise=1e-4)
    with pytest.raises(ValueError, match="iso must be a positive"):
        noise_levels_for_iso(0)
    with pytest.raises(ValueError, match=">= 0"):
        add_noise(np.zeros((4, 4, 4)), -0.01, 0.0, rng)
    with pytest.raises(ValueError, match="H/2 x W/2 x 4"):
        process(np.zeros((4, 4, 3)), {})
