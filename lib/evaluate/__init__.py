"""Evaluation of restored blurred pages, shared by every track that restores them.

* :mod:`~lib.evaluate.deconvolution`: the classical baselines a learned model must beat (unsharp
  masking, Richardson-Lucy and Wiener deconvolution), tuned on validation pairs by PSNR;
* :mod:`~lib.evaluate.scores`: a model against the input and those baselines on a folder of pairs,
  and readability (PSNR / MS-SSIM / OCR CER) on the evaluation splits of generated document pages.
"""

from __future__ import annotations

from .scores import (
    EVAL_SPLITS,
    compare_methods,
    load_pairs,
    readability,
    readability_summary,
    score_restorer,
    split_pages,
)

__all__ = [
    "EVAL_SPLITS",
    "compare_methods",
    "load_pairs",
    "readability",
    "readability_summary",
    "score_restorer",
    "split_pages",
]
