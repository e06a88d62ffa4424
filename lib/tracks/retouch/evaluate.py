"""Scoring face retouching: metrics overall and inside / outside the blemishes, and the classical
baselines a model has to beat (NumPy / OpenCV).

* Regions: the blemish mask of a sample (the generator's ``mask/``; for a real download, where
  there is none, the pixels whose input differs from the ground truth by more than
  ``DERIVED_MASK_LEVELS`` on some channel, grown by 2 px). PSNR inside and outside is the PSNR of
  the mean squared error over the region's pixels (all channels, peak 255).
* Baselines, each with its parameters tuned on validation pairs by overall PSNR:
  - **inpainting**: a simple blemish detector (on the skin mask of lib.tracks.retouch.blemish, pixels whose
    green channel is ``threshold`` levels darker than the local median, or redder than it: spots
    and acne are dark or red) -> OpenCV's Telea inpainting over the detected mask;
  - **skin smoothing**: a bilateral filter (diameter d, sigmaColor, sigmaSpace = d) blended in
    over a soft skin mask, the classic "beauty filter".
* Quality bars (:func:`quality_checks`): outside the blemishes the model's PSNR is at most
  ``tolerance_db`` below the input's (texture kept where nothing was wrong); inside, its PSNR beats
  every classical baseline's.
"""

from __future__ import annotations

import itertools
import time

import cv2
import numpy as np

from lib.metrics import ms_ssim, psnr, region_psnr, ssim, tensor_to_uint8

from .blemish import skin_mask

DERIVED_MASK_LEVELS = 24  # > the mild global K term of the synthetic data in most pixels
METRIC_KEYS = ("psnr", "ssim", "ms_ssim", "psnr_inside", "psnr_outside")


def _check_image(image, where: str) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"{where}: expected an H x W x 3 uint8 RGB image, got "
            f"{getattr(image, 'shape', type(image).__name__)} {getattr(image, 'dtype', '')}"
        )


def derived_mask(inp: np.ndarray, gt: np.ndarray, levels: int = DERIVED_MASK_LEVELS, grow: int = 2) -> np.ndarray:
    """Blemish pixels of a pair without a stored mask: some channel differs by more than ``levels``."""
    diff = np.abs(inp.astype(np.int16) - gt.astype(np.int16)).max(axis=2) > levels
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    return cv2.dilate(diff.astype(np.uint8), kernel).astype(bool)


def evaluate_regions(restored: np.ndarray, target: np.ndarray, mask: np.ndarray) -> dict:
    """PSNR / SSIM / MS-SSIM of the whole image and PSNR inside and outside ``mask``."""
    return {
        "psnr": psnr(restored, target),
        "ssim": ssim(restored, target),
        "ms_ssim": ms_ssim(restored, target),
        "psnr_inside": region_psnr(restored, target, mask),
        "psnr_outside": region_psnr(restored, target, ~mask),
    }


# ----------------------------------------------------------------------------------------------
# Classical baselines
# ----------------------------------------------------------------------------------------------
def _median_size(image) -> int:
    return max(5, int(round(min(image.shape[:2]) / 12)) | 1)


