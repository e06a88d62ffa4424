"""Could a per-page switch between the model's output and the blurred input read better than both?

The demo models read heldout pages worse than the blurred input on average, while they read test_A
far better. If the pages they spoil were recognizable from the blurred input alone, inference could
pass those pages through untouched. This bench answers from recorded 30-page benches
(bench_deblur_strokes.py), with no new OCR:

* the oracle: each page's lower CER of the two, a bound no real switch can beat;
* whether the blurred page's own stroke width (Otsu mask, no ground truth needed, so known at
  inference) ranks the pages the model spoils (Spearman correlation with model CER minus blurred CER);
* a leave-one-split-out switch: "restore only pages whose blurred stroke width is at least t", t chosen
  on the other two splits, read on the third;
* where the loss sits: the model's CER minus the blurred input's on pages with small body text (below
  SMALL_BODY_PX, the generator's layout record) and on the rest, and the pages it spoils most.

    .venv/bin/python lab/bench/bench_deblur_gate_oracle.py     # seconds; lab/bench/results/deblur_gate_oracle.json
    .venv/bin/python lab/bench/bench_deblur_gate_oracle.py --method "shipped + TLC" \
        --out lab/bench/results/deblur_gate_oracle_shipped.json
    .venv/bin/python lab/bench/bench_deblur_gate_oracle.py --tag copies_stroke_s1 --method "copies_stroke_s1_x4 + TLC" \
        --out lab/bench/results/deblur_gate_oracle_copies_stroke_s1.json
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "lab" / "bench"))

from harness import bench_name, run  # noqa: E402  (after the sys.path lines above)

from lab.tracks.deblur.readings import (  # noqa: E402  (after the sys.path lines above)
    BLURRED,
    load_results,
    merged_page_cer,
)
from lab.tracks.deblur.strokes import SHIPPED_BENCH30, SMALL_BODY_PX, bench30_file  # noqa: E402  (after the sys.path lines above)

RESULTS = ROOT / "lab" / "bench" / "results"


def split_benches(tag: str) -> dict[str, list[str]]:
    """Per split, the bench files to merge: the shipped model's (with the blurred input) and the model's (``tag``)."""
    return {s: [base, bench30_file(s, tag)] for s, base in SHIPPED_BENCH30.items()}


def split_pages(files: list[str], split: str, method: str) -> dict:
    """Per page: the model's and the blurred input's CER, the blurred page's stroke width and the body text size."""
    benches = [load_results(RESULTS / f) for f in files]
    cer = merged_page_cer(benches, split)
    if method not in cer:
        raise ValueError(f"{files}: no method {method!r} on {split} (has {sorted(cer)})")
    info = [p for p in benches[-1]["page_info"] if p["split"] == split]
    width = {
        r["page"]: r["stroke_width"] for r in benches[-1]["rows"] if r["split"] == split and r["method"] == BLURRED
    }
    return {
        "model": cer[method],
        "blurred": cer[BLURRED],
        "width": np.array([width[p["page"]] for p in info]),
        "body_px": np.array([p["body_px"] for p in info]),
        "info": info,
    }


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
    parser.add_argument(
        "--tag", default="shake_copies", help="the model's benches: deblur_strokes_<split>30_<tag>.json"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "deblur_gate_oracle.json")
    args = parser.parse_args(argv)
    result = run(bench_name(__file__), lambda: measure_oracle(args), args.out, argv)
    print(f"written {args.out}")
    return result


def measure_oracle(args) -> dict:
    """The figures: per split, the model, the blurred input, the per-page oracle and the width switch."""
    benches = split_benches(args.tag)
    pages = {s: split_pages(files, s, args.method) for s, files in benches.items()}
    by_split = {}
    for s, p in pages.items():
        threshold = best_threshold([q for other, q in pages.items() if other != s])
        rho = spearmanr(p["width"], p["model"] - p["blurred"])
        by_split[s] = {
            "pages": len(p["model"]),
            "model": p["model"].mean(),
            "blurred": p["blurred"].mean(),
            "oracle": np.minimum(p["model"], p["blurred"]).mean(),
            "spearman_width_vs_model_minus_blurred": float(rho.statistic),
            "spearman_p": float(rho.pvalue),
            "switch_threshold_from_other_splits": threshold,
            "switch": switch_cer(p, threshold).mean(),
            "switch_restored_pages": int((p["width"] >= threshold).sum()),
        }
        loss = p["model"] - p["blurred"]
        small = p["body_px"] < SMALL_BODY_PX
        for name, chosen in (("small_body", small), ("other", ~small)):
            by_split[s][f"{name}_pages"] = int(chosen.sum())
            by_split[s][f"{name}_model_minus_blurred"] = float(loss[chosen].mean())
        by_split[s]["most_spoiled"] = [
            {
                "page": p["info"][i]["page"],
                "model_minus_blurred": float(loss[i]),
                "blurred_cer": float(p["blurred"][i]),
                "body_px": int(p["body_px"][i]),
                "kernel": p["info"][i]["kernel"],
            }
            for i in np.argsort(-loss)[:3]
        ]
        r = by_split[s]
        print(
            f"{s:13s} model {r['model']:.3f}  blurred {r['blurred']:.3f}  oracle {r['oracle']:.3f}  "
            f"rho {r['spearman_width_vs_model_minus_blurred']:+.2f} (p {r['spearman_p']:.2f})  "
            f"switch t={threshold:.2f}: {r['switch']:.3f} ({r['switch_restored_pages']} pages restored)  "
            f"model - blurred: body < {SMALL_BODY_PX} px {r['small_body_model_minus_blurred']:+.3f} "
            f"({r['small_body_pages']} pages), other {r['other_model_minus_blurred']:+.3f} ({r['other_pages']})"
        )
        for page in r["most_spoiled"]:
            print(
                f"    spoiled most: {page['page']} {page['model_minus_blurred']:+.3f} "
                f"(blurred {page['blurred_cer']:.3f}), body {page['body_px']} px, kernel {page['kernel']}"
            )
    return {
        "method": args.method,
        "benches": benches,
        "small_body_px": SMALL_BODY_PX,
        "by_split": by_split,
    }


if __name__ == "__main__":
    main()
