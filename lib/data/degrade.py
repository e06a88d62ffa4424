"""Out-of-focus phone capture: blur kernel, sensor noise, JPEG.

The blur is one odd-sized, normalised kernel (1-2 of defocus disk, round or elliptical Gaussian and
short linear motion at constant or decreasing speed, convolved together), convolved in linear light
with ``BORDER_REFLECT``. Every kernel's centroid is on the centre pixel (most kernels are centrally
symmetric; a slowing streak is recentred on its centroid), so a blurred image stays pixel-aligned
with its ground truth.

A held-out family, never used for training pages, tests generalisation: camera shake along a curved
random trajectory (:func:`shake_kernel`, not symmetric; its centroid is put on the centre pixel
and it is applied as a true convolution) with a slight Gaussian defocus.

A second held-out family, for when training is given camera shake too: a page tilted against the focal
plane (:func:`tilt_blur`), whose defocus grows across the page from almost none to strong; no
training kernel varies over the page.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

GAMMA = 2.2  # sRGB approximated by a pure power law; blur happens in linear light like real optics

# Strength ranges at 1 px per layout unit (a page with an 800 px long side); multiplied by ``px``.
DISK_RADIUS = (2.0, 4.0)
GAUSS_SIGMA = (1.3, 2.5)
MOTION_LENGTH = (4.0, 9.0)
TILT_NEAR_RADIUS = (0.2, 1.0)  # the tilted page's defocus radius at its sharpest edge ...
TILT_FAR_RADIUS = (2.5, 4.5)  # ... and at the opposite edge
TILT_LEVELS = 9  # disk blurs the varying radius is interpolated between
KIND_WEIGHTS = {"disk": 0.45, "gaussian": 0.30, "motion": 0.25}
READ_NOISE = (0.002, 0.012)  # Gaussian noise sigma, fraction of full scale
SHOT_GAIN = (0.00005, 0.0004)  # signal-dependent variance per unit intensity (shot noise)


def _odd(n: float) -> int:
    n = int(math.ceil(n))
    return n if n % 2 == 1 else n + 1


def disk_kernel(radius: float, supersample: int = 8) -> np.ndarray:
    """Defocus kernel: a uniform disk with anti-aliased rim (area of each pixel inside the disk)."""
    size = _odd(2 * radius + 1)
    c = size // 2
    offsets = (np.arange(supersample) + 0.5) / supersample - 0.5
    grid = np.arange(size) - c
    fine = (grid[:, None] + offsets[None, :]).ravel()
    yy, xx = np.meshgrid(fine, fine, indexing="ij")
    inside = (xx**2 + yy**2 <= radius**2).astype(np.float64)
    k = inside.reshape(size, supersample, size, supersample).mean(axis=(1, 3))
    return k / k.sum()


def gaussian_kernel(sigma: float, aspect: float = 1.0, angle_deg: float = 0.0) -> np.ndarray:
    """Gaussian of standard deviation ``sigma``; with ``aspect`` > 1 an elliptical one (astigmatism,
    a tilted lens) whose other axis, at ``angle_deg``, has ``sigma / aspect``. Centrally symmetric."""
    if aspect == 1.0:
        size = _odd(6 * sigma + 1)
        g = cv2.getGaussianKernel(size, sigma, cv2.CV_64F)
        k = g @ g.T
        return k / k.sum()
    size = _odd(6 * sigma + 1)
    c = size // 2
    yy, xx = np.mgrid[-c : c + 1, -c : c + 1].astype(np.float64)
    a = math.radians(angle_deg)
    u, v = xx * math.cos(a) - yy * math.sin(a), xx * math.sin(a) + yy * math.cos(a)
    k = np.exp(-0.5 * ((u / sigma) ** 2 + (v * aspect / sigma) ** 2))
    k = 0.5 * (k + k[::-1, ::-1])
    return k / k.sum()


def motion_kernel(length: float, angle_deg: float, supersample: int = 16, decay: float = 0.0) -> np.ndarray:
    """A straight motion streak of ``length`` px through the centre, anti-aliased by splatting
    many sub-pixel samples bilinearly. Symmetric about the centre, so it does not shift the image.
    With ``decay`` > 0 the hand slows down along the streak (exposure ~ exp(decay * t), t in
    [-1/2, 1/2]): an asymmetric streak, centred on its centroid instead."""
    n = max(2, int(length * supersample))
    t = np.linspace(-length / 2, length / 2, n)
    weights = np.exp(decay * t / max(length, 1e-9))
    shift = float((t * weights).sum() / weights.sum()) if decay else 0.0
    size = _odd(length + 2 * abs(shift) + 3)
    c = size // 2
    a = math.radians(angle_deg)
    xs, ys = c + (t - shift) * math.cos(a), c - (t - shift) * math.sin(a)
    k = np.zeros((size, size), np.float64)
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        np.add.at(k, (y0 + dy, x0 + dx), w * weights)
    if not decay:
        k = 0.5 * (k + k[::-1, ::-1])  # exact central symmetry despite floating-point sampling
    return k / k.sum()


def shake_kernel(rng: np.random.Generator, length: float, supersample: int = 16) -> np.ndarray:
    """Camera shake: a curved, jittery trajectory of total length ``length`` px (a random walk whose
    velocity keeps 85 % of its direction each step, after Boracchi and Foi's trajectories), splatted
    bilinearly and centred on its centroid so that the image is not shifted on average."""
    steps = 48
    angle = rng.uniform(0, 2 * math.pi)
    velocity = np.array([math.cos(angle), math.sin(angle)])
    points = [np.zeros(2)]
    for _ in range(steps):
        turn = rng.standard_normal(2)
        velocity = 0.85 * velocity + 0.35 * turn / max(np.linalg.norm(turn), 1e-9)
        if rng.random() < 0.08:  # an occasional jerk
            velocity = -0.7 * velocity
        points.append(points[-1] + velocity)
    path = np.array(points)
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    path *= length / max(seg.sum(), 1e-9)
    # resample uniformly along the arc (equal exposure per unit of path), then centre the centroid
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    t = np.linspace(0, arc[-1], max(2, int(length * supersample)))
    xs, ys = np.interp(t, arc, path[:, 0]), np.interp(t, arc, path[:, 1])
    xs, ys = xs - xs.mean(), ys - ys.mean()
    size = _odd(2 * max(np.abs(xs).max(), np.abs(ys).max()) + 3)
    c = size // 2
    xs, ys = xs + c, ys + c
    k = np.zeros((size, size), np.float64)
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        np.add.at(k, (y0 + dy, x0 + dx), w)
    return k / k.sum()


def combine(kernels: list[np.ndarray]) -> np.ndarray:
    """Convolve kernels into one (odd sizes add up to an odd size; symmetry is kept)."""
    k = kernels[0]
    for other in kernels[1:]:
        k = convolve_full(k, other)
    k = trim(k)
    return k / k.sum()


def convolve_full(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Full 2-D convolution of two small kernels (scipy.signal.convolve2d's ``mode="full"``;
    written out because importing scipy.signal alone takes about a second)."""
    out = np.zeros((a.shape[0] + b.shape[0] - 1, a.shape[1] + b.shape[1] - 1), np.float64)
    for (i, j), w in np.ndenumerate(b):
        if w:
            out[i : i + a.shape[0], j : j + a.shape[1]] += w * a
    return out


def trim(k: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """Drop border rings carrying (almost) no weight, symmetrically, keeping the size odd."""
    while k.shape[0] > 3 and k[[0, -1], :].sum() + k[1:-1, [0, -1]].sum() < tol * k.sum():
        k = k[1:-1, 1:-1]
    return k


def sample_kernel(rng: np.random.Generator, px: float) -> tuple[np.ndarray, list[dict]]:
    """A random blur kernel for a page with ``px`` pixels per layout unit, and its recipe."""
    kinds = list(KIND_WEIGHTS)
    p = np.array(list(KIND_WEIGHTS.values()))
    count = 1 if rng.random() < 0.55 else 2
    chosen = rng.choice(kinds, size=count, replace=False, p=p / p.sum())
    # two blurs stack up: each is drawn weaker so that the total stays within the same range
    weaken = 1.0 if count == 1 else 0.8
    parts, kernels = [], []
    for kind in chosen:
        if kind == "disk":
            radius = rng.uniform(*DISK_RADIUS) * weaken * px
            kernels.append(disk_kernel(radius))
            parts.append({"type": "disk", "radius_px": round(float(radius), 4)})
        elif kind == "gaussian":  # half of them elliptical (astigmatism)
            sigma = rng.uniform(*GAUSS_SIGMA) * weaken * px
            aspect = 1.0 if rng.random() < 0.5 else float(rng.uniform(1.2, 2.5))
            angle = float(rng.uniform(0, 180))
            kernels.append(gaussian_kernel(sigma, aspect, angle))
            parts.append(
                {
                    "type": "gaussian",
                    "sigma_px": round(float(sigma), 4),
                    "aspect": round(aspect, 3),
                    "angle_deg": round(angle, 2),
                }
            )
        else:  # half of them with a hand that slows down (an asymmetric streak)
            length = rng.uniform(*MOTION_LENGTH) * weaken * px
            angle = rng.uniform(0, 180)
            decay = 0.0 if rng.random() < 0.5 else float(rng.uniform(1.0, 3.0))
            kernels.append(motion_kernel(length, angle, decay=decay))
            parts.append(
                {
                    "type": "motion",
                    "length_px": round(float(length), 4),
                    "angle_deg": round(float(angle), 2),
                    "decay": round(decay, 3),
                }
            )
    return combine(kernels).astype(np.float32), parts


def sample_heldout_kernel(rng: np.random.Generator, px: float) -> tuple[np.ndarray, list[dict]]:
    """A kernel of the held-out family: camera shake (curved trajectory) with a slight defocus."""
    length = rng.uniform(*MOTION_LENGTH) * px
    sigma = rng.uniform(0.4, 0.9) * px
    kernel = combine([shake_kernel(rng, length), gaussian_kernel(sigma)])
    return kernel.astype(np.float32), [
        {"type": "shake", "length_px": round(float(length), 4)},
        {"type": "gaussian", "sigma_px": round(float(sigma), 4)},
    ]


KERNEL_FAMILIES = {"train": sample_kernel, "heldout": sample_heldout_kernel}
SPATIAL_FAMILIES = ("tilt",)  # blurs that vary over the page (no single kernel)


def tilt_radius_map(height: int, width: int, near: float, far: float, angle_deg: float) -> np.ndarray:
    """Defocus radius per pixel of a page tilted against the focal plane: it grows linearly from
    ``near`` to ``far`` along the direction ``angle_deg`` (0: left to right, 90: top to bottom)."""
    a = math.radians(angle_deg)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    d = xx * math.cos(a) + yy * math.sin(a)
    span = d.max() - d.min()
    t = (d - d.min()) / span if span > 0 else np.zeros_like(d)
    return near + (far - near) * t


def varying_disk_blur(sharp: np.ndarray, radius: np.ndarray, levels: int = TILT_LEVELS) -> np.ndarray:
    """``sharp`` (RGB uint8) blurred at each pixel by a disk of that pixel's ``radius`` (same height and
    width), in linear light: the blend of the two nearest of ``levels`` uniform disk blurs whose radii
    span the map (exact where a pixel's radius is one of them). A disk is centrally symmetric, so
    filter2D's correlation is the convolution. Returns float sRGB in [0, 1]."""
    low_r, high_r = float(radius.min()), float(radius.max())
    if high_r - low_r < 1e-6:
        return apply_blur(sharp, disk_kernel(low_r))
    linear = to_linear(sharp)
    stack = np.stack(
        [
            cv2.filter2D(linear, -1, disk_kernel(r).astype(np.float32), borderType=cv2.BORDER_REFLECT)
            for r in np.linspace(low_r, high_r, levels)
        ]
    )
    position = (radius - low_r) / (high_r - low_r) * (levels - 1)
    low = np.clip(np.floor(position).astype(np.int64), 0, levels - 2)
    frac = (position - low)[..., None].astype(np.float32)
    rows, cols = np.indices(low.shape)
    return to_srgb((1 - frac) * stack[low, rows, cols] + frac * stack[low + 1, rows, cols])


def tilt_blur(rng: np.random.Generator, sharp: np.ndarray, px: float) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """A tilted page's defocus (held-out family): a disk blur whose radius follows
    :func:`tilt_radius_map` (:func:`varying_disk_blur`). Returns (float sRGB in [0, 1], the disk at the
    page's mean radius, the recipe)."""
    near, far = rng.uniform(*TILT_NEAR_RADIUS) * px, rng.uniform(*TILT_FAR_RADIUS) * px
    angle = float(rng.uniform(0, 360))
    radius = tilt_radius_map(sharp.shape[0], sharp.shape[1], near, far, angle)
    parts = [
        {
            "type": "tilt",
            "near_radius_px": round(float(near), 4),
            "far_radius_px": round(float(far), 4),
            "angle_deg": round(angle, 2),
        }
    ]
    return varying_disk_blur(sharp, radius), disk_kernel(float(radius.mean())).astype(np.float32), parts


def to_linear(img_u8: np.ndarray) -> np.ndarray:
    return (img_u8.astype(np.float32) / 255.0) ** GAMMA


def to_srgb(linear: np.ndarray) -> np.ndarray:
    return np.clip(linear, 0, 1) ** (1.0 / GAMMA)


def apply_blur(img_u8: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve an RGB uint8 image with ``kernel`` in linear light; returns float sRGB in [0, 1].
    (filter2D correlates, so it gets the flipped kernel; a centrally symmetric one is unchanged.)"""
    flipped = np.ascontiguousarray(kernel[::-1, ::-1], dtype=np.float32)
    blurred = cv2.filter2D(to_linear(img_u8), -1, flipped, borderType=cv2.BORDER_REFLECT)
    return to_srgb(blurred)


def add_noise(rng: np.random.Generator, img: np.ndarray, read_sigma: float, shot_gain: float) -> np.ndarray:
    """Sensor noise: Gaussian read noise plus shot noise whose variance grows with the signal."""
    std = np.sqrt(read_sigma**2 + shot_gain * np.clip(img, 0, 1)).astype(np.float32)
    return img + std * rng.standard_normal(img.shape, dtype=np.float32)


def jpeg(img_u8: np.ndarray, quality: int) -> np.ndarray:
    """Round trip through JPEG at ``quality`` (RGB in, RGB out)."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img_u8, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def degrade(
    rng: np.random.Generator,
    sharp: np.ndarray,
    px: float,
    noise_scale: float,
    jpeg_quality: tuple[int, int],
    family: str = "train",
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Blurred capture of ``sharp`` (RGB uint8): returns (blurred uint8, kernel, recipe).

    ``noise_scale`` multiplies the noise sigmas: a training page rendered at 2x gets twice the
    per-pixel noise so that, after 2x2 averaging, it matches a test page. ``family`` picks the blur
    kernels: ``train`` (disk, Gaussian, linear motion), ``heldout`` (camera shake) or ``tilt`` (a tilted
    page's defocus, varying over the page; its returned kernel is the one at the mean radius).
    """
    if family in SPATIAL_FAMILIES:
        blurred, kernel, parts = tilt_blur(rng, sharp, px)
    else:
        kernel, parts = KERNEL_FAMILIES[family](rng, px)
        blurred = apply_blur(sharp, kernel)
    read_sigma = rng.uniform(*READ_NOISE) * noise_scale
    shot_gain = rng.uniform(*SHOT_GAIN) * noise_scale**2
    noisy = add_noise(rng, blurred, read_sigma, shot_gain)
    noisy_u8 = np.clip(np.round(noisy * 255), 0, 255).astype(np.uint8)
    quality = int(rng.integers(int(jpeg_quality[0]), int(jpeg_quality[1]) + 1))
    out = jpeg(noisy_u8, quality)
    recipe = {
        "kernel": parts,
        "kernel_size": int(kernel.shape[0]),
        "blur_space": "linear",
        **({"spatially_varying": True} if family in SPATIAL_FAMILIES else {}),
        "gamma": GAMMA,
        "border": "reflect",
        "noise": {"read_sigma": round(float(read_sigma), 6), "shot_gain": round(float(shot_gain), 7)},
        "jpeg_quality": quality,
    }
    return out, kernel, recipe
