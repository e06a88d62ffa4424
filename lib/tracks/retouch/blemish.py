"""Synthetic face blemishes for the retouching track: a simple skin detector and a generator of
spots and acne on clean faces, in the image model of the solution

    J = K * I + D + I        (images J, I in float [0, 1]; K, D, I: H x W x 3)

I the clean image, K a mild *global* degradation map (uneven tone, redness: low-frequency, bounded
by ``k_max``), D the severe *local* damage (spots, acne, marks: only on skin, zero elsewhere).
A network that predicts K and D recovers ``I = (J - D) / (1 + K)`` (lib.models.gunet.RetouchGUNet).

Pure NumPy / OpenCV; every random choice comes from the ``np.random.Generator`` passed in, so the
same seed gives the same bytes.

    >>> rng = np.random.default_rng(0)
    >>> skin = skin_mask(face)                                  # bool H x W
    >>> degraded, K, D, mask = synthesize_blemishes(rng, face, skin)

Rounding: ``degraded = np.rint(255 * np.clip(K * I + D + I, 0, 1)).astype(np.uint8)`` with
``I = clean / 255``, computed in float64 from the float32 K and D that are returned
(:func:`compose`), so ``|degraded / 255 - clip(K * I + D + I)| <= 0.5 / 255`` and recomputing
with :func:`compose` gives the same bytes. Outside the blemish mask ``D == 0`` exactly, so there
the change is only the K term: ``|degraded - clean| <= k_max * clean + 0.5`` (uint8 units).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, NamedTuple

import cv2
import numpy as np

from lib.config import check_keys

__all__ = [
    "BlemishOptions",
    "BlemishSample",
    "BLEMISH_KINDS",
    "skin_mask",
    "synthesize_blemishes",
    "degradation_maps",
    "compose",
]

BLEMISH_KINDS = ("spot", "acne", "mark")


@dataclass(frozen=True)
class BlemishOptions:
    """Ranges of the synthetic degradations. Each ``(lo, hi)`` is sampled uniformly per image or per
    blemish (density and radius: log-uniformly). Pixel sizes are for the image as given: scale ``radius`` with
    the face size (the defaults suit a face ~100-250 px wide, as in skimage's astronaut)."""

    density: tuple[float, float] = (3.0, 30.0)  # blemishes per 10,000 skin pixels (log-uniform per image)
    max_count: int = 300  # at most this many blemishes per image
    radius: tuple[float, float] = (1.0, 5.0)  # core radius in pixels (log-uniform per blemish)
    kinds: tuple[float, float, float] = (0.35, 0.45, 0.20)  # weights of "spot", "acne", "mark"
    softness: tuple[float, float] = (0.0, 1.0)  # 0: sharp edge, 1: Gaussian fall-off
    strength: tuple[float, float] = (0.5, 1.0)  # opacity of a blemish
    cluster: float = 0.4  # probability that a blemish sits next to the previous one
    k_max: float = 0.12  # bound on |K| everywhere
    tone: tuple[float, float] = (0.0, 0.08)  # amplitude of the uneven-tone field (all pixels)
    redness: tuple[float, float] = (0.0, 0.10)  # amplitude of the redness field (on skin, soft)
    cast: float = 0.02  # global colour cast: per-channel constant in +-cast
    k_grid: tuple[int, int] = (2, 6)  # coarse cells of the K fields (low frequency)

    @classmethod
    def from_any(cls, options: "BlemishOptions | dict[str, Any] | None") -> "BlemishOptions":
        if options is None:
            return cls()
        if isinstance(options, cls):
            result = options
        elif isinstance(options, dict):
            check_keys(options, {f.name for f in fields(cls)}, "blemish options")
            result = cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()})
        else:
            raise TypeError(f"blemish options must be a BlemishOptions, a dict or None, got {type(options).__name__}")
        result.validate()
        return result

    def validate(self) -> None:
        for name in ("density", "radius", "softness", "strength", "tone", "redness", "k_grid"):
            value = getattr(self, name)
            if len(value) != 2 or not value[0] <= value[1] or value[0] < 0:
                raise ValueError(f"blemish option {name} must be a (lo, hi) range with 0 <= lo <= hi, got {value}")
        if self.radius[0] <= 0:
            raise ValueError(f"blemish option radius must be positive, got {self.radius}")
        for name in ("softness", "strength"):
            if getattr(self, name)[1] > 1:
                raise ValueError(f"blemish option {name} must lie in [0, 1], got {getattr(self, name)}")
        if len(self.kinds) != len(BLEMISH_KINDS) or min(self.kinds) < 0 or sum(self.kinds) <= 0:
            raise ValueError(
                f"blemish option kinds: {len(BLEMISH_KINDS)} non-negative weights for "
                f"{BLEMISH_KINDS}, not all zero, got {self.kinds}"
            )
        if not 0 <= self.k_max < 1:
            raise ValueError(f"blemish option k_max must be in [0, 1), got {self.k_max}")
        if not 0 <= self.cluster <= 1 or self.max_count < 0 or self.cast < 0:
            raise ValueError(
                f"blemish options: cluster in [0, 1], max_count >= 0, cast >= 0 (got "
                f"{self.cluster}, {self.max_count}, {self.cast})"
            )
        if self.k_grid[0] < 1:
            raise ValueError(f"blemish option k_grid must be at least 1 cell, got {self.k_grid}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class BlemishSample(NamedTuple):
    degraded: np.ndarray  # uint8 H x W x 3
    K: np.ndarray  # float32 H x W x 3, |K| <= k_max
    D: np.ndarray  # float32 H x W x 3, zero outside ``mask``
    mask: np.ndarray  # bool H x W, where blemishes were painted (inside the skin mask)


# ----------------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------------
def _check_rgb(rgb, where: str) -> None:
    if not isinstance(rgb, np.ndarray):
        raise TypeError(f"{where}: expected an H x W x 3 uint8 NumPy array, got {type(rgb).__name__}")
    if rgb.dtype != np.uint8:
        raise ValueError(f"{where}: expected uint8 RGB (0-255), got dtype {rgb.dtype}")
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"{where}: expected an H x W x 3 RGB image, got shape {rgb.shape}")
    if rgb.shape[0] < 8 or rgb.shape[1] < 8:
        raise ValueError(f"{where}: image too small ({rgb.shape[0]} x {rgb.shape[1]}), need at least 8 x 8")