def detect_blemishes(image: np.ndarray, threshold: float, skin: np.ndarray | None = None) -> np.ndarray:
    """A simple blemish detector: on the skin (eroded by 3 px), pixels ``threshold`` levels darker
    (green channel) or redder (R - G) than the local median (window ~ 1/12 of the shorter side);
    only small blobs are kept (8-connected components up to (side / 16)^2 pixels: larger ones are
    features, shadows or hair), grown by 1 px."""
    _check_image(image, "detect_blemishes")
    skin = skin_mask(image) if skin is None else skin
    skin = cv2.erode(skin.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    x = image.astype(np.float32)
    med = cv2.medianBlur(image, _median_size(image)).astype(np.float32)
    darker = med[..., 1] - x[..., 1]
    redder = (x[..., 0] - x[..., 1]) - (med[..., 0] - med[..., 1])
    found = ((np.maximum(darker, redder) > threshold) & skin).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(found, 8, cv2.CV_32S, cv2.CCL_WU)
    small = stats[:, cv2.CC_STAT_AREA] <= (min(image.shape[:2]) / 16) ** 2
    small[0] = False
    found = small[labels].astype(np.uint8)
    return cv2.dilate(found, np.ones((3, 3), np.uint8)).astype(bool)


def inpaint_baseline(image: np.ndarray, threshold: float = 10, radius: int = 3) -> np.ndarray:
    """OpenCV Telea inpainting over :func:`detect_blemishes`' mask."""
    mask = detect_blemishes(image, threshold).astype(np.uint8) * 255
    if not mask.any():
        return image.copy()
    return cv2.inpaint(np.ascontiguousarray(image), mask, float(radius), cv2.INPAINT_TELEA)


def smooth_baseline(image: np.ndarray, diameter: int = 9, sigma_color: float = 40) -> np.ndarray:
    """Skin smoothing: a bilateral filter blended in over the (blurred) skin mask."""
    _check_image(image, "smooth_baseline")
    smooth = cv2.bilateralFilter(np.ascontiguousarray(image), int(diameter), float(sigma_color), float(diameter))
    weight = cv2.GaussianBlur(skin_mask(image).astype(np.float32), (0, 0), 2.0)[..., None]
    out = image.astype(np.float32) * (1 - weight) + smooth.astype(np.float32) * weight
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


BASELINES = {
    "OpenCV inpainting (detected blemishes)": (inpaint_baseline, ("threshold", "radius")),
    "bilateral skin smoothing": (smooth_baseline, ("diameter", "sigma_color")),
}


def baseline_grids(options: dict) -> dict:
    """Parameter grids of the baselines from the track's ``evaluate`` options."""
    return {
        "OpenCV inpainting (detected blemishes)": {
            "threshold": options["inpaint_threshold"],
            "radius": options["inpaint_radius"],
        },
        "bilateral skin smoothing": {
            "diameter": options["smooth_diameter"],
            "sigma_color": options["smooth_sigma_color"],
        },
    }


def tune(method: str, grid: dict, pairs) -> tuple[dict, float]:
    """The grid point with the best mean PSNR on ``pairs`` of (input, ground truth)."""
    if not pairs:
        raise ValueError(f"tune {method!r}: no validation pairs")
    fn = BASELINES[method][0]
    best, best_score = None, -np.inf
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values))
        score = float(np.mean([psnr(fn(inp, **params), gt) for inp, gt in pairs]))
        if score > best_score:
            best, best_score = params, score
    return best, best_score


def score_method(restore, samples) -> dict:
    """Mean metrics of ``restore(input) -> output`` over samples (name, input, gt, mask)."""
    rows, start = [], time.perf_counter()
    for _, inp, gt, mask in samples:
        mask = derived_mask(inp, gt) if mask is None else mask
        rows.append(evaluate_regions(restore(inp), gt, mask))
    seconds = (time.perf_counter() - start) / max(len(samples), 1)
    return {**{k: float(np.nanmean([r[k] for r in rows])) for k in METRIC_KEYS}, "seconds_per_image": seconds}


def compare_retouch(test, val, grids: dict, model=None, model_name: str = "RetouchGUNet") -> list[dict]:
    """One row per method on ``test`` (samples (name, input, gt, mask)): the input, each baseline
    tuned on ``val`` (same form), and ``model`` if given."""
    rows = [{"method": "input (blemished)", "params": "", **score_method(lambda x: x, test)}]
    tuning = [(inp, gt) for _, inp, gt, _ in val]
    for method, grid in grids.items():
        params, _ = tune(method, grid, tuning)
        fn = BASELINES[method][0]
        rows.append({"method": method, "params": params, **score_method(lambda x, p=params, fn=fn: fn(x, **p), test)})
    if model is not None:
        from lib.infer import predict_image

        model.eval()
        rows.append({"method": model_name, "params": "", **score_method(lambda x: predict_image(model, x), test)})
    return rows


