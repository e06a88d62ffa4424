"""Things that cover part of a photographed document, drawn procedurally (NumPy + OpenCV).

The Baidu Netdisk "document image de-occlusion" competition's photos show pages partly covered by
hands and fingers (its ``hand/`` folder) and by heads (``head/``); the course adds the other things
people leave on a page they photograph: pens, sticky notes, coins and the edge of a phone.

Every occluder is an :class:`Occluder`: a colour image and an alpha (coverage) in [0, 1] of the
page's size, plus how high it floats above the paper (a hand casts a wide soft shadow, a coin
almost none). :func:`composite` lays occluders on a page, each with its soft shadow offset along
one light direction, and returns the occluded page and the mask of covered pixels (alpha > 0.1).

Shapes are rasterised with OpenCV's anti-aliased primitives on 8-bit canvases (``LINE_AA`` works
only there), shaded as volumes from their distance transform (rounded things are brighter along
their middle) and lit from the same side as their shadow. Sizes are fractions of the page's long
side, so a smoke page and a 4000 px page get the same composition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

KINDS = ("hand", "finger", "head", "pen", "sticky_note", "coin", "phone_edge")
# folder of each kind in the competition's layout (``object`` is the course's own addition)
CATEGORY = {
    "hand": "hand",
    "finger": "hand",
    "head": "head",
    "pen": "object",
    "sticky_note": "object",
    "coin": "object",
    "phone_edge": "object",
}
MASK_ALPHA = 0.1  # pixels covered more than this are 'occluded' in the saved mask

# sRGB skin tones from very light to very dark (each jittered per hand)
SKIN_TONES = (
    np.array(
        [
            (250, 218, 190),
            (238, 193, 160),
            (224, 172, 135),
            (198, 140, 100),
            (170, 112, 76),
            (130, 84, 56),
            (95, 62, 42),
        ],
        np.float32,
    )
    / 255.0
)
HAIR_COLORS = np.array([(22, 18, 16), (40, 30, 24), (70, 50, 35), (110, 80, 50), (150, 140, 130)], np.float32) / 255.0
NOTE_COLORS = (
    np.array([(252, 238, 120), (250, 190, 200), (180, 235, 170), (170, 215, 245), (252, 200, 120)], np.float32) / 255.0
)
PEN_COLORS = (
    np.array([(25, 40, 110), (20, 20, 22), (170, 30, 35), (190, 190, 195), (240, 240, 238), (30, 110, 60)], np.float32)
    / 255.0
)
COIN_COLORS = np.array([(200, 165, 90), (185, 185, 180), (170, 110, 70)], np.float32) / 255.0


@dataclass
class Occluder:
    kind: str
    color: np.ndarray  # H x W x 3 float32 in [0, 1]
    alpha: np.ndarray  # H x W float32 in [0, 1]
    height: float  # how far above the paper, as a fraction of the long side (shadow offset and blur)

    @property
    def category(self) -> str:
        return CATEGORY[self.kind]


# ---------------------------------------------------------------------------------------------- helpers
def _canvas(h: int, w: int) -> np.ndarray:
    return np.zeros((h, w), np.uint8)


def _pt(p, shift: int = 4) -> tuple[int, int]:
    """A point for OpenCV's sub-pixel drawing (``shift`` fractional bits)."""
    return int(round(p[0] * (1 << shift))), int(round(p[1] * (1 << shift)))


def _alpha(canvas: np.ndarray) -> np.ndarray:
    return canvas.astype(np.float32) / 255.0


def _volume_shade(alpha: np.ndarray, radius: float, low: float) -> np.ndarray:
    """Brightness of a rounded body: ``low`` at its outline rising to 1 at ``radius`` px inside
    (a cylinder's profile), from the distance transform of the covered area."""
    inside = (alpha > 0.5).astype(np.uint8)
    if not inside.any():
        return np.ones_like(alpha)
    dist = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
    t = np.clip(dist / max(radius, 1.0), 0.0, 1.0)
    return (low + (1.0 - low) * np.sqrt(t * (2.0 - t))).astype(np.float32)


