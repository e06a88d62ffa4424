"""The solution's local repair of an occluded document photo, and the global and classical alternatives.

Shrinking a whole 3000 x 4000 photo to the inpainting network's 256 x 256 loses its text and table
lines, and what covers a page is small; so the solution repairs each covered area locally::

    mask (predicted at 1/6 scale, upsampled)  -> dilated by a few px (the segmentation's edge is soft)
    for each connected component:
        a square crop of side l (1536) centred on it, moved inside the page (clipped at its borders;
        grown when the component is larger), shrunk by r (6) to the network's 256 x 256
        -> inpaint -> enlarged back -> pasted only where the dilated mask is, feathered inward

Only pixels inside the dilated mask change: the feather ramps from 0 at the dilated mask's edge to
1 at ``feather`` px inside it, so with ``feather <= dilate`` every pixel of the original mask gets
the repair and every pixel outside the dilated mask keeps its bytes (no seam at crop borders:
the crop's border never shows). A page with an empty mask comes back byte-identical.

``mode: one_crop`` is what the solution's code ran instead (renqi1/Text_Image_Inpainting
predict_onnx.py, ``process`` and ``crop_region``)::

    a landscape photo transposed (x and y swapped) to portrait first, and back at the end
    mask: the segmenter's class map at its input size (640 x 480), dilated by a seg_dilate x seg_dilate
          square (4 x 4), enlarged to the photo (bilinear)
    ONE crop of side l around the bounding box of the last contour cv2.findContours lists,
    moved inside the page, shrunk by r (bilinear) -> inpaint -> enlarged back (bilinear)
    -> pasted, without blending, where every photo pixel under a network pixel is masked

The other components of the mask stay as they are (the solution repaired one area per photo).

``mask_values`` (one_crop only) says what the network is given as its mask: ``binary``, every network
pixel the mask touches is a hole (1), the rest 0; ``fraction``, the solution's values: the mask kept as
levels 0 / 128 through both bilinear resizes, divided by 128 (predict_onnx.py ``mask = mask / 128``,
a partly covered network pixel a fraction), and the crop multiplied by ``1 - mask`` before the
network (its ``masked_img``). The paste is the same in both: where the level is the full 128.

An inpainting function takes (RGB uint8 H x W x 3, mask H x W; H, W multiples of 4) and returns RGB
uint8 of the same size; the mask is a bool hole, or (mask_values fraction) float32 in [0, 1]:
:func:`opencv_inpainter` (Telea / Navier-Stokes) or :func:`network_inpainter` (a DeepFillv2 generator).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import cv2
import numpy as np

MULTIPLE = 4  # DeepFillv2 halves twice: its input sides must be multiples of 4
PSNR_CAP = 100.0  # lib.metrics.region_psnr of identical pixels: a mean over pages stays finite
MODES = ("components", "one_crop")  # the course's repair of every component; the solution's single crop
MASK_VALUES = ("binary", "fraction")  # the network's mask: 0 / 1 holes, or the solution's levels / 128 (module doc)
LEVEL = 128  # the solution's mask level of a covered pixel (predict_onnx.py: segment * 128, later / 128)


@dataclass(frozen=True)
class RepairOptions:
    crop: int = 1536  # l: side of the crop around each component, photo pixels
    shrink: float = 6.0  # r: the crop is shrunk by this before inpainting (1536 / 6 = 256)
    dilate: int = 15  # the mask grown by this many px first
    feather: int = 8  # blend ramp inside the dilated mask, px (<= dilate)
    min_area: int = 0  # components of the (dilated) mask smaller than this are left alone
    seg_flip: bool = False  # the occluder score averaged with the mirrored photo's (test-time flip)
    mode: str = "components"  # "one_crop": the solution's single crop, pasted without blending (module doc)
    seg_dilate: int = 0  # the mask dilated by this square (px at the segmenter's input size) first
    mask_values: str = "binary"  # one_crop: "fraction" gives the network the solution's mask values (module doc)

    def __post_init__(self):
        if self.crop < MULTIPLE or self.shrink <= 0:
            raise ValueError(f"crop must be >= {MULTIPLE} and shrink > 0, got crop {self.crop}, shrink {self.shrink}")
        if self.dilate < 0 or self.feather < 0 or self.seg_dilate < 0:
            raise ValueError(
                f"dilate, feather and seg_dilate must be >= 0, got {self.dilate}, {self.feather}, {self.seg_dilate}"
            )
        if self.mode not in MODES:
            raise ValueError(f"repair mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.mode == "one_crop" and (self.dilate or self.feather or self.min_area):
            raise ValueError(
                "repair mode one_crop dilates at the segmenter's size (seg_dilate) and pastes without blending: "
                f"dilate, feather and min_area must be 0, got {self.dilate}, {self.feather}, {self.min_area}"
            )
        if self.mask_values not in MASK_VALUES:
            raise ValueError(f"mask_values must be one of {', '.join(MASK_VALUES)}, got {self.mask_values!r}")
        if self.mask_values == "fraction" and self.mode != "one_crop":
            raise ValueError("mask_values fraction is the solution's, of repair mode one_crop; components uses binary")
        if self.mode == "components" and self.seg_dilate:
            raise ValueError(
                f"seg_dilate ({self.seg_dilate}) belongs to repair mode one_crop; components dilates the photo's "
                "mask (dilate)"
            )

    @classmethod
    def from_config(cls, options: dict) -> "RepairOptions":
        """From the ``repair`` section of lib/configs/deocclusion.yaml (every option given, but
        ``mask_values``: binary unless set)."""
        missing = [f.name for f in fields(cls) if f.name not in options and f.name not in OPTIONAL]
        if missing:
            raise KeyError(f"the repair options lack {missing}")
        return cls(**{f.name: options[f.name] for f in fields(cls) if f.name in options})

    def as_dict(self) -> dict:
        return asdict(self)


OPTIONAL = {"mask_values"}  # RepairOptions.from_config: options a config may leave out (their default)


@dataclass
class RepairInfo:
    boxes: list = field(default_factory=list)  # (x0, y0, x1, y1) of each crop, photo pixels
    net_sizes: list = field(default_factory=list)  # (h, w) given to the inpainting function
    components: int = 0


def _check(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"image must be RGB uint8 H x W x 3, got {image.dtype} {image.shape}")
    mask = np.asarray(mask)
    if mask.shape != image.shape[:2]:
        raise ValueError(f"mask {mask.shape} does not match the image {image.shape[:2]}")
    return mask.astype(bool)


def dilate_mask(mask: np.ndarray, radius: int) -> np.ndarray:
    """``mask`` grown by a disc of ``radius`` px."""
    if radius <= 0:
        return mask.astype(bool).copy()
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel) > 0


def feather_weights(mask: np.ndarray, feather: int) -> np.ndarray:
    """Blend weight in [0, 1]: 0 outside ``mask``, rising to 1 at ``feather`` px inside its edge
    (distance to the nearest unmasked pixel, also counting the image border as inside)."""
    m = mask.astype(np.uint8)
    if feather <= 0:
        return m.astype(np.float32)
    padded = cv2.copyMakeBorder(m, 1, 1, 1, 1, cv2.BORDER_REPLICATE)  # the page edge is not a mask edge
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]
    return np.clip(dist / float(feather), 0.0, 1.0).astype(np.float32) * m


def _axis_box(centre: float, extent: int, side: int, limit: int) -> tuple[int, int]:
    """[a, b) of length min(max(side, extent), limit) centred on ``centre`` and moved inside [0, limit)."""
    length = min(max(side, extent), limit)
    a = int(round(centre - length / 2))
    a = min(max(a, 0), limit - length)
    return a, a + length


def _net_side(length: int, shrink: float) -> int:
    return max(MULTIPLE, int(math.ceil(length / shrink / MULTIPLE)) * MULTIPLE)


def crop_boxes(mask: np.ndarray, opts: RepairOptions) -> list[tuple[int, int, int, int]]:
    """One crop (x0, y0, x1, y1) per connected component of ``mask`` (8-connected, at least
    ``min_area`` px): side ``crop`` (or the component's extent if larger) centred on the component's
    box, moved inside the page; a page smaller than the crop gives the whole page on that axis."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    h, w = mask.shape
    boxes = []
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if area < opts.min_area:
            continue
        x0, x1 = _axis_box(x + bw / 2, bw, opts.crop, w)
        y0, y1 = _axis_box(y + bh / 2, bh, opts.crop, h)
        boxes.append((x0, y0, x1, y1))
    return boxes


def repair_local(
    image: np.ndarray, mask: np.ndarray, inpaint, opts: RepairOptions = RepairOptions(), info: RepairInfo | None = None
) -> np.ndarray:
    """The solution's local repair (module doc): returns a new RGB uint8 photo; only pixels inside the
    dilated mask differ from ``image``. ``info`` (optional) receives the crops and network sizes."""
    mask = _check(image, mask)
    info = info if info is not None else RepairInfo()
    if not mask.any():
        return image.copy()
    grown = dilate_mask(mask, opts.dilate)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(grown.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= opts.min_area
    grown = keep[labels]
    result = image.copy()
    for box in crop_boxes(grown, opts):
        x0, y0, x1, y1 = box
        hole = grown[y0:y1, x0:x1]
        crop = result[y0:y1, x0:x1]
        nh, nw = _net_side(y1 - y0, opts.shrink), _net_side(x1 - x0, opts.shrink)
        small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA)
        # a small pixel is a hole if any photo pixel under it is (the network must not trust it)
        small_hole = cv2.resize(hole.astype(np.float32), (nw, nh), interpolation=cv2.INTER_AREA) > 0
        repaired = np.asarray(inpaint(small, small_hole))
        if repaired.shape != small.shape or repaired.dtype != np.uint8:
            raise ValueError(
                f"the inpainting function returned {repaired.dtype} {repaired.shape}, expected uint8 {small.shape}"
            )
        big = cv2.resize(repaired, (x1 - x0, y1 - y0), interpolation=cv2.INTER_CUBIC)
        weight = feather_weights(hole, opts.feather)[..., None]
        blended = np.round(crop.astype(np.float32) * (1 - weight) + big.astype(np.float32) * weight)
        result[y0:y1, x0:x1] = np.where(weight > 0, np.clip(blended, 0, 255).astype(np.uint8), crop)
        info.boxes.append(box)
        info.net_sizes.append((nh, nw))
    info.components = len(info.boxes)
    return result


def _one_crop_axis(centre: int, side: int, limit: int) -> tuple[int, int]:
    """The solution's crop_region on one axis: [a, a + side) centred on ``centre``, moved inside [0, limit)
    (a page smaller than the crop: the whole page)."""
    length = min(side, limit)
    c = max(centre, length / 2)
    a = int(c - length / 2) if limit - c - length / 2 >= 0 else limit - length
    return a, a + length


def one_crop_box(mask: np.ndarray, side: int) -> tuple[int, int, int, int] | None:
    """The solution's single crop (x0, y0, x1, y1): the bounding box of the LAST contour
    ``cv2.findContours(RETR_TREE, CHAIN_APPROX_SIMPLE)`` lists, its centre floored, a square of
    ``side`` there moved inside the page. None for an empty mask."""
    contours = cv2.findContours(mask.astype(np.uint8), cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)[-2]
    if not contours:
        return None
    x, y, bw, bh = cv2.boundingRect(contours[-1])
    h, w = mask.shape
    x0, x1 = _one_crop_axis(int(x + bw / 2), side, w)
    y0, y1 = _one_crop_axis(int(y + bh / 2), side, h)
    return x0, y0, x1, y1


def repair_one_crop(
    image: np.ndarray, mask: np.ndarray, inpaint, opts: RepairOptions, info: RepairInfo | None = None
) -> np.ndarray:
    """The solution's repair (module doc, mode one_crop) of the photo-size ``mask``: one crop, shrunk
    by ``shrink`` (bilinear), inpainted, enlarged (bilinear) and pasted without blending where every
    photo pixel under a network pixel is masked. The network's hole is every network pixel the mask
    touches (mask_values binary), or the solution's fraction of each (fraction: ``mask`` may then be
    :func:`seg_mask_one_crop`'s uint8 levels; a bool mask counts as 0 / 128). A landscape photo is
    repaired transposed, as the solution did."""
    levels = _levels(image, mask, opts)
    mask = levels > 0
    info = info if info is not None else RepairInfo()
    h, w = mask.shape
    if w > h:
        out = repair_one_crop(np.ascontiguousarray(image.transpose(1, 0, 2)), levels.T, inpaint, opts, info)
        info.boxes = [(y0, x0, y1, x1) for x0, y0, x1, y1 in info.boxes]
        return np.ascontiguousarray(out.transpose(1, 0, 2))
    result = image.copy()
    box = one_crop_box(mask, opts.crop)
    if box is None:
        return result
    x0, y0, x1, y1 = box
    nh, nw = _net_side(y1 - y0, opts.shrink), _net_side(x1 - x0, opts.shrink)
    small = cv2.resize(image[y0:y1, x0:x1], (nw, nh), interpolation=cv2.INTER_LINEAR)
    # the mask as the solution scaled it: 0 / 128, so 128 = a network pixel fully covered
    level = cv2.resize(np.ascontiguousarray(levels[y0:y1, x0:x1]), (nw, nh), interpolation=cv2.INTER_LINEAR)
    hole = level.astype(np.float32) / LEVEL if opts.mask_values == "fraction" else level > 0
    repaired = np.asarray(inpaint(small, hole))
    if repaired.shape != small.shape or repaired.dtype != np.uint8:
        raise ValueError(
            f"the inpainting function returned {repaired.dtype} {repaired.shape}, expected uint8 {small.shape}"
        )
    big = cv2.resize(repaired, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    paste = cv2.resize((level >= LEVEL).astype(np.uint8), (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR) > 0
    result[y0:y1, x0:x1][paste] = big[paste]
    info.boxes.append(box)
    info.net_sizes.append((nh, nw))
    info.components = 1
    return result


def _levels(image: np.ndarray, mask: np.ndarray, opts: RepairOptions) -> np.ndarray:
    """The photo-size mask as the solution's uint8 levels: a covered pixel 128 (a bool mask, or any mask under
    mask_values binary), or (fraction) the levels :func:`seg_mask_one_crop` gives as they are."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"image must be RGB uint8 H x W x 3, got {image.dtype} {image.shape}")
    mask = np.asarray(mask)
    if mask.shape != image.shape[:2]:
        raise ValueError(f"mask {mask.shape} does not match the image {image.shape[:2]}")
    if opts.mask_values == "fraction" and mask.dtype == np.uint8:
        return mask
    return mask.astype(bool).astype(np.uint8) * LEVEL


def repair_page(
    image: np.ndarray, mask: np.ndarray, inpaint, opts: RepairOptions, info: RepairInfo | None = None
) -> np.ndarray:
    """The repair ``opts.mode`` names: :func:`repair_local` (components) or :func:`repair_one_crop`."""
    repair = repair_one_crop if opts.mode == "one_crop" else repair_local
    return repair(image, mask, inpaint, opts, info)


def repair_global(
    image: np.ndarray, mask: np.ndarray, inpaint, net_size: int = 256, opts: RepairOptions = RepairOptions()
) -> np.ndarray:
    """The alternative the solution rejected: the whole photo shrunk so its long side is ``net_size``,
    repaired, enlarged and pasted with the same dilation and feather."""
    long_side = max(image.shape[:2])
    whole = RepairOptions(
        crop=long_side, shrink=long_side / net_size, dilate=opts.dilate, feather=opts.feather, min_area=0
    )
    mask = _check(image, mask)
    if not mask.any():
        return image.copy()
    grown = dilate_mask(mask, opts.dilate)
    h, w = image.shape[:2]
    nh, nw = _net_side(h, whole.shrink), _net_side(w, whole.shrink)
    small = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    small_hole = cv2.resize(grown.astype(np.float32), (nw, nh), interpolation=cv2.INTER_AREA) > 0
    big = cv2.resize(np.asarray(inpaint(small, small_hole)), (w, h), interpolation=cv2.INTER_CUBIC)
    weight = feather_weights(grown, opts.feather)[..., None]
    blended = np.clip(np.round(image.astype(np.float32) * (1 - weight) + big.astype(np.float32) * weight), 0, 255)
    return np.where(weight > 0, blended.astype(np.uint8), image)


# ---------------------------------------------------------------------------------------------- inpainters
def opencv_inpainter(method: str = "telea", radius: int = 5):
    """``cv2.inpaint`` as an inpainting function: ``telea`` (fast marching) or ``ns`` (Navier-Stokes)."""
    flags = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}
    if method not in flags:
        raise ValueError(f"unknown OpenCV inpainting method {method!r}; known: {', '.join(flags)}")

    def inpaint(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        return cv2.inpaint(image, (np.asarray(hole) > 0).astype(np.uint8) * 255, radius, flags[method])

    return inpaint


def opencv_inpaint_page(
    image: np.ndarray, mask: np.ndarray, method: str = "telea", radius: int = 5, dilate: int = 0
) -> np.ndarray:
    """The classical baseline at full resolution: ``cv2.inpaint`` over the (dilated) mask."""
    mask = _check(image, mask)
    if not mask.any():
        return image.copy()
    return opencv_inpainter(method, radius)(image, dilate_mask(mask, dilate))


def runner_inpainter(run):
    """An inpainting function from a runner ``run``: float32 N x 4 x h x w (RGB in [0, 1], then the
    hole mask, 1 = hole) -> N x 3 x h x w. The known pixels are kept, the holes take its output
    (clipped to [0, 1]). ``run`` may be a dygraph generator (:func:`network_inpainter`) or an
    exported one (Paddle Inference / ONNX Runtime, as ``predict.py`` runs it). A float hole (the
    solution's fractions, mask_values fraction) goes in as it is, with the image multiplied by
    ``1 - hole`` first, as predict_onnx.py feeds ``masked_img``; every pixel it touches takes the output."""

    def inpaint(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        unit = image.astype(np.float32) / 255.0
        hole = np.asarray(hole)
        mask = hole.astype(np.float32)
        shown = unit * (1.0 - mask[..., None]) if np.issubdtype(hole.dtype, np.floating) else unit
        x = np.concatenate([shown.transpose(2, 0, 1), mask[None]])[None]
        out = np.clip(np.asarray(run(x), dtype=np.float32)[0].transpose(1, 2, 0), 0.0, 1.0)
        filled = np.where((mask > 0)[..., None], out, unit)
        return np.clip(np.round(filled * 255.0), 0, 255).astype(np.uint8)

    return inpaint


def network_inpainter(generator, stage: str = "refined"):
    """A DeepFillv2 generator (lib.models.deepfillv2.GatedGenerator, eval mode) as an inpainting
    function: its ``refined`` (or ``coarse``) output in the holes (:func:`runner_inpainter`)."""
    import paddle

    if stage not in ("coarse", "refined"):
        raise ValueError(f"stage must be 'coarse' or 'refined', got {stage!r}")

    def run(x: np.ndarray) -> np.ndarray:
        t = paddle.to_tensor(x)
        with paddle.no_grad():
            coarse, refined = generator(t[:, :3], t[:, 3:])
        return (refined if stage == "refined" else coarse).numpy()

    return runner_inpainter(run)


# ---------------------------------------------------------------------------------------------- segmentation
def occluder_score(run, image: np.ndarray, size: tuple[int, int] | None = None, flip: bool = False) -> np.ndarray:
    """Occluder score at the photo's size from a segmentation runner ``run`` (float32 N x 3 x h x w
    in [0, 1] -> N x C x h x w: C = 2 logits, score = class 1 minus class 0; C = 1 the score
    itself, as the exported segmenter gives it): the photo turned to portrait if it is landscape,
    resized to ``size`` = (h, w) (the solution: 1/6, 640 x 480; None: as it is), segmented, the scores
    enlarged back (bilinear) and turned back. Positive = occluded. ``flip``: the mean of the photo's
    score and its mirror image's score mirrored back (test-time flip, as PaddleSeg's
    ``aug_inference(flip_horizontal=True)``; a false alarm the network makes on one side only fades)."""
    h, w = image.shape[:2]
    landscape = w > h
    x = np.ascontiguousarray(np.rot90(image)) if landscape else image
    if size is not None:
        x = cv2.resize(x, (int(size[1]), int(size[0])), interpolation=cv2.INTER_AREA)
    batch = x.astype(np.float32).transpose(2, 0, 1)[None] / 255.0
    score = _score(run(batch))
    if flip:
        score = 0.5 * (score + _score(run(np.ascontiguousarray(batch[..., ::-1])))[:, ::-1])
    if landscape:
        score = np.ascontiguousarray(np.rot90(score, -1))
    if score.shape != (h, w):
        score = cv2.resize(np.ascontiguousarray(score), (w, h), interpolation=cv2.INTER_LINEAR)
    return score


def _score(output) -> np.ndarray:
    logits = np.asarray(output)[0]
    if logits.shape[0] not in (1, 2):
        raise ValueError(f"the segmenter returned {logits.shape[0]} channels; expected 2 logits or 1 score")
    return (logits[0] if logits.shape[0] == 1 else logits[1] - logits[0]).astype(np.float32)


def predict_mask_logits(
    model, image: np.ndarray, size: tuple[int, int] | None = None, flip: bool = False
) -> np.ndarray:
    """:func:`occluder_score` of a dygraph segmentation network (N x 2 logits)."""
    return occluder_score(dygraph_runner(model), image, size, flip)


def portrait(array: np.ndarray, mode: str = "components") -> np.ndarray:
    """A landscape photo (or mask) as the segmenter sees it, upright: turned by 90 degrees (the
    course's components mode) or transposed (one_crop, the solution's ``img.transpose(1, 0, 2)``).
    Portrait arrays come back as they are."""
    if array.shape[1] <= array.shape[0]:
        return array
    turned = np.swapaxes(array, 0, 1) if mode == "one_crop" else np.rot90(array)
    return np.ascontiguousarray(turned)


def seg_mask_one_crop(
    run, image: np.ndarray, size: tuple[int, int], opts: RepairOptions, levels: bool = False
) -> np.ndarray:
    """The solution's mask (predict_onnx.py ``process``): the photo transposed to portrait, resized
    to ``size`` (bilinear), segmented (score > 0: class 1's logit above class 0's, as argmax), dilated
    by a ``seg_dilate`` square there, enlarged to the photo (bilinear, any coverage counts) and
    transposed back. ``levels`` with mask_values fraction: the enlarged levels themselves (uint8 0 ... 128,
    the solution's ``cv2.resize(segment * 128, ...)``) instead of the bool mask, for :func:`repair_one_crop`."""
    h, w = image.shape[:2]
    x = portrait(image, "one_crop")
    small = cv2.resize(x, (int(size[1]), int(size[0])), interpolation=cv2.INTER_LINEAR)
    mask = (occluder_score(run, small, None, opts.seg_flip) > 0).astype(np.uint8)
    if opts.seg_dilate:
        mask = cv2.dilate(mask, np.ones((opts.seg_dilate, opts.seg_dilate), np.uint8))
    big = cv2.resize(mask * LEVEL, (x.shape[1], x.shape[0]), interpolation=cv2.INTER_LINEAR)
    if not (levels and opts.mask_values == "fraction"):
        big = big > 0
    return np.ascontiguousarray(big.T) if w > h else big


def page_mask(
    run, image: np.ndarray, size: tuple[int, int] | None, opts: RepairOptions, levels: bool = False
) -> np.ndarray:
    """The occluder mask at the photo's size that ``opts.mode`` repairs: :func:`occluder_score` > 0
    (components) or :func:`seg_mask_one_crop`. ``levels``: what :func:`repair_page` takes, the same bool
    mask but with mask_values fraction the uint8 levels (0 ... 128) it is made of (nonzero = the mask)."""
    if opts.mode == "one_crop":
        return seg_mask_one_crop(run, image, size if size is not None else image.shape[:2], opts, levels)
    return occluder_score(run, image, size, opts.seg_flip) > 0


def dygraph_runner(model):
    """A dygraph segmentation network as a runner (float32 N x 3 x h x w -> N x C x h x w)."""
    import paddle

    def run(x: np.ndarray) -> np.ndarray:
        with paddle.no_grad():
            return model(paddle.to_tensor(x)).numpy()

    return run


class Deoccluder:
    """The whole pipeline on one photo: the mask at ``seg_size`` (:func:`page_mask`) ->
    :func:`repair_page` with the inpainting runner. ``segment`` and ``inpaint`` are runners
    (dygraph, Paddle Inference or ONNX Runtime; see :func:`occluder_score`, :func:`runner_inpainter`).

    ``restore_image`` (what ``predict.py`` calls) takes RGB uint8, uint16 or float32 in [0, 1]: the
    pipeline runs on 8 bits and only the pixels the repair changed are replaced, so every other
    pixel keeps its exact value and depth."""

    def __init__(self, segment, inpaint, seg_size, opts: RepairOptions):
        self.segment, self.seg_size, self.opts = segment, tuple(int(v) for v in seg_size), opts
        self.inpaint = runner_inpainter(inpaint)
        self.last_info = RepairInfo()
        self.last_mask = None  # the mask the last photo was repaired with (nonzero = covered)

    def mask(self, image: np.ndarray) -> np.ndarray:
        return page_mask(self.segment, image, self.seg_size, self.opts)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """RGB uint8 -> the repaired RGB uint8 (``last_info``: its crops; ``last_mask``: its mask)."""
        self.last_info = RepairInfo()
        levels = page_mask(self.segment, image, self.seg_size, self.opts, levels=True)
        self.last_mask = levels
        return repair_page(image, levels, self.inpaint, self.opts, self.last_info)

    def restore_image(self, image: np.ndarray) -> np.ndarray:
        scales = {np.dtype(np.uint8): 1.0, np.dtype(np.uint16): 257.0, np.dtype(np.float32): 1 / 255.0}
        if image.dtype not in scales:
            raise ValueError(f"unsupported pixel type {image.dtype} (uint8, uint16 and float32 are repaired)")
        if image.dtype == np.uint8:
            return self(image)
        scale = scales[image.dtype]
        eight = np.clip(np.round(image.astype(np.float64) / scale), 0, 255).astype(np.uint8)
        repaired = self(eight)
        changed = (repaired != eight).any(axis=2)
        result = image.copy()
        result[changed] = (repaired[changed].astype(np.float64) * scale).astype(image.dtype)
        return result


def _boundary(mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.uint8)
    return (m - cv2.erode(m, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE)) > 0


def mask_scores(pred: np.ndarray, true: np.ndarray, tolerance: float | None = None) -> dict:
    """``miou``: mean over the two classes (page, occluder) of intersection over union (a class
    absent from both masks counts 1). ``boundary_f``: F-score of the mask outlines (Csurka et al.'s
    BF score, as DAVIS): an outline pixel is matched if the other outline is within ``tolerance``
    px (default 0.75 % of the image diagonal, at least 1); both outlines empty gives 1."""
    pred, true = np.asarray(pred, bool), np.asarray(true, bool)
    if pred.shape != true.shape:
        raise ValueError(f"mask shapes differ: {pred.shape} vs {true.shape}")
    ious = []
    for a, b in ((pred, true), (~pred, ~true)):
        union = (a | b).sum()
        ious.append(1.0 if union == 0 else (a & b).sum() / union)
    tol = tolerance if tolerance is not None else max(1.0, 0.0075 * math.hypot(*pred.shape))
    bp, bt = _boundary(pred), _boundary(true)
    if not bp.any() and not bt.any():
        bf = 1.0
    elif not bp.any() or not bt.any():
        bf = 0.0
    else:
        dist_t = cv2.distanceTransform((~bt).astype(np.uint8), cv2.DIST_L2, 5)
        dist_p = cv2.distanceTransform((~bp).astype(np.uint8), cv2.DIST_L2, 5)
        precision, recall = (dist_t[bp] <= tol).mean(), (dist_p[bt] <= tol).mean()
        bf = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return {"miou": float(np.mean(ious)), "boundary_f": float(bf)}