def quality_checks(rows: list[dict], tolerance_db: float, model_name: str = "RetouchGUNet") -> dict:
    """The track's two bars on a :func:`compare_retouch` table."""
    by = {r["method"]: r for r in rows}
    if model_name not in by:
        raise ValueError(f"quality_checks: no row {model_name!r} in {list(by)}")
    model, inp = by[model_name], by["input (blemished)"]
    baselines = [r for r in rows if r["method"] in BASELINES]
    best_baseline = max(r["psnr_inside"] for r in baselines)
    return {
        "outside_tolerance_db": tolerance_db,
        "outside_drop_db": inp["psnr_outside"] - model["psnr_outside"],
        "outside_ok": bool(model["psnr_outside"] >= inp["psnr_outside"] - tolerance_db),
        "inside_gain_over_best_baseline_db": model["psnr_inside"] - best_baseline,
        "inside_beats_baselines": bool(model["psnr_inside"] > best_baseline),
    }


# the methods' and the ablation's names as the notebook shows them
METHOD_ZH = {
    "input (blemished)": "输入（有瑕疵）",
    "OpenCV inpainting (detected blemishes)": "OpenCV 修复（检测到的瑕疵）",
    "bilateral skin smoothing": "双边滤波磨皮",
    "RetouchGUNet": "RetouchGUNet",
}
ABLATION_ZH = {
    "input J": "输入 J",
    "I = (J - D) / (1 + K)": "模型输出 I = (J - D) / (1 + K)",
    "K only: J / (1 + K)": "只用 K：J / (1 + K)",
    "D only: J - D": "只用 D：J - D",
}


def method_zh(name: str) -> str:
    """A method's (or an ablation output's) name in Chinese; unknown names unchanged."""
    return METHOD_ZH.get(name, ABLATION_ZH.get(name, name))


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)  # CJK characters take two columns


def format_table(rows: list[dict]) -> str:
    """The comparison table as fixed-width text (one line per method), headers and names in Chinese."""
    head = "方法" + " " * 30 + f"{'PSNR':>8}{'SSIM':>8}{'MS-SSIM':>9}{'瑕疵内':>6}{'瑕疵外':>7}{'每张秒数':>5}"
    lines = [head, "-" * _width(head)]
    for r in rows:
        name = method_zh(r["method"])
        lines.append(
            f"{name}{' ' * max(34 - _width(name), 1)}{r['psnr']:>8.2f}{r['ssim']:>8.4f}{r['ms_ssim']:>9.4f}"
            f"{r['psnr_inside']:>9.2f}{r['psnr_outside']:>10.2f}{r['seconds_per_image']:>9.2f}"
        )
    return "\n".join(lines)


ABLATION_OUTPUTS = ("input J", "I = (J - D) / (1 + K)", "K only: J / (1 + K)", "D only: J - D")


def decomposition_ablation(model, samples) -> list[dict]:
    """Which of the predicted maps helps where: PSNR inside / outside the blemishes of the input,
    the model's output, and the recovery with only K (D set to 0) or only D (K set to 0), each
    rounded to uint8 like a saved image. ``model``: a RetouchGUNet; samples (name, input, gt, mask)."""
    import paddle

    from lib.models.gunet import recover_clean

    scores = {name: {"psnr_inside": [], "psnr_outside": []} for name in ABLATION_OUTPUTS}
    model.eval()
    for _, inp, gt, mask in samples:
        mask = derived_mask(inp, gt) if mask is None else mask
        J = paddle.to_tensor(inp.astype(np.float32).transpose(2, 0, 1)[None] / 255.0)
        with paddle.no_grad():
            K, D, clean = model.decompose(J)
            outputs = (J, clean, recover_clean(J, K, paddle.zeros_like(D), model.k_eps), J - D)
        for name, out in zip(ABLATION_OUTPUTS, outputs):
            image = tensor_to_uint8(out)
            scores[name]["psnr_inside"].append(region_psnr(image, gt, mask))
            scores[name]["psnr_outside"].append(region_psnr(image, gt, ~mask))
    return [{"output": name, **{k: float(np.mean(v)) for k, v in s.items()}} for name, s in scores.items()]