# ----------------------------------------------------------------------------------------------
# Skin
# ----------------------------------------------------------------------------------------------
def _components(mask: np.ndarray):
    """8-connected components with stats, Wu's (SAUF) algorithm. Never 4-connectivity: the
    opencv-python 4.5.5 the environment pins (paddleseg needs opencv <= 4.6) segfaults in its default
    4-connected labelling, depending on earlier allocations (opencv/opencv#21366,
    opencv/opencv-python#604 and #706; fixed in 4.6.0)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_WU)
    return count, labels, stats


def skin_mask(
    rgb: np.ndarray, max_components: int = 3, min_fraction: float = 0.2, hole_fraction: float = 0.01
) -> np.ndarray:
    """A simple skin detector: bool H x W mask.

    1. Colour: YCrCb 135 <= Cr <= 180, 77 <= Cb <= 127, Y >= 40 (the classic Chai-Ngan box, Cr
       raised to drop beige walls) and HSV (OpenCV scale) hue <= 20 or >= 165, 35 <= S <= 200
       (deep saturated reds, e.g. a flag, are not skin).
    2. Morphology: opening then closing with an ellipse of ~1% of the shorter side (odd, >= 3).
    3. The ``max_components`` largest connected components with at least ``min_fraction`` of the
       largest's area; holes smaller than ``hole_fraction`` of the kept area are filled (shadows,
       existing spots), larger ones (eyes, mouth) stay out.
    Hair of skin-like colour is often included; for training data that is harmless (the
    blemishes painted there are still removed by the model's targets). Empty if no skin is found.
    """
    _check_rgb(rgb, "skin_mask")
    if max_components < 1 or not 0 <= min_fraction <= 1 or not 0 <= hole_fraction <= 1:
        raise ValueError("skin_mask: max_components >= 1, min_fraction and hole_fraction in [0, 1]")
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb).astype(np.int16)
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV).astype(np.int16)
    y, cr, cb = ycc[..., 0], ycc[..., 1], ycc[..., 2]
    hue, sat = hsv[..., 0], hsv[..., 1]
    mask = (
        (cr >= 135)
        & (cr <= 180)
        & (cb >= 77)
        & (cb <= 127)
        & (y >= 40)
        & ((hue <= 20) | (hue >= 165))
        & (sat >= 35)
        & (sat <= 200)
    ).astype(np.uint8)

    side = max(3, int(round(min(rgb.shape[:2]) / 100)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)

    count, labels, stats = _components(mask)
    if count <= 1:
        return np.zeros(rgb.shape[:2], dtype=bool)
    areas = stats[1:, cv2.CC_STAT_AREA]
    order = np.argsort(-areas, kind="stable")[:max_components]
    keep = [int(i) + 1 for i in order if areas[i] >= min_fraction * areas[order[0]]]
    skin = np.isin(labels, keep)

    # Fill small holes: background components of the inverse that do not touch the border.
    count, labels, stats = _components((~skin).astype(np.uint8))
    h, w = skin.shape
    x0, y0 = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    x1, y1 = x0 + stats[:, cv2.CC_STAT_WIDTH], y0 + stats[:, cv2.CC_STAT_HEIGHT]
    small = (stats[:, cv2.CC_STAT_AREA] < hole_fraction * skin.sum()) & (x0 > 0) & (y0 > 0) & (x1 < w) & (y1 < h)
    small[0] = False  # label 0: the skin itself
    return skin | small[labels]


# ----------------------------------------------------------------------------------------------
# K: mild global degradation
# ----------------------------------------------------------------------------------------------
def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], grid: tuple[int, int]) -> np.ndarray:
    """A low-frequency field in [-1, 1]: a coarse random grid, cubic-resized to ``shape``."""
    cells = int(rng.integers(grid[0], grid[1] + 1))
    h, w = shape
    gh = max(1, int(round(cells * h / max(h, w))))
    gw = max(1, int(round(cells * w / max(h, w))))
    coarse = rng.uniform(-1.0, 1.0, size=(gh + 1, gw + 1))
    field = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(field, -1.0, 1.0)


def degradation_maps(
    rng: np.random.Generator, shape: tuple[int, int], skin: np.ndarray, opts: BlemishOptions
) -> np.ndarray:
    """K (float64 H x W x 3): uneven tone (same on all channels, whole image) + a redness field
    (R up, G and B down, on a blurred skin mask) + a global colour cast, clipped to +-k_max."""
    h, w = shape
    tone = rng.uniform(*opts.tone) * _smooth_field(rng, shape, opts.k_grid)
    red = rng.uniform(*opts.redness) * (0.5 + 0.5 * _smooth_field(rng, shape, opts.k_grid))
    sigma = max(1.0, min(h, w) / 50)
    soft_skin = cv2.GaussianBlur(skin.astype(np.float64), (0, 0), sigmaX=sigma, sigmaY=sigma)
    red = red * soft_skin
    cast = rng.uniform(-opts.cast, opts.cast, size=3)
    K = tone[..., None] + red[..., None] * np.array([0.4, -1.0, -0.8]) + cast
    return np.clip(K, -opts.k_max, opts.k_max)


# ----------------------------------------------------------------------------------------------
# D: blemishes
# ----------------------------------------------------------------------------------------------
_ALPHA_CUTOFF = 1.0 / 100  # alpha below this is set to 0: a finite footprint (rim step <= 1/100 of the colour change)


def _log_uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    lo, hi = bounds
    if lo <= 0:
        return float(rng.uniform(lo, hi))
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _profile(rng, r: float, softness: float, window: int):
    """Alpha of an elliptical blemish of radius r on a (2 window + 1)^2 grid (centre at the middle):
    exp(-(d / r) ** p), p from 8 (sharp) to 2 (Gaussian)."""
    aspect = rng.uniform(0.65, 1.0)
    angle = rng.uniform(0, np.pi)
    jitter = rng.uniform(-0.5, 0.5, size=2)  # sub-pixel centre
    yy, xx = np.mgrid[-window : window + 1, -window : window + 1].astype(np.float64)
    yy, xx = yy - jitter[0], xx - jitter[1]
    c, s = np.cos(angle), np.sin(angle)
    u, v = c * xx + s * yy, (-s * xx + c * yy) / aspect
    d = np.sqrt(u * u + v * v) / r
    p = 2.0 + 6.0 * (1.0 - softness)
    alpha = np.exp(-np.power(d, p))
    alpha[alpha < _ALPHA_CUTOFF] = 0.0
    return alpha


def _paint(
    rng, base: np.ndarray, alpha_total: np.ndarray, skin: np.ndarray, cy: int, cx: int, kind: str, opts: BlemishOptions
) -> None:
    """Composite one blemish into ``base`` (H x W x 3 float64, in place): base = base (1 - a) + a C,
    C = clip(base * tint + offset). Alpha is cut by the skin mask."""
    h, w = skin.shape
    r = _log_uniform(rng, opts.radius)
    softness = rng.uniform(*opts.softness)
    strength = rng.uniform(*opts.strength)
    layers = []  # (radius, softness, opacity, tint, offset)
    if kind == "spot":  # pigmented: brown to dark, mostly sharp
        dark = rng.uniform(0.45, 0.85)
        tint = dark * np.array([1.0, rng.uniform(0.72, 0.86), rng.uniform(0.5, 0.72)])
        layers.append((r, softness * 0.6, strength, tint, np.zeros(3)))
    elif kind == "acne":  # inflamed: red halo, sometimes a whitish-yellow head
        red = rng.uniform(0.25, 0.6)
        tint = np.array([1.0 + red * 0.15, 1.0 - red, 1.0 - red * rng.uniform(0.75, 1.0)])
        layers.append((r * rng.uniform(1.2, 1.9), 0.7 + 0.3 * softness, strength, tint, np.zeros(3)))
        layers.append((r * 0.8, softness, strength, np.array([0.95, 0.8, 0.8]), np.zeros(3)))  # raised core
        if rng.uniform() < 0.4:
            head = np.array([0.95, 0.9, rng.uniform(0.65, 0.8)])
            layers.append(
                (max(0.6, r * rng.uniform(0.25, 0.45)), softness * 0.5, rng.uniform(0.5, 0.9), np.zeros(3), head)
            )
    else:  # "mark": post-acne mark, flat, larger, soft, red-brown to purple
        tint = np.array([rng.uniform(0.75, 0.92), rng.uniform(0.5, 0.7), rng.uniform(0.52, 0.8)])
        layers.append(
            (r * rng.uniform(1.3, 2.0), 0.6 + 0.4 * softness, strength * rng.uniform(0.5, 0.9), tint, np.zeros(3))
        )
    for radius, soft, opacity, tint, offset in layers:
        # The footprint reaches 2.15 r (Gaussian, alpha 1/100) / 0.65 (the flattest ellipse) = 3.3 r.
        window = int(np.ceil(radius * 3.5)) + 1
        alpha = opacity * _profile(rng, radius, soft, window)
        y0, y1 = max(0, cy - window), min(h, cy + window + 1)
        x0, x1 = max(0, cx - window), min(w, cx + window + 1)
        a = alpha[y0 - (cy - window) : y1 - (cy - window), x0 - (cx - window) : x1 - (cx - window)]
        a = a * skin[y0:y1, x0:x1]
        if not a.any():
            continue
        patch = base[y0:y1, x0:x1]
        colour = np.clip(patch * tint + offset, 0.0, 1.0)
        a3 = a[..., None]
        base[y0:y1, x0:x1] = np.where(a3 > 0, patch * (1.0 - a3) + colour * a3, patch)
        alpha_total[y0:y1, x0:x1] = np.maximum(alpha_total[y0:y1, x0:x1], a)


def compose(clean_rgb_uint8: np.ndarray, K: np.ndarray, D: np.ndarray) -> np.ndarray:
    """``np.rint(255 * clip(K * I + D + I, 0, 1))`` as uint8 with ``I = clean / 255``, in float64."""
    clean = clean_rgb_uint8.astype(np.float64) / 255.0  # I
    J = K.astype(np.float64) * clean + D.astype(np.float64) + clean
    return np.rint(255.0 * np.clip(J, 0.0, 1.0)).astype(np.uint8)


def synthesize_blemishes(
    rng: np.random.Generator,
    clean_rgb_uint8: np.ndarray,
    skin: np.ndarray,
    options: BlemishOptions | dict[str, Any] | None = None,
) -> BlemishSample:
    """Paint spots, acne and marks on the skin of a clean face, plus a mild global K.

    Returns ``BlemishSample(degraded, K, D, mask)``: ``degraded`` uint8 = :func:`compose` (clean,
    K, D); K float32 with ``|K| <= k_max``; D float32, zero outside ``mask``; ``mask`` bool, inside
    ``skin``. D is the difference the blemishes make to the K-degraded image ``(1 + K) I`` (blemishes
    are alpha-composited one after the other, so overlaps behave like paint). Raises ValueError for
    an empty skin mask (nothing to paint on) or inputs of the wrong type or shape.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"synthesize_blemishes: rng must be a numpy.random.Generator "
            f"(np.random.default_rng(seed)), got {type(rng).__name__}"
        )
    _check_rgb(clean_rgb_uint8, "synthesize_blemishes")
    if not isinstance(skin, np.ndarray) or skin.dtype != bool:
        raise ValueError(
            f"synthesize_blemishes: skin must be a bool NumPy mask, got {getattr(skin, 'dtype', type(skin).__name__)}"
        )
    if skin.shape != clean_rgb_uint8.shape[:2]:
        raise ValueError(
            f"synthesize_blemishes: skin mask shape {skin.shape} != image shape {clean_rgb_uint8.shape[:2]}"
        )
    if not skin.any():
        raise ValueError("synthesize_blemishes: the skin mask is empty (no skin found: check skin_mask)")
    opts = BlemishOptions.from_any(options)
    h, w = skin.shape

    K = degradation_maps(rng, (h, w), skin, opts).astype(np.float32)
    clean = clean_rgb_uint8.astype(np.float64) / 255.0  # I
    mild = (1.0 + K.astype(np.float64)) * clean
    base = mild.copy()
    alpha_total = np.zeros((h, w), dtype=np.float64)

    # Centres on the skin, away from its border where possible.
    inner = cv2.erode(skin.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    ys, xs = np.nonzero(inner if inner.any() else skin)
    area = float(skin.sum())
    count = min(opts.max_count, int(rng.poisson(_log_uniform(rng, opts.density) * area / 1e4)))
    weights = np.asarray(opts.kinds, dtype=np.float64) / sum(opts.kinds)
    cy = cx = None
    for _ in range(count):
        if cy is not None and rng.uniform() < opts.cluster:  # next to the previous blemish
            step = rng.normal(0.0, 3.0 * opts.radius[1], size=2)
            ny, nx = int(round(cy + step[0])), int(round(cx + step[1]))
            if 0 <= ny < h and 0 <= nx < w and skin[ny, nx]:
                cy, cx = ny, nx
            else:
                j = int(rng.integers(len(ys)))
                cy, cx = int(ys[j]), int(xs[j])
        else:
            j = int(rng.integers(len(ys)))
            cy, cx = int(ys[j]), int(xs[j])
        kind = BLEMISH_KINDS[int(rng.choice(len(BLEMISH_KINDS), p=weights))]
        _paint(rng, base, alpha_total, skin, cy, cx, kind, opts)

    mask = alpha_total > 0
    D = np.where(mask[..., None], base - mild, 0.0).astype(np.float32)
    degraded = compose(clean_rgb_uint8, K, D)
    return BlemishSample(degraded, K, D, mask)
