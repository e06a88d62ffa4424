"""Scoring this track's restorations: the shared evaluation of blurred pages (:mod:`lib.evaluate`,
also the sdwnet track's) with NAFNet's row, and what the notebooks show of it (which model, method
names in Chinese)."""

from __future__ import annotations

from lib.evaluate.scores import EVAL_SPLITS, load_pairs, readability, readability_summary, score_restorer, split_pages
from lib.evaluate.scores import compare_methods as _compare_methods

MODEL_ROW = "NAFNet"


def compare_methods(test_pairs, val_pairs, model=None, methods=None, model_name: str = MODEL_ROW) -> list[dict]:
    """:func:`lib.evaluate.compare_methods`, the model's row named NAFNet unless ``model_name`` says otherwise."""
    return _compare_methods(test_pairs, val_pairs, model, methods, model_name)


def which_model_zh(path, track=None) -> str:
    """Which model a notebook section shows, from the weights it actually loaded (``path``): the shipped one
    (``checkpoints/``), the learner's published one (``runs/published/``, made by ``make train``) or the learner's
    own training run (``runs/train/``, notebook 03), with its folder relative to the repository."""
    from pathlib import Path

    from lib.paths import shown_path
    from lib.tracks import get_track

    track = track or get_track("deblur")
    path = Path(path).resolve()
    shown = shown_path(path)
    if path.parent == track.shipped_dir.resolve():
        return f"附带模型（`{shown}`）"
    if path.parent.parent.name == "published":  # runs/published/<track>_<model>_<profile>/, any profile
        return f"你的模型（`{shown}`，由 `make train` 发布）"
    return f"你的模型（`{shown}`，你自己的训练）"


# the methods' names in scores and records -> what a learner reads in tables, ticks and legends
METHOD_ZH = {
    "blurred input": "模糊输入",
    "sharp (ground truth)": "清晰原图",
    "unsharp mask": "反锐化掩模",
    "Richardson-Lucy": "Richardson-Lucy 反卷积",
    "Wiener": "Wiener 反卷积",
    "NAFNet": "NAFNet",
    "NAFNet + TLC": "NAFNet + TLC",
}


def method_zh(name: str) -> str:
    """A method's Chinese label (:data:`METHOD_ZH`; a name it lacks is shown as it is)."""
    return METHOD_ZH.get(name, name)


__all__ = [
    "EVAL_SPLITS",
    "METHOD_ZH",
    "MODEL_ROW",
    "compare_methods",
    "load_pairs",
    "method_zh",
    "readability",
    "readability_summary",
    "score_restorer",
    "split_pages",
    "which_model_zh",
]
