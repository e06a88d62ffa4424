"""Realistic camera noise on sRGB images, after Brooks, Mildenhall, Xue, Chen, Sharlet, Barron,
"Unprocessing Images for Learned Raw Denoising" (CVPR 2019).

Noise is added where a sensor adds it, in raw space, so that after the camera pipeline it comes out
signal-dependent, spatially correlated by demosaicking and coloured by the colour correction, as in
a real photo. Formulas, matrices and random ranges follow the paper's reference code
(google-research/google-research, ``unprocessing/unprocess.py`` and ``process.py``); this is a NumPy
rewrite, float32 or float64, with every random draw taken from a passed ``np.random.Generator``.

Unprocess (sRGB in [0, 1] -> RGGB raw), each step the inverse of a camera step:

1. inverse tone map: ``x = 0.5 - sin(asin(1 - 2y) / 3)``, the exact inverse of smoothstep
   ``y = 3x^2 - 2x^3`` on [0, 1];
2. inverse gamma: ``max(x, 1e-8) ** 2.2``;
3. inverse colour correction: ``rgb2cam = normalise_rows(xyz2cam @ rgb2xyz)`` with ``xyz2cam`` a
   random convex combination of four real cameras' XYZ -> camera matrices (weights U(1e-8, 1e8),
   normalised) and ``rgb2xyz`` the sRGB D65 matrix; rows sum to 1 so white stays white;
4. inverse white balance and brightening, highlight-preserving: gains ``[1/red, 1, 1/blue] /
   rgb_gain`` with ``rgb_gain = 1 / N(0.8, 0.1)``, ``red ~ U(1.9, 2.4)``, ``blue ~ U(1.5, 1.9)``;
   near white (grey level ``g`` = channel mean above 0.9) the gains are blended towards 1 with the
   mask ``((g - 0.9) / 0.1)^2`` and never go below the plain gains, so saturated highlights are not
   dimmed into grey; then clip to [0, 1];
5. RGGB Bayer mosaic, packed as ``H/2 x W/2 x 4`` planes (R, G at red rows, G at blue rows, B).

Noise (heteroscedastic Gaussian approximation of Poisson shot + Gaussian read noise):
``noisy = raw + N(0, shot * raw + read)``. The reference samples ``log shot ~ U(log 1e-4,
log 0.012)`` and ``log read = 2.18 log shot + 1.20 + N(0, 0.26)`` (the log-linear relation fitted
to real sensors): :func:`random_noise_levels`. For a sweep, :func:`noise_levels_for_iso` maps an
ISO-like level to the same relation: shot noise proportional to the analogue gain, with ISO 100 ->
1e-4 and ISO 12000 -> 0.012 (the reference range; this ISO scale is the course's convention, not
the paper's), read noise on the fitted line (its median), optionally jittered like the reference.
:func:`add_noise` takes explicit ``(shot, read)``.

Process (raw -> sRGB), the forward camera pipeline: white balance (and, unlike the reference's
``process``, which leaves the raw dimmer than the input, the brightening gain ``rgb_gain`` too, so
that the round trip returns the input), clip, bilinear demosaic, ``cam2rgb = inv(rgb2cam)``, clip,
gamma ``x ** (1/2.2)`` and smoothstep tone map (also skipped by the reference's ``process``; both
are switchable). Without noise, unprocess -> process returns the input exactly, up to float
rounding, wherever no clipping happened, the grey level stays <= 0.9 and demosaicking is exact
(flat or linearly varying raw); in general bilinear demosaicking blurs fine detail.

    >>> rng = np.random.default_rng(0)
    >>> clean, noisy, meta = synthesize(image_uint8, rng, iso=3200)   # uint8 in, uint8 out
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# XYZ -> camera matrices of four real cameras, from the reference code.
XYZ2CAMS = np.array(
    [
        [[1.0234, -0.2969, -0.2266], [-0.5625, 1.6328, -0.0469], [-0.0703, 0.2188, 0.6406]],
        [[0.4913, -0.0541, -0.0202], [-0.613, 1.3513, 0.2906], [-0.1564, 0.2151, 0.7183]],
        [[0.838, -0.263, -0.0639], [-0.2887, 1.0725, 0.2496], [-0.0627, 0.1427, 0.5438]],
        [[0.6596, -0.2079, -0.0562], [-0.4782, 1.3016, 0.1933], [-0.097, 0.1581, 0.5181]],
    ]
)
# Linear sRGB (D65) -> XYZ.
RGB2XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
CCM_WEIGHT_RANGE = (1e-8, 1e8)  # uniform weights of the convex combination of XYZ2CAMS
RGB_GAIN_INV_MEAN_STD = (0.8, 0.1)  # rgb_gain = 1 / N(0.8, 0.1): brightening
RED_GAIN_RANGE = (1.9, 2.4)  # white balance gains, uniform
BLUE_GAIN_RANGE = (1.5, 1.9)
HIGHLIGHT_INFLECTION = 0.9  # grey level above which inverse gains fade towards 1
GAMMA = 2.2
SHOT_NOISE_RANGE = (1e-4, 0.012)  # log-uniform in the reference
READ_NOISE_LINE = (2.18, 1.20)  # log(read) = 2.18 * log(shot) + 1.20 ...
READ_NOISE_LOG_STD = 0.26  # ... + N(0, 0.26)
ISO_RANGE = (100.0, 12000.0)  # course convention: ISO maps linearly onto SHOT_NOISE_RANGE
BAYER_PATTERN = "RGGB"
FLOAT_DTYPES = (np.float32, np.float64)


# ----------------------------------------------------------------------------- input checks


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    return rng


def as_float_image(image, name: str = "image") -> np.ndarray:
    """An sRGB image as a float array in [0, 1]: uint8 is divided by 255 (to float32); float32 and
    float64 are kept and must lie in [0, 1] (NaN refused). Shape must be H x W x 3."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"{name} must be an H x W x 3 RGB array, got shape {image.shape}")
    if image.shape[0] < 2 or image.shape[1] < 2:
        raise ValueError(f"{name} must be at least 2 x 2 pixels, got shape {image.shape}")
    if image.dtype == np.uint8:
        return image.astype(np.float32) / np.float32(255.0)
    if image.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be uint8 (0-255) or float32/float64 in [0, 1], got dtype {image.dtype}")
    if not np.isfinite(image).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    lo, hi = float(image.min()), float(image.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(
            f"float {name} must lie in [0, 1], got values in [{lo:.4g}, {hi:.4g}] "
            f"(a 0-255 image should be uint8, or divided by 255)"
        )
    return image


def _check_bayer(bayer) -> np.ndarray:
    bayer = np.asarray(bayer)
    if bayer.ndim != 3 or bayer.shape[2] != 4:
        raise ValueError(f"raw must be packed RGGB planes of shape H/2 x W/2 x 4, got shape {bayer.shape}")
    if bayer.dtype not in FLOAT_DTYPES:
        raise TypeError(f"raw must be float32 or float64, got dtype {bayer.dtype}")
    return bayer


def to_uint8(image: np.ndarray) -> np.ndarray:
    """[0, 1] floats to uint8 with rounding (values outside are clipped)."""
    return np.clip(np.round(np.asarray(image, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- random metadata


def random_ccm(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random RGB -> camera matrix (rows normalised to sum to 1) and the XYZ -> camera matrix it
    came from: a convex combination of XYZ2CAMS with weights U(1e-8, 1e8). Four draws."""
    weights = _check_rng(rng).uniform(*CCM_WEIGHT_RANGE, size=len(XYZ2CAMS))
    xyz2cam = np.tensordot(weights, XYZ2CAMS, axes=1) / weights.sum()
    rgb2cam = xyz2cam @ RGB2XYZ
    rgb2cam = rgb2cam / rgb2cam.sum(axis=-1, keepdims=True)
    return rgb2cam, xyz2cam


def random_gains(rng: np.random.Generator) -> tuple[float, float, float]:
    """(rgb_gain, red_gain, blue_gain): brightening 1 / N(0.8, 0.1), white balance U(1.9, 2.4) and
    U(1.5, 1.9). Three draws, in that order."""
    rng = _check_rng(rng)
    rgb_gain = 1.0 / rng.normal(*RGB_GAIN_INV_MEAN_STD)
    red_gain = rng.uniform(*RED_GAIN_RANGE)
    blue_gain = rng.uniform(*BLUE_GAIN_RANGE)
    return float(rgb_gain), float(red_gain), float(blue_gain)


def random_noise_levels(rng: np.random.Generator) -> tuple[float, float]:
    """(shot, read) as the reference samples them: log shot uniform on log [1e-4, 0.012], log read
    on the line 2.18 log shot + 1.20 plus N(0, 0.26). Two draws."""
    rng = _check_rng(rng)
    log_shot = rng.uniform(math.log(SHOT_NOISE_RANGE[0]), math.log(SHOT_NOISE_RANGE[1]))
    log_read = READ_NOISE_LINE[0] * log_shot + READ_NOISE_LINE[1] + rng.normal(0.0, READ_NOISE_LOG_STD)
    return float(math.exp(log_shot)), float(math.exp(log_read))


def read_noise_for_shot(shot: float) -> float:
    """The read-noise variance on the fitted log-linear line (the median of the reference's
    distribution for this shot noise): ``exp(2.18 log shot + 1.20)``."""
    if not shot > 0:
        raise ValueError(f"shot noise must be positive, got {shot}")
    return float(math.exp(READ_NOISE_LINE[0] * math.log(shot) + READ_NOISE_LINE[1]))


def noise_levels_for_iso(iso: float, rng: np.random.Generator | None = None) -> tuple[float, float]:
    """(shot, read) at an ISO-like level: ``shot = 1e-4 * iso / 100`` (ISO 100 -> 1e-4, ISO 12000 ->
    0.012, the reference's range; other values extrapolate), read noise on the log-linear line,
    deterministic without ``rng``, with the reference's N(0, 0.26) log jitter (one draw) with it."""
    iso = float(iso)
    if not (math.isfinite(iso) and iso > 0):
        raise ValueError(f"iso must be a positive number, got {iso}")
    shot = SHOT_NOISE_RANGE[0] * iso / ISO_RANGE[0]
    read = read_noise_for_shot(shot)
    if rng is not None:
        read *= math.exp(_check_rng(rng).normal(0.0, READ_NOISE_LOG_STD))
    return float(shot), float(read)


# ----------------------------------------------------------------------------- colour steps


def smoothstep(x: np.ndarray) -> np.ndarray:
    """Global tone curve ``3x^2 - 2x^3`` on [0, 1]."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def inverse_smoothstep(y: np.ndarray) -> np.ndarray:
    """Exact inverse of :func:`smoothstep` on [0, 1]: ``0.5 - sin(asin(1 - 2y) / 3)``."""
    y = np.clip(y, 0.0, 1.0)
    return 0.5 - np.sin(np.arcsin(1.0 - 2.0 * y) / 3.0)


def gamma_expansion(x: np.ndarray, gamma: float = GAMMA) -> np.ndarray:
    """Gamma to linear: ``max(x, 1e-8) ** gamma`` (the clamp as in the reference)."""
    return np.maximum(x, 1e-8) ** gamma


def gamma_compression(x: np.ndarray, gamma: float = GAMMA) -> np.ndarray:
    """Linear to gamma: ``max(x, 1e-8) ** (1 / gamma)``."""
    return np.maximum(x, 1e-8) ** (1.0 / gamma)


def apply_ccm(image: np.ndarray, ccm: np.ndarray) -> np.ndarray:
    """``out[..., i] = sum_j ccm[i, j] * image[..., j]`` in the image's dtype."""
    return image @ np.asarray(ccm).T.astype(image.dtype)


def inverse_gains(rgb_gain: float, red_gain: float, blue_gain: float) -> np.ndarray:
    """Per-channel inverse of white balance and brightening: ``[1/red, 1, 1/blue] / rgb_gain``."""
    return np.array([1.0 / red_gain, 1.0, 1.0 / blue_gain]) / rgb_gain


def safe_invert_gains(image: np.ndarray, rgb_gain: float, red_gain: float, blue_gain: float) -> np.ndarray:
    """Multiply by the inverse gains, fading them towards 1 (never below the plain inverse gains)
    where the channel mean exceeds 0.9, so that saturated highlights stay saturated."""
    gains = inverse_gains(rgb_gain, red_gain, blue_gain).astype(image.dtype)
    gray = image.mean(axis=-1, keepdims=True)
    mask = (np.maximum(gray - HIGHLIGHT_INFLECTION, 0.0) / (1.0 - HIGHLIGHT_INFLECTION)) ** 2
    safe = np.maximum(mask + (1.0 - mask) * gains, gains)
    return image * safe


def apply_gains(bayer: np.ndarray, red_gain: float, blue_gain: float, rgb_gain: float = 1.0) -> np.ndarray:
    """White balance (and brightening) of packed RGGB planes: ``* [red, 1, 1, blue] * rgb_gain``."""
    gains = np.array([red_gain, 1.0, 1.0, blue_gain]) * rgb_gain
    return bayer * gains.astype(bayer.dtype)


# ----------------------------------------------------------------------------- Bayer


def mosaic(image: np.ndarray) -> np.ndarray:
    """RGGB Bayer sampling of an H x W x 3 image (H, W even) packed to H/2 x W/2 x 4 planes:
    R at (even row, even col), G at (even, odd), G at (odd, even), B at (odd, odd)."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"mosaic expects an H x W x 3 image, got shape {image.shape}")
    h, w = image.shape[:2]
    if h % 2 or w % 2:
        raise ValueError(
            f"an RGGB mosaic needs an even height and width, got {h} x {w} (synthesize() pads odd sizes itself)"
        )
    return np.stack([image[0::2, 0::2, 0], image[0::2, 1::2, 1], image[1::2, 0::2, 1], image[1::2, 1::2, 2]], axis=-1)


def unpack_bayer(bayer: np.ndarray) -> np.ndarray:
    """Packed H/2 x W/2 x 4 RGGB planes to the H x W single-channel mosaic (as a sensor reads it)."""
    bayer = _check_bayer(bayer)
    h, w = bayer.shape[:2]
    out = np.empty((2 * h, 2 * w), dtype=bayer.dtype)
    out[0::2, 0::2], out[0::2, 1::2] = bayer[..., 0], bayer[..., 1]
    out[1::2, 0::2], out[1::2, 1::2] = bayer[..., 2], bayer[..., 3]
    return out


def _convolve3x3(plane: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    # Reflection (without repeating the edge) keeps the CFA parity: row -1 mirrors row 1.
    padded = np.pad(plane, 1, mode="reflect")
    h, w = plane.shape
    out = np.zeros_like(plane)
    for dy in range(3):
        for dx in range(3):
            if kernel[dy, dx]:
                out += kernel[dy, dx] * padded[dy : dy + h, dx : dx + w]
    return out


def demosaic(bayer: np.ndarray) -> np.ndarray:
    """Bilinear demosaic of packed RGGB planes (h x w x 4) to an RGB image (2h x 2w x 3).

    Each colour's samples are placed on the full grid and convolved: red and blue with
    ``[[1,2,1],[2,4,2],[1,2,1]] / 4``, green with ``[[0,1,0],[1,4,1],[0,1,0]] / 4``, i.e. a known
    sample is kept and a missing one is the mean of its nearest samples of that colour. Borders are
    mirrored, which keeps the pattern's parity. Exact for flat and linearly varying images away
    from the one-pixel border.
    """
    bayer = _check_bayer(bayer)
    h, w = bayer.shape[:2]
    dt = bayer.dtype
    red, green, blue = (np.zeros((2 * h, 2 * w), dtype=dt) for _ in range(3))
    red[0::2, 0::2] = bayer[..., 0]
    green[0::2, 1::2] = bayer[..., 1]
    green[1::2, 0::2] = bayer[..., 2]
    blue[1::2, 1::2] = bayer[..., 3]
    k_rb = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=dt) / dt.type(4)
    k_g = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]], dtype=dt) / dt.type(4)
    return np.stack([_convolve3x3(red, k_rb), _convolve3x3(green, k_g), _convolve3x3(blue, k_rb)], axis=-1)


# ----------------------------------------------------------------------------- pipeline


def unprocess(image, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
    """sRGB (uint8, or float in [0, 1]; H, W even) -> packed RGGB raw (H/2 x W/2 x 4, float32 for
    uint8 input, else the input's float dtype) and its metadata: ``rgb2cam``, ``cam2rgb``,
    ``xyz2cam``, ``rgb_gain``, ``red_gain``, ``blue_gain``. Seven draws from ``rng`` (4 CCM weights,
    3 gains)."""
    _check_rng(rng)
    image = as_float_image(image)
    rgb2cam, xyz2cam = random_ccm(rng)
    rgb_gain, red_gain, blue_gain = random_gains(rng)

    x = inverse_smoothstep(image)
    x = gamma_expansion(x)
    x = apply_ccm(x, rgb2cam)
    x = safe_invert_gains(x, rgb_gain, red_gain, blue_gain)
    x = np.clip(x, 0.0, 1.0)
    raw = mosaic(x)
    metadata = {
        "rgb2cam": rgb2cam,
        "cam2rgb": np.linalg.inv(rgb2cam),
        "xyz2cam": xyz2cam,
        "rgb_gain": rgb_gain,
        "red_gain": red_gain,
        "blue_gain": blue_gain,
    }
    return raw, metadata


def noise_variance(raw: np.ndarray, shot_noise: float, read_noise: float) -> np.ndarray:
    """The model's per-pixel variance ``shot * raw + read`` (raw clipped at 0)."""
    return shot_noise * np.maximum(raw, 0.0) + read_noise


def add_noise(raw: np.ndarray, shot_noise: float, read_noise: float, rng: np.random.Generator) -> np.ndarray:
    """``raw + N(0, shot * raw + read)`` per pixel (not clipped: a sensor's values around black
    can be negative after black-level subtraction; :func:`process` clips). One standard normal per
    pixel, in raw's dtype."""
    raw = np.asarray(raw)
    if raw.dtype not in FLOAT_DTYPES:
        raise TypeError(f"raw must be float32 or float64, got dtype {raw.dtype}")
    if not (shot_noise >= 0 and read_noise >= 0):
        raise ValueError(f"shot and read noise must be >= 0, got shot={shot_noise}, read={read_noise}")
    sigma = np.sqrt(noise_variance(raw, shot_noise, read_noise)).astype(raw.dtype)
    return raw + sigma * _check_rng(rng).standard_normal(raw.shape, dtype=raw.dtype)


def process(raw: np.ndarray, metadata: dict[str, Any], *, brighten: bool = True, tone_map: bool = True) -> np.ndarray:
    """Packed RGGB raw -> float sRGB in [0, 1] (2h x 2w x 3), the camera pipeline: white balance
    (and the brightening gain when ``brighten``), clip, bilinear demosaic, ``cam2rgb``, clip, gamma
    2.2, smoothstep (when ``tone_map``). ``brighten=False, tone_map=False`` is the reference's
    ``process``."""
    raw = _check_bayer(raw)
    gain = metadata["rgb_gain"] if brighten else 1.0
    x = apply_gains(raw, metadata["red_gain"], metadata["blue_gain"], gain)
    x = np.clip(x, 0.0, 1.0)
    x = demosaic(x)
    x = apply_ccm(x, metadata["cam2rgb"])
    x = np.clip(x, 0.0, 1.0)
    x = gamma_compression(x)
    if tone_map:
        x = smoothstep(x)
    return x


def synthesize(
    image,
    rng: np.random.Generator,
    *,
    iso: float | None = None,
    shot_noise: float | None = None,
    read_noise: float | None = None,
    out_dtype=None,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """A (clean, noisy) sRGB pair from one sRGB image, and the metadata.

    Both images go through the same unprocess -> process pipeline, the noisy one with noise added
    in raw, so they differ only by the noise (``clean`` differs from the input only by
    demosaicking and clipping). Noise levels: explicit ``shot_noise`` and ``read_noise``, or an
    ``iso`` (:func:`noise_levels_for_iso` with the reference's read-noise jitter), or, with
    neither, sampled as the reference does (:func:`random_noise_levels`). Odd heights and widths
    are mirrored to even for the mosaic and cropped back. The output is uint8 for uint8 input,
    else the input's float dtype, unless ``out_dtype`` (np.uint8, np.float32, np.float64) says
    otherwise. Metadata: unprocess's plus ``shot_noise``, ``read_noise``, ``iso``.

    Draws from ``rng``, in order: 7 for unprocess, 0-2 for the noise levels, one normal a raw pixel.
    """
    _check_rng(rng)
    if (shot_noise is None) != (read_noise is None):
        raise ValueError("give both shot_noise and read_noise, or neither")
    if iso is not None and shot_noise is not None:
        raise ValueError("give either iso or (shot_noise, read_noise), not both")
    source = np.asarray(image)
    srgb = as_float_image(source)
    if out_dtype is None:
        out_dtype = np.uint8 if source.dtype == np.uint8 else srgb.dtype
    out_dtype = np.dtype(out_dtype)
    if out_dtype not in (np.dtype(np.uint8), np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"out_dtype must be uint8, float32 or float64, got {out_dtype}")

    h, w = srgb.shape[:2]
    even = np.pad(srgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="reflect")
    raw, metadata = unprocess(even, rng)

    if shot_noise is not None:
        shot, read = float(shot_noise), float(read_noise)
    elif iso is not None:
        shot, read = noise_levels_for_iso(iso, rng)
    else:
        shot, read = random_noise_levels(rng)
    noisy_raw = add_noise(raw, shot, read, rng)
    metadata.update(shot_noise=shot, read_noise=read, iso=None if iso is None else float(iso))

    clean = process(raw, metadata)[:h, :w]
    noisy = process(noisy_raw, metadata)[:h, :w]
    if out_dtype == np.uint8:
        return to_uint8(clean), to_uint8(noisy), metadata
    return clean.astype(out_dtype), noisy.astype(out_dtype), metadata
