"""Could a per-page switch between the model's output and the blurred input read better than both?

The demo models read heldout pages worse than the blurred input on average, while they read test_A
far better. If the pages they spoil were recognizable from the blurred input alone, inference could
pass those pages through untouched. This bench answers from recorded 30-page benches
(bench_deblur_strokes.py), with no new OCR:

* the oracle: each page's lower CER of the two, a bound no real switch can beat;
* whether the blurred page's own stroke width (Otsu mask, no ground truth needed, so known at
  inference) ranks the pages the model spoils (Spearman correlation with model CER minus blurred CER);
* a leave-one-split-out switch: "restore only pages whose blurred stroke width is at least t", t chosen
  on the other two splits, read on the third.

    .venv/bin/python bench/bench_deblur_gate_oracle.py     # seconds; bench/results/deblur_gate_oracle.json
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from lib.tracks.deblur.strokes import load_results, merged_page_cer  # noqa: E402
from record import stamp, write_json  # noqa: E402

RESULTS = ROOT / "bench" / "results"
BLURRED = "blurred input"
# split: the benches that hold the model's and the blurred input's per-page CER
SPLITS = {"heldout": ["deblur_strokes_heldout30.json", "deblur_strokes_heldout30_shake_copies.json"],
          "heldout_tilt": ["deblur_strokes_heldout_tilt30_shipped.json", "deblur_strokes_heldout_tilt30_shake_copies.json"],
          "test_A": ["deblur_strokes_test_a30.json", "deblur_strokes_test_a30_shake_copies.json"]}


def split_pages(files: list[str], split: str, method: str) -> dict:
    """Per page: the model's and the blurred input's CER and the blurred page's stroke width."""
    benches = [load_results(RESULTS / f) for f in files]
    cer = merged_page_cer(benches, split)
    if method not in cer:
        raise ValueError(f"{files}: no method {method!r} on {split} (has {sorted(cer)})")
    names = [p["page"] for p in benches[-1]["page_info"] if p["split"] == split]
    width = {r["page"]: r["stroke_width"] for r in benches[-1]["rows"] if r["split"] == split and r["method"] == BLURRED}
    return {"model": cer[method], "blurred": cer[BLURRED], "width": np.array([width[n] for n in names])}


def switch_cer(pages: dict, threshold: float) -> np.ndarray:
    """Each page's CER when only pages whose blurred stroke width is at least ``threshold`` are restored."""
    return np.where(pages["width"] >= threshold, pages["model"], pages["blurred"])


def best_threshold(pages: list[dict]) -> float:
    """The threshold with the lowest mean CER over the given pages (ties: the lowest threshold)."""
    widths = np.concatenate([p["width"] for p in pages])
    candidates = np.concatenate([[-np.inf], np.unique(widths), [np.inf]])
    means = [np.concatenate([switch_cer(p, t) for p in pages]).mean() for t in candidates]
    return float(candidates[int(np.argmin(means))])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", default="shake_copies_x4 + TLC", help="the model's method name in the benches")
    parser.add_argument("--out", type=Path, default=RESULTS / "deblur_gate_oracle.json")
    args = parser.parse_args(argv)

    pages = {s: split_pages(files, s, args.method) for s, files in SPLITS.items()}
    by_split = {}
    for s, p in pages.items():
        threshold = best_threshold([q for other, q in pages.items() if other != s])
        rho = spearmanr(p["width"], p["model"] - p["blurred"])
        by_split[s] = {"pages": len(p["model"]), "model": p["model"].mean(), "blurred": p["blurred"].mean(),
                       "oracle": np.minimum(p["model"], p["blurred"]).mean(),
                       "spearman_width_vs_model_minus_blurred": float(rho.statistic), "spearman_p": float(rho.pvalue),
                       "switch_threshold_from_other_splits": threshold, "switch": switch_cer(p, threshold).mean(),
                       "switch_restored_pages": int((p["width"] >= threshold).sum())}
        r = by_split[s]
        print(f"{s:13s} model {r['model']:.3f}  blurred {r['blurred']:.3f}  oracle {r['oracle']:.3f}  "
              f"rho {r['spearman_width_vs_model_minus_blurred']:+.2f} (p {r['spearman_p']:.2f})  "
              f"switch t={threshold:.2f}: {r['switch']:.3f} ({r['switch_restored_pages']} pages restored)")
    result = {"method": args.method, "benches": SPLITS, "by_split": by_split, **stamp(argv)}
    write_json(args.out, result)
    print(f"written {args.out}")
    return result


if __name__ == "__main__":
    main()