def _light(h: int, w: int, direction: np.ndarray, strength: float) -> np.ndarray:
    """A linear light gradient across the page, brighter towards the light (against ``direction``)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = (xx / max(w, 1) - 0.5) * direction[0] + (yy / max(h, 1) - 0.5) * direction[1]
    return (1.0 - strength * d).astype(np.float32)


def _texture(rng: np.random.Generator, h: int, w: int, scale: float, amount: float, stretch=None) -> np.ndarray:
    """Smooth multiplicative noise around 1 (skin pores, hair strands with ``stretch`` = (angle, length))."""
    gh, gw = max(2, int(h / max(scale, 1))), max(2, int(w / max(scale, 1)))
    noise = rng.normal(0, 1, (gh, gw)).astype(np.float32)
    noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
    if stretch is not None:
        angle, length = stretch
        k = max(3, int(length) | 1)
        kernel = np.zeros((k, k), np.float32)
        c = k // 2
        dx, dy = math.cos(angle) * c, math.sin(angle) * c
        cv2.line(kernel, (int(round(c - dx)), int(round(c - dy))), (int(round(c + dx)), int(round(c + dy))), 1.0, 1)
        noise = cv2.filter2D(noise, -1, kernel / max(kernel.sum(), 1))
        noise /= max(float(noise.std()), 1e-6)
    return (1.0 + amount * noise).astype(np.float32)


def _edge_point(rng: np.random.Generator, h: int, w: int, side: int | None = None):
    """A point just outside one page edge and the inward direction (unit vector), jittered."""
    side = int(rng.integers(4)) if side is None else side
    t = rng.uniform(0.15, 0.85)
    if side == 0:  # top
        p, n = (t * w, -0.02 * h), (0.0, 1.0)
    elif side == 1:  # bottom
        p, n = (t * w, 1.02 * h), (0.0, -1.0)
    elif side == 2:  # left
        p, n = (-0.02 * w, t * h), (1.0, 0.0)
    else:  # right
        p, n = (1.02 * w, t * h), (-1.0, 0.0)
    angle = math.atan2(n[1], n[0]) + rng.uniform(-0.6, 0.6)
    return np.array(p, np.float64), np.array([math.cos(angle), math.sin(angle)])


def _skin(rng: np.random.Generator) -> np.ndarray:
    tone = SKIN_TONES[int(rng.integers(len(SKIN_TONES)))]
    return np.clip(tone * rng.uniform(0.92, 1.06) * (1 + rng.uniform(-0.04, 0.04, 3)), 0, 1).astype(np.float32)


# ---------------------------------------------------------------------------------------------- hands
def _finger(canvas, nails, creases, base, direction, length, width) -> np.ndarray:
    """Draw one finger (a capsule) from ``base`` along ``direction``; its nail and knuckle creases
    on their own canvases. Returns the tip."""
    tip = base + direction * length
    cv2.line(canvas, _pt(base), _pt(tip), 255, max(1, int(round(width))), cv2.LINE_AA, 4)
    normal = np.array([-direction[1], direction[0]])
    nail_c = tip - direction * width * 0.45
    axes = (max(1, int(width * 0.34 * 16)), max(1, int(width * 0.26 * 16)))
    cv2.ellipse(
        nails, _pt(nail_c), axes, math.degrees(math.atan2(direction[1], direction[0])), 0, 360, 255, -1, cv2.LINE_AA, 4
    )
    for f in (0.45, 0.7):
        c = tip - direction * length * (1 - f) * 0.8
        a, b = c + normal * width * 0.3, c - normal * width * 0.3
        cv2.line(creases, _pt(a), _pt(b), 255, max(1, int(round(width * 0.05))), cv2.LINE_AA, 4)
    return tip


def draw_hand(rng: np.random.Generator, h: int, w: int, fingers_only: bool = False) -> Occluder:
    """A hand entering from a page edge: a palm mostly off the page and one to four fingers, or
    (``fingers_only``) one or two fingers, as people hold a page flat to photograph it."""
    long_side = max(h, w)
    base, direction = _edge_point(rng, h, w)
    body, nails, creases = _canvas(h, w), _canvas(h, w), _canvas(h, w)
    width = long_side * rng.uniform(0.028, 0.045)
    if fingers_only:
        n = int(rng.integers(1, 3))
        for i in range(n):
            ang = math.atan2(direction[1], direction[0]) + (i - (n - 1) / 2) * rng.uniform(0.15, 0.3)
            d = np.array([math.cos(ang), math.sin(ang)])
            start = base + np.array([-d[1], d[0]]) * (i - (n - 1) / 2) * width * 1.1
            _finger(body, nails, creases, start, d, long_side * rng.uniform(0.1, 0.2), width * rng.uniform(0.9, 1.1))
    else:
        # the palm mostly off the page; the fingers reach in from its far side
        palm_c = base - direction * width * rng.uniform(0.0, 1.0)
        along = width * rng.uniform(2.0, 2.6)
        palm = (int(width * rng.uniform(1.9, 2.4) * 16), int(along * 16))
        cv2.ellipse(
            body,
            _pt(palm_c),
            palm,
            math.degrees(math.atan2(direction[1], direction[0])) + 90,
            0,
            360,
            255,
            -1,
            cv2.LINE_AA,
            4,
        )
        n = int(rng.integers(1, 5))
        spread = rng.uniform(0.18, 0.3)
        normal = np.array([-direction[1], direction[0]])
        for i in range(n):
            ang = math.atan2(direction[1], direction[0]) + (i - (n - 1) / 2) * spread + rng.normal(0, 0.05)
            d = np.array([math.cos(ang), math.sin(ang)])
            start = palm_c + normal * (i - (n - 1) / 2) * width * 1.05 + direction * along * 0.6
            _finger(body, nails, creases, start, d, long_side * rng.uniform(0.1, 0.18), width * rng.uniform(0.85, 1.05))
    alpha = _alpha(cv2.GaussianBlur(body, (3, 3), 0))
    skin = _skin(rng)
    shade = _volume_shade(alpha, width * 0.5, rng.uniform(0.62, 0.78))
    tex = _texture(rng, h, w, max(2.0, width / 6), 0.025)
    color = skin[None, None, :] * (shade * tex)[..., None]
    nail = _alpha(nails)[..., None] * alpha[..., None]
    color = color * (1 - 0.6 * nail) + 0.6 * nail * np.clip(skin * 1.12 + np.array([0.06, 0.02, 0.04]), 0, 1)
    crease = _alpha(cv2.GaussianBlur(creases, (3, 3), 0))[..., None]
    color *= 1 - 0.25 * crease
    kind = "finger" if fingers_only else "hand"
    return Occluder(kind, np.clip(color, 0, 1).astype(np.float32), alpha, rng.uniform(0.01, 0.025))


# ---------------------------------------------------------------------------------------------- head
def draw_head(rng: np.random.Generator, h: int, w: int) -> Occluder:
    """The back of a head leaning into the picture from an edge: hair (strand texture) over a
    large ellipse, mostly outside the page."""
    long_side = max(h, w)
    base, direction = _edge_point(rng, h, w)
    body = _canvas(h, w)
    r = long_side * rng.uniform(0.12, 0.2)
    centre = base + direction * r * rng.uniform(-0.4, 0.3)  # mostly outside the page
    axes = (int(r * 16), int(r * rng.uniform(0.8, 1.0) * 16))
    cv2.ellipse(body, _pt(centre), axes, rng.uniform(0, 180), 0, 360, 255, -1, cv2.LINE_AA, 4)
    alpha = _alpha(cv2.GaussianBlur(body, (5, 5), 0))
    hair = HAIR_COLORS[int(rng.integers(len(HAIR_COLORS)))] * rng.uniform(0.85, 1.15)
    strands = _texture(rng, h, w, 2.0, 0.12, stretch=(math.atan2(direction[1], direction[0]), r * 0.15))
    shade = _volume_shade(alpha, r * 0.6, 0.55)
    color = np.clip(hair[None, None, :] * (shade * strands)[..., None], 0, 1)
    return Occluder("head", color.astype(np.float32), alpha, rng.uniform(0.03, 0.05))


# ---------------------------------------------------------------------------------------------- objects
def draw_pen(rng: np.random.Generator, h: int, w: int) -> Occluder:
    """A pen lying on the page: a cylinder with a conical tip, a clip and a specular stripe."""
    long_side = max(h, w)
    length, width = long_side * rng.uniform(0.25, 0.42), long_side * rng.uniform(0.011, 0.018)
    centre = np.array([rng.uniform(0.15, 0.85) * w, rng.uniform(0.15, 0.85) * h])
    ang = rng.uniform(0, math.pi)
    d = np.array([math.cos(ang), math.sin(ang)])
    a, b = centre - d * length / 2, centre + d * length / 2
    body, tip, clip = _canvas(h, w), _canvas(h, w), _canvas(h, w)
    cv2.line(body, _pt(a), _pt(b), 255, max(1, int(round(width))), cv2.LINE_AA, 4)
    n = np.array([-d[1], d[0]])
    cone = np.array([b + n * width / 2, b - n * width / 2, b + d * width * 2.2])
    cv2.fillPoly(tip, [np.array([_pt(p) for p in cone], np.int32)], 255, cv2.LINE_AA, 4)
    c0 = a + d * length * 0.08
    cv2.line(
        clip,
        _pt(c0 + n * width * 0.1),
        _pt(c0 + d * length * 0.25 + n * width * 0.1),
        255,
        max(1, int(round(width * 0.3))),
        cv2.LINE_AA,
        4,
    )
    alpha = _alpha(np.maximum(body, tip))
    pen = PEN_COLORS[int(rng.integers(len(PEN_COLORS)))]
    shade = _volume_shade(alpha, width * 0.5, 0.5)
    color = pen[None, None, :] * shade[..., None]
    tipa = _alpha(tip)[..., None]
    color = color * (1 - tipa) + tipa * np.array([0.78, 0.74, 0.66], np.float32) * shade[..., None]
    # a specular stripe along the body, off-centre towards the light
    stripe = _canvas(h, w)
    off = n * width * 0.18
    cv2.line(stripe, _pt(a + off), _pt(b + off), 255, max(1, int(round(width * 0.18))), cv2.LINE_AA, 4)
    s = _alpha(cv2.GaussianBlur(stripe, (5, 5), 0))[..., None] * alpha[..., None]
    color = color * (1 - 0.55 * s) + 0.55 * s
    cl = _alpha(clip)[..., None]
    color = color * (1 - cl) + cl * np.array([0.75, 0.75, 0.78], np.float32)
    return Occluder("pen", np.clip(color, 0, 1).astype(np.float32), alpha, rng.uniform(0.004, 0.008))


def draw_sticky_note(rng: np.random.Generator, h: int, w: int) -> Occluder:
    """A square sticky note, slightly turned, with a darker glue strip and a few handwritten strokes."""
    long_side = max(h, w)
    side = long_side * rng.uniform(0.1, 0.17)
    centre = np.array([rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h])
    ang = rng.uniform(-0.4, 0.4)
    d, n = np.array([math.cos(ang), math.sin(ang)]), np.array([-math.sin(ang), math.cos(ang)])
    corners = [centre + (sx * d + sy * n) * side / 2 for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    body = _canvas(h, w)
    cv2.fillPoly(body, [np.array([_pt(p) for p in corners], np.int32)], 255, cv2.LINE_AA, 4)
    alpha = _alpha(body)
    paper = NOTE_COLORS[int(rng.integers(len(NOTE_COLORS)))]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    v = ((xx - centre[0]) * n[0] + (yy - centre[1]) * n[1]) / side + 0.5  # 0 at the glued edge
    shade = 1.0 - 0.07 * np.clip(v, 0, 1) - 0.06 * (np.clip(v, 0, 0.12) < 0.12)
    color = paper[None, None, :] * shade[..., None]
    ink = _canvas(h, w)
    for row in range(int(rng.integers(1, 4))):
        y0 = 0.3 + 0.2 * row
        pts = []
        for k in range(12):
            u = 0.12 + 0.7 * k / 11
            wob = 0.03 * math.sin(k * rng.uniform(1.5, 3.0) + row)
            pts.append(_pt(centre + (u - 0.5) * side * d + (y0 + wob - 0.5) * side * n))
        cv2.polylines(ink, [np.array(pts, np.int32)], False, 255, max(1, int(side * 0.015)), cv2.LINE_AA, 4)
    inka = _alpha(ink)[..., None]
    color = color * (1 - 0.8 * inka) + 0.8 * inka * np.array([0.12, 0.15, 0.45], np.float32)
    return Occluder("sticky_note", np.clip(color, 0, 1).astype(np.float32), alpha, rng.uniform(0.001, 0.003))


def draw_coin(rng: np.random.Generator, h: int, w: int) -> Occluder:
    """A metal coin: a disc with a radial sheen, a raised rim and an embossed relief."""
    long_side = max(h, w)
    r = long_side * rng.uniform(0.018, 0.032)
    centre = np.array([rng.uniform(0.08, 0.92) * w, rng.uniform(0.08, 0.92) * h])
    body, rim = _canvas(h, w), _canvas(h, w)
    cv2.circle(body, _pt(centre), int(r * 16), 255, -1, cv2.LINE_AA, 4)
    cv2.circle(rim, _pt(centre), int(r * 0.86 * 16), 255, max(1, int(r * 0.08)), cv2.LINE_AA, 4)
    alpha = _alpha(body)
    metal = COIN_COLORS[int(rng.integers(len(COIN_COLORS)))] * rng.uniform(0.85, 1.05)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    phi = rng.uniform(0, 2 * math.pi)
    sheen = 1.0 + 0.25 * (((xx - centre[0]) * math.cos(phi) + (yy - centre[1]) * math.sin(phi)) / r)
    relief = _texture(rng, h, w, max(1.5, r / 5), 0.08)
    color = metal[None, None, :] * (np.clip(sheen, 0.6, 1.3) * relief)[..., None]
    color *= 1 - 0.25 * _alpha(rim)[..., None]
    return Occluder("coin", np.clip(color, 0, 1).astype(np.float32), alpha, rng.uniform(0.001, 0.003))


def draw_phone_edge(rng: np.random.Generator, h: int, w: int) -> Occluder:
    """The corner or edge of a phone lying over the page: a dark rounded slab with a bezel and a
    reflection on its glass, entering from one page edge."""
    long_side = max(h, w)
    side = int(rng.integers(4))
    depth = long_side * rng.uniform(0.06, 0.14)
    span = long_side * rng.uniform(0.25, 0.45)
    t = rng.uniform(0.1, 0.9)
    if side in (0, 1):
        x0 = t * w - span / 2
        y0 = -long_side if side == 0 else h - depth
        box = (x0, y0, x0 + span, (depth if side == 0 else h + long_side))
    else:
        y0 = t * h - span / 2
        x0 = -long_side if side == 2 else w - depth
        box = (x0, y0, (depth if side == 2 else w + long_side), y0 + span)
    body, glass = _canvas(h, w), _canvas(h, w)
    radius = long_side * 0.03
    _rounded_rect(body, box, radius)
    inset = long_side * 0.008
    _rounded_rect(glass, (box[0] + inset, box[1] + inset, box[2] - inset, box[3] - inset), radius * 0.8)
    alpha = _alpha(body)
    frame = np.array([0.08, 0.08, 0.09], np.float32) * rng.uniform(0.8, 2.5)
    color = np.broadcast_to(frame, (h, w, 3)).copy()
    g = _alpha(glass)[..., None]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    phi = rng.uniform(0, 2 * math.pi)
    streak = np.clip(np.sin(((xx * math.cos(phi) + yy * math.sin(phi)) / long_side) * 9 + rng.uniform(0, 6)), 0, 1)
    screen = 0.03 + 0.1 * streak[..., None] * np.array([0.9, 0.95, 1.0], np.float32)
    color = color * (1 - g) + g * screen
    return Occluder("phone_edge", np.clip(color, 0, 1).astype(np.float32), alpha, rng.uniform(0.002, 0.005))


def _rounded_rect(canvas, box, radius) -> None:
    x0, y0, x1, y1 = box
    r = max(1.0, min(radius, (x1 - x0) / 2, (y1 - y0) / 2))
    pts = []
    for cx, cy, a0 in ((x1 - r, y0 + r, -90), (x1 - r, y1 - r, 0), (x0 + r, y1 - r, 90), (x0 + r, y0 + r, 180)):
        for k in range(9):
            a = math.radians(a0 + 90 * k / 8)
            pts.append(_pt((cx + r * math.cos(a), cy + r * math.sin(a))))
    cv2.fillPoly(canvas, [np.array(pts, np.int32)], 255, cv2.LINE_AA, 4)


DRAW = {
    "hand": draw_hand,
    "finger": lambda rng, h, w: draw_hand(rng, h, w, fingers_only=True),
    "head": draw_head,
    "pen": draw_pen,
    "sticky_note": draw_sticky_note,
    "coin": draw_coin,
    "phone_edge": draw_phone_edge,
}


# ---------------------------------------------------------------------------------------------- compositing
def composite(rng: np.random.Generator, page: np.ndarray, occluders: list[Occluder]):
    """Lay ``occluders`` (in order, later on top) on ``page`` (H x W x 3 float32 in [0, 1]): each
    first darkens the page with its shadow (its alpha blurred and shifted away from one light
    direction by its height), then covers it. Returns (occluded page, bool mask of covered pixels,
    shadow strength map). The mask holds the occluders only: their shadows are not occluders."""
    h, w = page.shape[:2]
    long_side = max(h, w)
    out = page.astype(np.float32).copy()
    covered = np.zeros((h, w), np.float32)
    shadow_total = np.zeros((h, w), np.float32)
    phi = rng.uniform(0, 2 * math.pi)
    light_dir = np.array([math.cos(phi), math.sin(phi)])
    darkness = rng.uniform(0.25, 0.45)
    light = _light(h, w, light_dir, 0.12)
    for occ in occluders:
        offset = occ.height * long_side
        blur = max(0.6, offset * 0.8)
        m = np.float32([[1, 0, light_dir[0] * offset], [0, 1, light_dir[1] * offset]])
        shadow = cv2.warpAffine(occ.alpha, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        shadow = cv2.GaussianBlur(shadow, (0, 0), blur)
        shadow *= 1.0 - occ.alpha
        out *= (1.0 - darkness * shadow)[..., None]
        shadow_total = np.maximum(shadow_total, darkness * shadow)
        a = occ.alpha[..., None]
        out = out * (1 - a) + np.clip(occ.color * light[..., None], 0, 1) * a
        covered = np.maximum(covered, occ.alpha)
    return np.clip(out, 0, 1), covered > MASK_ALPHA, shadow_total


def random_occluders(rng: np.random.Generator, h: int, w: int, kinds=None, count=(1, 2)) -> list[Occluder]:
    """``count`` (inclusive range) occluders of random ``kinds``, hands and fingers most often
    (the competition's photos are mostly hands)."""
    kinds = list(kinds or KINDS)
    weights = np.array([{"hand": 3, "finger": 3, "head": 1}.get(k, 1) for k in kinds], np.float64)
    n = int(rng.integers(count[0], count[1] + 1))
    return [DRAW[kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]](rng, h, w) for _ in range(n)]
