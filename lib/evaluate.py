"""Scoring restorations on a folder of pairs: the model against the input and classical baselines."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from . import baselines
from .data.pairs import list_pairs, read_image
from .metrics import evaluate_pair


def load_pairs(source, limit: int | None = None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, blurred, sharp) uint8 images of a folder with ground truth, or of a list of
    (name, blur path, gt path) as ``list_pairs`` gives."""
    listed = list_pairs(source) if isinstance(source, (str, Path)) else list(source)
    missing = [name for name, _, g in listed[:limit] if g is None]
    if missing:
        raise ValueError(f"{source}: no ground truth for {missing[:5]}")
    return [(name, read_image(b), read_image(g)) for name, b, g in listed[:limit]]


def score_restorer(restore, pairs) -> dict:
    """Mean PSNR / MS-SSIM / score of ``restore(blurred) -> restored`` over ``pairs``, and seconds per image."""
    rows, start = [], time.perf_counter()
    for _, blur, sharp in pairs:
        rows.append(evaluate_pair(restore(blur), sharp))
    seconds = (time.perf_counter() - start) / max(len(pairs), 1)
    return {**{k: float(np.mean([r[k] for r in rows])) for k in rows[0]}, "seconds_per_image": seconds}


def compare_methods(test_pairs, val_pairs, model=None, methods=None) -> list[dict]:
    """One row per method on ``test_pairs``: the blurred input, each classical baseline with its
    parameters tuned on ``val_pairs`` (by PSNR), and ``model`` if given."""
    from .infer import predict_image

    rows = [{"method": "blurred input", "params": "", **score_restorer(lambda x: x, test_pairs)}]
    tuning = [(blur, sharp) for _, blur, sharp in val_pairs]
    for name in methods or baselines.METHODS:
        params, _ = baselines.tune(name, tuning)
        fn = baselines.METHODS[name][0]
        rows.append({"method": name, "params": params, **score_restorer(lambda x: fn(x, **params), test_pairs)})
    if model is not None:
        model.eval()
        rows.append({"method": "NAFNet", "params": "", **score_restorer(lambda x: predict_image(model, x),
                                                                        test_pairs)})
    return rows
