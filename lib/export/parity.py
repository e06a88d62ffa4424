"""How far an exported model is from the dygraph model it came from, judged on the output's scale.

Two judgements, one per kind of output (``JUDGEMENTS``):

* ``"relative"`` (restorations: an image out): :func:`relative_error`, the largest
  ``|exported - dygraph|`` divided by the reference output's largest magnitude (at least 1), at most
  ``RELATIVE_TOLERANCE``;
* ``"decision"`` (segmenters: class logits, or one score whose sign is the class): :func:`flipped_share`,
  the share of pixels whose class changes, a pixel whose top two logits lie within ``TIE_EPSILON`` x
  the map's scale counting as a tie, at most ``FLIP_TOLERANCE``.

Float32 rounding grows with the values a network carries, and a GPU may round more (cuDNN's TF32
convolutions on Ampere and later keep 10-bit mantissas); the dygraph reference runs on the GPU when
there is one, the exported formats on the CPU. A segmenter whose input normalisation lifts its logits
far above 1 then differs from its export by more than any absolute bound fit for images, and still
draws the same mask. The absolute error is recorded beside the judged measure
(``<format>_max_abs_error``), as information.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..infer import DygraphRunner
from .paddle_inference import LEGACY_PREFIX

# About half a step of an 8-bit image (1 / 510) for an output in [0, 1]: an export within it writes
# the same 8-bit pages; above float32 rounding, TF32 included, of the course's networks at full size.
RELATIVE_TOLERANCE = 2e-3
# At most one pixel in a thousand may change class (~7 of the de-occlusion segmenter's 97 x 75 check).
FLIP_TOLERANCE = 1e-3
# A pixel whose top two logits are this close (relative to the map's scale) has no class to keep:
# a difference the restoration bound accepts as rounding could flip it.
TIE_EPSILON = RELATIVE_TOLERANCE

JUDGEMENTS = ("relative", "decision")
# format key in an export's info -> (runtime, file of the format, relative to the exported folder)
FORMATS = {
    "paddle": ("Paddle Inference", "model.json"),
    "paddle_legacy": ("Paddle Inference, pre-PIR", f"{LEGACY_PREFIX}.pdmodel"),
    "onnx": ("ONNX Runtime", "model.onnx"),
}
MEASURES = {
    "relative_error": "max|exported - dygraph| / max(max|dygraph|, 1)",
    "flipped_share": f"share of pixels whose class flips (ties: top-2 logits within {TIE_EPSILON:g} x the scale)",
}


def check_shape(train_size: int | None, factor: float | None) -> tuple[int, int, int, int]:
    """An odd-sized input larger than the TLC window at full resolution (so TLC's local pooling
    is exercised, and NAFNet's padding to 16), for comparing exported models with dygraph."""
    side = max(int((train_size or 64) * (factor or 1.0) * 1.2), 64) | 1
    return (1, 3, side, side + 10)


def check_input(shape=(1, 3, 101, 77), seed: int = 0) -> np.ndarray:
    """The random input (values in [0, 1]) exported models are compared with dygraph on."""
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def _outputs(reference, runner, shape, seed) -> tuple[np.ndarray, np.ndarray]:
    x = check_input(shape, seed)
    expected = DygraphRunner(reference)(x)
    got = runner(x)
    if got.shape != expected.shape:
        raise AssertionError(f"exported model returned shape {got.shape}, dygraph {expected.shape}")
    return expected, got


def output_scale(expected: np.ndarray) -> float:
    """The reference output's largest magnitude, at least 1. The largest rather than the RMS: the
    judgement keeps the worst-pixel view of an absolute check, and equals it for outputs in [0, 1].
    At least 1 (the range of an image): an output near 0 still carries rounding from intermediate
    values of that order, and an all-zero reference divides nothing by zero."""
    return max(float(np.abs(expected).max(initial=0.0)), 1.0)


def relative_error(expected: np.ndarray, got: np.ndarray) -> float:
    """``max|got - expected| / output_scale(expected)``."""
    return float(np.abs(got.astype(np.float64) - expected).max(initial=0.0)) / output_scale(expected)


def flipped_share(expected: np.ndarray, got: np.ndarray, tie: float = TIE_EPSILON) -> float:
    """Share of the pixels of N x C x H x W class logits (C = 1: one score, class = score > 0) whose
    class in ``got`` differs from ``expected``'s; a pixel whose reference top two logits (C = 1: the
    score and 0) are within ``tie`` x :func:`output_scale` of each other is a tie and never counts."""
    if expected.ndim != 4 or expected.shape != got.shape:
        raise ValueError(f"expected two N x C x H x W maps of one shape, got {expected.shape} and {got.shape}")
    if expected.shape[1] == 1:
        before, after = expected[:, 0] > 0, got[:, 0] > 0
        gap = np.abs(expected[:, 0])
    else:
        before, after = expected.argmax(axis=1), got.argmax(axis=1)
        top2 = np.sort(expected, axis=1)[:, -2:]
        gap = top2[:, 1] - top2[:, 0]
    flipped = (before != after) & (gap > tie * output_scale(expected))
    return float(flipped.mean())


def max_abs_error(reference, runner, shape=(1, 3, 101, 77), seed: int = 0) -> float:
    """Largest |runner(x) - reference(x)| on :func:`check_input` (information: judged by :func:`compare`)."""
    expected, got = _outputs(reference, runner, shape, seed)
    return float(np.abs(got - expected).max())


def compare(reference, runner, shape=(1, 3, 101, 77), seed: int = 0, judge: str = "relative") -> dict:
    """``runner`` against the dygraph ``reference`` on :func:`check_input`: ``max_abs_error``,
    ``relative_error`` and, for ``judge="decision"``, ``flipped_share``."""
    if judge not in JUDGEMENTS:
        raise ValueError(f"judge must be one of {JUDGEMENTS}, got {judge!r}")
    expected, got = _outputs(reference, runner, shape, seed)
    measures = {
        "max_abs_error": float(np.abs(got - expected).max()),
        "relative_error": relative_error(expected, got),
    }
    if judge == "decision":
        measures["flipped_share"] = flipped_share(expected, got)
    return measures


def judgement(judge: str = "relative", tolerance: float | None = None, flip_tolerance: float | None = None) -> dict:
    """What an export is judged on (kept in its info and metadata as ``parity``): the measure and its bound."""
    if judge == "relative":
        return {"measure": "relative_error", "bound": RELATIVE_TOLERANCE if tolerance is None else float(tolerance)}
    if judge == "decision":
        bound = FLIP_TOLERANCE if flip_tolerance is None else float(flip_tolerance)
        return {"measure": "flipped_share", "bound": bound, "tie_epsilon": TIE_EPSILON}
    raise ValueError(f"judge must be one of {JUDGEMENTS}, got {judge!r}")


def check_parity(info: dict, label: str | None = None) -> None:
    """Raise if a format of an export's ``info`` (:func:`lib.export.export_model`) is off by more than
    its ``parity`` bound; the message names the network (``label``, also the folder of its files), the
    format and its file, the measure, the value and the bound."""
    measure, bound = info["parity"]["measure"], info["parity"]["bound"]
    for fmt, (runtime, file) in FORMATS.items():
        value = info.get(f"{fmt}_{measure}")
        if value is not None and not value <= bound:
            raise RuntimeError(
                f"exported {label or 'model'} disagrees with dygraph: {runtime} ({Path(label or '') / file}): "
                f"{measure} = {MEASURES[measure]} = {value:.3g} > {bound:g} "
                f"(max|exported - dygraph| = {info.get(f'{fmt}_max_abs_error', float('nan')):.3g})"
            )


def parity_fields(info: dict) -> dict:
    """An export's comparisons for its metadata: per format, the absolute error (information) and the
    judged measure (``None`` for a format not written), then ``parity`` (measure and bound)."""
    measure = info["parity"]["measure"]
    keys = ["max_abs_error", "relative_error"] + (["flipped_share"] if measure == "flipped_share" else [])
    fields = {f"{fmt}_{key}": info.get(f"{fmt}_{key}") for key in keys for fmt in FORMATS}
    fields["parity"] = dict(info["parity"])
    return fields


def parity_summary(info: dict) -> str:
    """One line for a person: each written format's judged measure against its bound, and the absolute error."""
    measure, bound = info["parity"]["measure"], info["parity"]["bound"]
    parts = [
        f"{runtime} {info[f'{fmt}_{measure}']:.2e} (max abs {info[f'{fmt}_max_abs_error']:.2e})"
        for fmt, (runtime, _) in FORMATS.items()
        if info.get(f"{fmt}_{measure}") is not None
    ]
    return f"{measure} ({MEASURES[measure]}) at most {bound:g}: " + ", ".join(parts)
