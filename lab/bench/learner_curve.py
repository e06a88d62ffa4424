"""The learner's-run curves that lab/bench/bench_learner_curve.py records (notebooks 08 and 09): a recipe trained
from random weights and scored on the held-out set as it goes, minutes on 2 idle cores against dB over the best
classical method. Reading a record, the first point that beats the input and that method, and the figure."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def record_path(track: str, overlay: str, results_dir: Path = RESULTS) -> Path:
    """``lab/bench/results/learner_curve_<track>_<overlay>.json``."""
    return Path(results_dir) / f"learner_curve_{track}_{overlay}.json"


def load(track: str, overlay: str, results_dir: Path = RESULTS) -> dict:
    """The record of experiment ``<track>/<overlay>`` (a FileNotFoundError naming the command that makes it)."""
    path = record_path(track, overlay, results_dir)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: run python lab/bench/bench_learner_curve.py {track}/{overlay}")
    return json.loads(path.read_text(encoding="utf-8"))


def first_win(record: dict) -> dict | None:
    """The first point that beats both the input and the best classical method, or None."""
    return next((p for p in record["points"] if p["vs_input_db"] > 0 and p["vs_best_classical_db"] > 0), None)


def plot(records: dict, mark: tuple | None = None, title: str = ""):
    """Minutes (idle, 2 cores) against dB over the best classical method, one line per record (label ->
    record); ``mark``: (minutes, dB, label) of a run to show on it. Returns the figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    for label, record in records.items():
        points = record["points"]
        ax.plot(
            [p["idle_minutes"] for p in points], [p["vs_best_classical_db"] for p in points], "o-", ms=3, label=label
        )
    if mark is not None:
        ax.plot([mark[0]], [mark[1]], "r*", ms=12, label=mark[2])
    ax.axhline(0, color="k", lw=1, ls="--")
    ax.set_xlabel("训练分钟数（2 个空闲 CPU 核，估算）")
    ax.set_ylabel("减最好的经典方法 (dB)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
