"""Every retraining candidate of the readability work, read against the goal in one table.

Each candidate is a change to the demo recipe (data, loss, width, schedule) trained with the course's command at one or
more train seeds and read by ``lab/bench/bench_deblur_strokes.py`` on the same 30 pages per split (``--heldout 30``,
``--heldout-tilt 30``, ``--test-a 30``, with TLC). Its seeds are pooled page by page (each page's CER averaged over
the seeds, so one page counts once), then compared with the blurred input and with unsharp masking by
:func:`~lab.tracks.deblur.readings.paired_cer_difference`. The goal asks the model to read below both on every split.
The seed ensembles (several models at once) and the held-out-fonts diagnostic (its training saw the held-out fonts)
are not candidates and are left out.

    python -m lab.tracks.deblur.candidates          # prints the table from lab/bench/results

The candidates are the overlays of ``lab/tracks/deblur/overlays/*.yaml``, each with its ``candidate:`` block.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from lab.experiments.config import CANDIDATE_KEY
from lab.tracks.deblur.readings import BLURRED, SHARP, merged_page_cer, paired_cer_difference
from lab.tracks.deblur.strokes import BENCH30_TAGS, CROSS_MACHINE_PAGE_CER_TOLERANCE, SHIPPED_BENCH30

EXPERIMENTS = Path(__file__).resolve().parent / "overlays"
BENCH_RESULTS = EXPERIMENTS.parents[3] / "lab" / "bench" / "results"
SPLITS = ("heldout", "heldout_tilt", "test_A")
UNSHARP = "unsharp mask"
STROKE_TOLERANCE = 0.10  # the goal: restored stroke width within 10 % of the sharp page's


@dataclass(frozen=True)
class Candidate:
    name: str  # English, for the bench files and logs
    label_zh: str  # for notebook 04
    methods: dict  # train seed -> the bench's method name (the run's label + " + TLC")
    experiment: str = ""  # its overlay, e.g. "deblur/02_wide" (python -m lab.experiments.train)


def load_candidates(folder=EXPERIMENTS) -> tuple[Candidate, ...]:
    """Every candidate: one per overlay ``<folder>/*.yaml`` that has a ``candidate:`` block, in file-name order (the
    files are numbered in the order the study tried them)."""
    candidates = []
    for path in sorted(Path(folder).glob("*.yaml")):
        block = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(CANDIDATE_KEY)
        if block is None:
            continue
        try:
            methods = {int(seed): run["method"] for seed, run in block["seeds"].items()}
            candidates.append(Candidate(block["name"], block["label_zh"], methods, f"deblur/{path.stem}"))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ValueError(
                f"{path}: a candidate needs name, label_zh and seeds {{seed: {{method: ...}}}} ({err!r})"
            ) from err
    return tuple(candidates)


CANDIDATES = load_candidates()


def bench_files(split: str, results_dir=None) -> list[Path]:
    """The recorded 30-page benches of ``split`` (``deblur_strokes_<tag>*.json``), the shipped model's first (its
    blurred, sharp and unsharp CERs are the ones kept, as in notebook 04's other tables)."""
    if split not in BENCH30_TAGS:
        raise ValueError(f"bench_files: split must be one of {sorted(BENCH30_TAGS)}, got {split!r}")
    folder = Path(results_dir or BENCH_RESULTS)
    tag = BENCH30_TAGS[split]
    files = sorted(folder.glob(f"deblur_strokes_{tag}.json")) + sorted(folder.glob(f"deblur_strokes_{tag}_*.json"))
    files.sort(key=lambda path: path.name != SHIPPED_BENCH30[split])  # stable: the shipped model's bench first
    if not files:
        raise FileNotFoundError(
            f"{folder}: no 30-page bench of {split} (deblur_strokes_{tag}*.json); "
            f"run lab/bench/bench_deblur_strokes.py --{split.replace('_', '-').lower()} 30 first"
        )
    return files


def load_benches(split: str, results_dir=None) -> list[dict]:
    """The recorded 30-page benches of ``split``, in :func:`bench_files`' order."""
    results = []
    for path in bench_files(split, results_dir):
        try:
            results.append(json.loads(path.read_text(encoding="utf-8")))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not a JSON bench record ({err})") from err
    return results


def page_cers(
    split: str, results_dir=None, tolerance: float = CROSS_MACHINE_PAGE_CER_TOLERANCE, benches: list[dict] | None = None
) -> dict[str, np.ndarray]:
    """Every method's per-page CER on ``split``, merged over all its recorded benches (recorded on two machines,
    hence the cross-machine tolerance for the methods they share)."""
    return merged_page_cer(load_benches(split, results_dir) if benches is None else benches, split, tolerance)


def stroke_ratios(benches: list[dict], split: str) -> dict[str, float]:
    """Every method's restored stroke width as a multiple of the sharp page's (mean over the pages), first bench
    first."""
    ratios: dict[str, float] = {}
    for bench in benches:
        for row in bench.get("by_split", []):
            if row["split"] == split:
                ratios.setdefault(row["method"], float(row["ratio_to_sharp"]))
    return ratios


def pooled_cer(cer: dict[str, np.ndarray], candidate: Candidate) -> tuple[np.ndarray, list[int]] | None:
    """Each page's CER averaged over the candidate's seeds read on this split, and those seeds; None if none was."""
    seeds = [seed for seed, method in sorted(candidate.methods.items()) if method in cer]
    if not seeds:
        return None
    return np.mean([cer[candidate.methods[seed]] for seed in seeds], axis=0), seeds


def scoreboard(results_dir=None, candidates=CANDIDATES, splits=SPLITS) -> list[dict]:
    """One row per candidate and split: seeds read, pooled mean CER (and the blurred input's and the sharp page's),
    the pooled per-page difference from the blurred input and from unsharp masking (:func:`paired_cer_difference`),
    and the stroke width as a multiple of the sharp page's averaged over the seeds (None if a bench did not record
    it). A candidate none of whose methods a split's benches hold gets no row there; one that no split holds is an
    error (a misspelt method name)."""
    benches = {split: load_benches(split, results_dir) for split in splits}
    cers = {split: page_cers(split, benches=benches[split]) for split in splits}
    ratios = {split: stroke_ratios(benches[split], split) for split in splits}
    rows = []
    for candidate in candidates:
        found = False
        for split in splits:
            pooled = pooled_cer(cers[split], candidate)
            if pooled is None:
                continue
            found = True
            cer, seeds = pooled
            rows.append(
                {
                    "candidate": candidate.name,
                    "label_zh": candidate.label_zh,
                    "split": split,
                    "seeds": seeds,
                    "pages": int(cer.size),
                    "mean_cer": float(cer.mean()),
                    "blurred_cer": float(cers[split][BLURRED].mean()),
                    "sharp_cer": float(cers[split][SHARP].mean()),
                    "vs_blurred": paired_cer_difference(cer, cers[split][BLURRED]),
                    "vs_unsharp": paired_cer_difference(cer, cers[split][UNSHARP]),
                    "stroke_ratio": (
                        float(np.mean([ratios[split][candidate.methods[seed]] for seed in seeds]))
                        if all(candidate.methods[seed] in ratios[split] for seed in seeds)
                        else None
                    ),
                }
            )
        if not found:
            raise KeyError(
                f"scoreboard: no bench in {results_dir or BENCH_RESULTS} holds any method of "
                f"{candidate.name!r} ({sorted(candidate.methods.values())})"
            )
    return rows


def reads_below(difference: dict) -> bool:
    """Whether the pages resolve a lower CER: the whole 95 % interval of the difference lies below 0."""
    return difference["high"] < 0


def goal_status(rows: list[dict], splits=SPLITS) -> dict[str, dict]:
    """Per candidate: whether its pooled mean CER is below the blurred input's on every split it was read on,
    whether it is resolved below on every one (the interval), whether its mean is at or below unsharp masking's on
    every one, whether its strokes are within 10 % of the sharp width on every one; and the splits it was not read
    on."""
    status: dict[str, dict] = {}
    for row in rows:
        entry = status.setdefault(
            row["candidate"],
            {
                "label_zh": row["label_zh"],
                "mean_below": True,
                "resolved_below": True,
                "at_or_below_unsharp": True,
                "strokes_within_10_percent": True,
                "splits": [],
            },
        )
        entry["splits"].append(row["split"])
        entry["mean_below"] &= row["vs_blurred"]["mean_difference"] < 0
        entry["resolved_below"] &= reads_below(row["vs_blurred"])
        entry["at_or_below_unsharp"] &= row["vs_unsharp"]["mean_difference"] <= 0
        entry["strokes_within_10_percent"] &= (
            row["stroke_ratio"] is not None and abs(row["stroke_ratio"] - 1) <= STROKE_TOLERANCE
        )
    for entry in status.values():
        entry["missing"] = [s for s in splits if s not in entry["splits"]]
    return status


def _interval(d: dict) -> str:
    text = f"{d['mean_difference']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]"
    return f"**{text}**" if reads_below(d) else text


AGAINST = {
    "vs_blurred": ("减模糊输入", "minus blurred"),
    "vs_unsharp": ("减反锐化掩模", "minus unsharp"),
    "stroke_ratio": ("笔画宽 / 清晰", "stroke width / sharp"),
}


def _stroke(ratio: float | None) -> str:
    if ratio is None:
        return "?"
    text = f"x{ratio:.2f}"
    return f"**{text}**" if abs(ratio - 1) <= STROKE_TOLERANCE else text


def scoreboard_markdown(rows: list[dict], splits=SPLITS, against: str = "vs_blurred", zh: bool = True) -> str:
    """The table: one line per candidate, per split its seeds, pooled mean CER and the difference from the blurred
    input (``against="vs_unsharp"``: from unsharp masking) [95 %], bold when the whole interval lies below 0;
    ``against="stroke_ratio"``: the stroke width as a multiple of the sharp page's, bold when within 10 %."""
    if against not in AGAINST:
        raise ValueError(f"scoreboard_markdown: against must be one of {sorted(AGAINST)}, got {against!r}")
    by = {(r["candidate"], r["split"]): r for r in rows}
    names = list(dict.fromkeys(r["candidate"] for r in rows))
    sep = "；" if zh else "; "
    head = "改法（逐页平均其随机种子）" if zh else "candidate (its seeds pooled per page)"
    what = AGAINST[against][0 if zh else 1] + ("" if against == "stroke_ratio" else " [95%]" if zh else " [95 %]")
    cell = sep.join(("随机种子", "平均 CER", what) if zh else ("seeds", "mean CER", what))
    lines = [
        f"| {head} | " + " | ".join(f"{s}{'：' if zh else ': '}{cell}" for s in splits) + " |",
        "|---" * (len(splits) + 1) + "|",
    ]
    for key, label in (
        ("sharp_cer", "清晰原图" if zh else "sharp page"),
        ("blurred_cer", "模糊输入" if zh else "blurred input"),
    ):
        cer = {s: next((r[key] for r in rows if r["split"] == s), None) for s in splits}
        lines.append(f"| {label} | " + " | ".join("" if cer[s] is None else f"{cer[s]:.3f}" for s in splits) + " |")
    for name in names:
        label = next(r["label_zh"] for r in rows if r["candidate"] == name) if zh else name
        cells = [
            "—"
            if (r := by.get((name, s))) is None
            else sep.join(
                (
                    "+".join(map(str, r["seeds"])),
                    f"{r['mean_cer']:.3f}",
                    _stroke(r[against]) if against == "stroke_ratio" else _interval(r[against]),
                )
            )
            for s in splits
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_scoreboard(rows: list[dict], splits=SPLITS, axes=None, zh: bool = True):
    """Each candidate's pooled difference from the blurred input with its 95 % interval, one panel per split;
    left of the dashed line reads better than the blurred input."""
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r["candidate"] for r in rows))
    labels = {r["candidate"]: (r["label_zh"] if zh else r["candidate"]) for r in rows}
    if axes is None:
        _, axes = plt.subplots(1, len(splits), figsize=(4.2 * len(splits), 0.32 * len(names) + 1.2), sharey=True)
    by = {(r["candidate"], r["split"]): r for r in rows}
    for ax, split in zip(np.atleast_1d(axes), splits):
        for y, name in enumerate(names):
            r = by.get((name, split))
            if r is None:
                continue
            d = r["vs_blurred"]
            colour = "tab:green" if reads_below(d) else "tab:red" if d["low"] > 0 else "tab:grey"
            ax.errorbar(
                d["mean_difference"],
                y,
                xerr=[[d["mean_difference"] - d["low"]], [d["high"] - d["mean_difference"]]],
                fmt="o",
                color=colour,
                capsize=2,
                markersize=4,
            )
        ax.axvline(0, color="k", linestyle="--", linewidth=0.8)
        ax.set_title(split)
        ax.set_xlabel("CER − 模糊输入" if zh else "CER minus blurred input")
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels([labels[n] for n in names])
        ax.invert_yaxis()
    return axes


if __name__ == "__main__":
    board = scoreboard()
    print(scoreboard_markdown(board, zh=False))
    status = goal_status(board)
    print(f"\nbelow the blurred input on every split read (mean): {[n for n, s in status.items() if s['mean_below']]}")
    print(
        f"resolved below on every split read (95 % interval): {[n for n, s in status.items() if s['resolved_below']]}"
    )
    at_or_below = [n for n, s in status.items() if s["at_or_below_unsharp"]]
    print(f"at or below unsharp masking on every split read (mean): {at_or_below}")
    print("\n" + scoreboard_markdown(board, against="stroke_ratio", zh=False))
    print(
        f"\nstrokes within 10 % of sharp on every split read: "
        f"{[n for n, s in status.items() if s['strokes_within_10_percent']]}"
    )
