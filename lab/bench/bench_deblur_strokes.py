"""Are restored strokes bolder than the originals, and which characters does the OCR then confuse?

The shipped demo model (checkpoints/deblur_nafnet_demo) raises PSNR on test_A, the held-out fonts
and blur, and the scans, but its OCR CER rises on the last two. This bench restores every page of
those three splits of the demo data with NAFNet, NAFNet + TLC (the demo profile's window) and the
unsharp mask with the parameters tuned on validation that the shipped metrics.json records, then
measures (lab.tracks.deblur.readings):

* per page and method, the mean stroke width (2 x mean distance transform on the skeleton - 1, and
  ink area / skeleton length) and the ink fraction of the Otsu text mask; per split and per font
  family, the means and the ratio to the sharp page;
* per split and method, the OCR (RapidOCR, lib.ocr) CER and the top confusions against the
  reference text (the rendered text; on a scan what the OCR reads on the sharp scan).

    nice -n 10 .venv/bin/python lab/bench/bench_deblur_strokes.py      # ~15 minutes on 2 busy cores

Which of the held-out pages' two changes (fonts, blur) costs the reading, and does a milder blur
than training's? ``--cause 8`` measures on generated pages that change one thing each.

Are 6 held-out pages enough to tell a model from the blurred input? ``--heldout 30`` measures on 30
held-out pages instead (the data set's 6 and 24 more drawn the same way, generated under
data/deblur_heldout), and records per page CER and each method's paired difference to the blurred
input and the unsharp mask with a bootstrap interval (lab.tracks.deblur.readings.paired_cer_difference).
``--test-a 30`` does the same with test_A pages (data/deblur_test_a), ``--heldout-tilt 30`` with pages of
the second held-out blur family, a tilted page's defocus in the held-out fonts (data/deblur_heldout_tilt; not
in the data set, so all 30 are drawn for the bench).

Other checkpoints instead of the shipped model (e.g. the claims bench's runs), stroke widths only:

    .venv/bin/python lab/bench/bench_deblur_strokes.py --no-ocr --out lab/bench/results/deblur_strokes_claims.json \
        --models recipe-seed0=runs/claims/recipe-seed0/last.pdparams,\
l1_only-seed0=runs/claims/l1_only-seed0/last.pdparams

The OCR of the blurred, sharp and unsharp pages is the same in every run of the same pages on one machine;
``--reuse-ocr <earlier result>`` takes it from an earlier bench recorded on this machine and reads only the
models (a quarter of the OCR time with one model); the pages and unsharp parameters must match, or it is an error.
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import paddle
from harness import bench_name, make_record, metadata, stamp, write_record  # lab/bench/harness.py, beside this script

from lab.tracks.deblur.data import CAUSE_SPLITS, generate_cause_set, generate_evaluation_set
from lab.tracks.deblur.readings import BLURRED, SHARP, paired_cer_difference
from lab.tracks.deblur.strokes import (
    evaluation_pages,
    ocr_confusions,
    page_cers,
    restore_pages,
    stroke_table,
    summarize_strokes,
)
from lib.infer import predict_image, tlc_model
from lib.paths import generated_data_root
from lib.tracks import get_track
from lib.tracks.deblur import baselines
from lib.tracks.deblur.data import COUNT_KEYS, data_options

RESULTS = Path(__file__).resolve().parent / "results" / "deblur_strokes.json"
UNSHARP = "unsharp mask"


def ensemble_restorer(nets: list, predict=predict_image):
    """Restore with each of ``nets`` and average the uint8 outputs (one net: its own output, unchanged).
    The mean of several random seeds' outputs tells the seeds' variance from what they share."""
    return lambda x: np.clip(
        np.rint(np.mean([predict(net, x).astype(np.float64) for net in nets], axis=0)), 0, 255
    ).astype(np.uint8)


def tuned_unsharp_params(metrics_file: Path) -> dict:
    """The unsharp mask's parameters as tuned on validation, from the shipped metrics.json."""
    methods = json.loads(metrics_file.read_text(encoding="utf-8"))["methods"]
    return next(row["params"] for row in methods if row["method"] == UNSHARP)


BASELINES = (BLURRED, SHARP, UNSHARP)


def reused_baseline_ocr(path: Path, pages: list[dict], unsharp_params: dict) -> dict:
    """The blurred, sharp and unsharp OCR of an earlier bench of the same pages, to skip reading them again.
    The bench is deterministic on one machine, but the OCR can read a page differently on another, so reuse
    a file recorded on this machine. An error names the file when its pages (split, name, order) or its
    unsharp parameters are not this run's: its readings would belong to other images."""
    recorded = json.loads(path.read_text(encoding="utf-8"))
    splits = list(dict.fromkeys(p["split"] for p in pages))
    want = [(p["split"], p["name"]) for p in pages]
    have = [(i["split"], i["page"]) for i in recorded.get("page_info", []) if i["split"] in splits]
    if have != want:
        raise ValueError(
            f"{path}: its pages are not this run's ({len(have)} recorded of splits {splits}, "
            f"{len(want)} here, or another order): cannot reuse its OCR"
        )
    if recorded.get("unsharp_params") != unsharp_params:
        raise ValueError(
            f"{path}: unsharp parameters {recorded.get('unsharp_params')} are not this run's "
            f"{unsharp_params}: cannot reuse its OCR"
        )
    missing = [
        (m, s)
        for m in BASELINES
        for s in splits
        if s not in recorded["ocr"].get(m, {}) and not (m == SHARP and s == "scans")
    ]
    if missing:
        raise ValueError(f"{path}: no OCR of {missing}: cannot reuse it")
    return {m: {s: recorded["ocr"][m][s] for s in splits if s in recorded["ocr"][m]} for m in BASELINES}


def read_pages(
    pages: list[dict], splits: list[str], outputs: dict, top: int, reused: dict | None = None
) -> tuple[dict, float]:
    """OCR CER and top confusions per method and split (``reused``: methods already read, kept as they are);
    and the seconds it took."""
    from lib.ocr import OcrEngine

    engine = OcrEngine()
    start = time.perf_counter()
    # a scan has no rendered text: its reference is what the OCR reads on the sharp scan (as readability())
    references = {
        s: [p["text"] if p["text"] is not None else engine.read(p["sharp"]) for p in pages if p["split"] == s]
        for s in splits
    }
    images = {BLURRED: [p["blurred"] for p in pages], SHARP: [p["sharp"] for p in pages], **outputs}
    ocr = dict(reused or {})
    for method, restored in images.items():
        if method in ocr:
            continue
        # the sharp scan is its own reference: reading it again says nothing
        chosen = {
            s: [img for img, p in zip(restored, pages) if p["split"] == s]
            for s in splits
            if not (method == SHARP and s == "scans")
        }
        ocr[method] = ocr_confusions(engine, chosen, {s: references[s] for s in chosen}, top=top)
        print(f"OCR {method}: " + ", ".join(f"{s} CER {ocr[method][s]['cer']:.3f}" for s in chosen), flush=True)
    ocr_seconds = time.perf_counter() - start
    print(f"OCR: {ocr_seconds:.0f} s", flush=True)
    return ocr, ocr_seconds


def paired_differences(ocr: dict, models: list[str], key: str = "page_cer") -> list[dict]:
    """Each model's per-page CER (``key``) against the blurred input's and the unsharp mask's, per split."""
    rows = []
    for model in models:
        for other in (BLURRED, UNSHARP):
            for split, read in ocr.get(model, {}).items():
                if split in ocr.get(other, {}):
                    rows.append(
                        {
                            "split": split,
                            "method": model,
                            "against": other,
                            **paired_cer_difference(read[key], ocr[other][split][key]),
                        }
                    )
    return rows


def rescore(path: Path) -> dict:
    """Recompute a recorded result's CERs and paired rows from its stored OCR texts (no restoring, no OCR):
    for a change to the CER, e.g. the order-free CER. References: the rendered text of the recorded data."""
    result = json.loads(path.read_text(encoding="utf-8"))
    pages = {s: evaluation_pages(Path(result["data"]), splits=[s]) for s in result["pages"]}
    for by_split in result["ocr"].values():
        for split, read in by_split.items():
            if split == "scans":  # its reference is what the OCR read on the sharp scan, not stored
                raise ValueError(f"{path}: cannot rescore the scans split (its OCR reference is not recorded)")
            read.update(page_cers(read["texts"], [p["text"] for p in pages[split]]))
    models = [m for m in result["ocr"] if m not in (BLURRED, SHARP, UNSHARP)]
    result["paired"] = paired_differences(result["ocr"], models)
    result["paired_order_free"] = paired_differences(result["ocr"], models, "page_cer_order_free")
    result["rescored"] = stamp(["--rescore", str(path)])
    return write_record(path, result)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=generated_data_root("deblur", "demo"))
    parser.add_argument("--limit", type=int, default=None, help="pages per split (default: all)")
    parser.add_argument("--top", type=int, default=15, help="confusions kept per split and method")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--models",
        default=None,
        help="label=checkpoint,... to measure instead of the shipped model (no TLC unless --tlc); "
        "label=a.pdparams+b.pdparams+... restores with the mean of those models' outputs",
    )
    parser.add_argument(
        "--tlc",
        action="store_true",
        help="with --models: each model + TLC (the demo window) instead of the plain model",
    )
    parser.add_argument("--no-ocr", action="store_true", help="stroke widths only")
    parser.add_argument(
        "--reuse-ocr",
        type=Path,
        default=None,
        metavar="RESULT",
        help="take the blurred, sharp and unsharp OCR from RESULT, an earlier bench of the same pages "
        "on this machine, and read only the models",
    )
    parser.add_argument(
        "--cause",
        type=int,
        default=None,
        metavar="PAGES",
        help="instead of the evaluation splits: PAGES pages of each cause split (held-out fonts "
        "with the training blur, training fonts with the held-out blur, the training blur "
        "half as strong), generated under data/deblur_cause",
    )
    parser.add_argument(
        "--heldout",
        type=int,
        default=None,
        metavar="PAGES",
        help="instead of the evaluation splits: PAGES held-out pages (the data set's own first), "
        "generated under data/deblur_heldout",
    )
    parser.add_argument(
        "--test-a",
        type=int,
        default=None,
        metavar="PAGES",
        help="instead of the evaluation splits: PAGES test_A pages (the data set's own first), "
        "generated under data/deblur_test_a",
    )
    parser.add_argument(
        "--heldout-tilt",
        type=int,
        default=None,
        metavar="PAGES",
        help="instead of the evaluation splits: PAGES pages in the held-out fonts blurred as a tilted "
        "page (the blur family that training with train_shake_share never sees), generated "
        "under data/deblur_heldout_tilt",
    )
    parser.add_argument(
        "--rescore",
        type=Path,
        default=None,
        metavar="RESULT",
        help="only recompute RESULT's CERs from its stored OCR texts (e.g. after a change to the CER)",
    )
    args = parser.parse_args(argv)
    if args.rescore:
        return rescore(args.rescore)
    paddle.set_device("cpu")
    meta = metadata(bench_name(__file__), argv)  # the record's date is the start of the measurement

    track = get_track("deblur")
    unsharp_params = tuned_unsharp_params(track.shipped_dir / "metrics.json")
    if args.models:
        checkpoints = dict(item.split("=", 1) for item in args.models.split(","))
        nets = {label: [track.load_model(path) for path in paths.split("+")] for label, paths in checkpoints.items()}
        with_tlc = None
        if args.tlc:  # as the submission's predict.py restores
            nets = {
                f"{label} + TLC": [(with_tlc := tlc_model(net, profile="demo")) for net in group]
                for label, group in nets.items()
            }
        restorers = {label: ensemble_restorer(group) for label, group in nets.items()}
    else:
        checkpoints = {"NAFNet": track.shipped_dir / "model.pdparams"}
        model = track.load_model(checkpoints["NAFNet"])
        with_tlc = tlc_model(model, profile="demo")
        restorers = {"NAFNet": lambda x: predict_image(model, x), "NAFNet + TLC": lambda x: predict_image(with_tlc, x)}
    restorers[UNSHARP] = lambda x: baselines.unsharp(x, **unsharp_params)

    if args.cause:
        args.data = generate_cause_set(
            generated_data_root("deblur", "demo").parent / "deblur_cause", args.cause, "demo"
        )
    more = {"heldout": args.heldout, "test_A": args.test_a, "heldout_tilt": args.heldout_tilt}
    for split, count in more.items():
        if count:
            args.data = generate_evaluation_set(
                generated_data_root("deblur", "demo").parent / f"deblur_{split.lower()}", count, "demo", splits=(split,)
            )
    pages = evaluation_pages(
        args.data,
        splits=list(CAUSE_SPLITS) if args.cause else [s for s, n in more.items() if n] or None,
        limit=args.limit,
    )
    splits = list(dict.fromkeys(p["split"] for p in pages))
    print(f"{len(pages)} pages: " + ", ".join(f"{s} {sum(p['split'] == s for p in pages)}" for s in splits), flush=True)
    seconds = {}
    outputs = {}
    for method, restore in restorers.items():
        start = time.perf_counter()
        outputs.update({k: v for k, v in restore_pages(pages, {method: restore}).items() if k == method})
        seconds[method] = (time.perf_counter() - start) / len(pages)
        print(f"restored with {method}: {seconds[method]:.1f} s / page", flush=True)

    start = time.perf_counter()
    rows = stroke_table(pages, outputs)
    print(f"stroke table: {time.perf_counter() - start:.0f} s", flush=True)
    by_split, by_family = summarize_strokes(rows, "split"), summarize_strokes(rows, "family")
    for r in by_split:
        print(
            f"{r['split']:<8} {r['method']:<22} width {r['stroke_width']:.2f} (x{r['ratio_to_sharp']:.2f})  "
            f"by area {r['stroke_width_by_area']:.2f} (x{r['ratio_to_sharp_by_area']:.2f})  "
            f"at sharp threshold {r['stroke_width_at_sharp_threshold']:.2f}  ink {r['ink_fraction']:.3f}",
            flush=True,
        )

    ocr, ocr_seconds = {}, 0.0
    if not args.no_ocr:
        reused = reused_baseline_ocr(args.reuse_ocr, pages, unsharp_params) if args.reuse_ocr else None
        ocr, ocr_seconds = read_pages(pages, splits, outputs, args.top, reused)

    figures = {
        "models": {label: str(path) for label, path in checkpoints.items()},
        "tlc": with_tlc.tlc if with_tlc is not None else None,
        "unsharp_params": unsharp_params,
        "data": str(args.data),
        "pages": {s: sum(p["split"] == s for p in pages) for s in splits},
        # with --heldout / --test-a: the first pages are the demo data set's own, the rest are more drawn alike
        "dataset_pages": next((data_options("demo").get(COUNT_KEYS.get(s), 0) for s, n in more.items() if n), None),
        "definitions": {
            "stroke_width": "2 x mean(distance_transform_edt(mask)[skeletonize(mask)]) - 1; mask = grey / its "
            "31-px closing < Otsu threshold",
            "stroke_width_by_area": "mask pixels / skeleton pixels",
            "stroke_width_at_sharp_threshold": "stroke_width with the sharp page's Otsu threshold",
            "ratio_to_sharp": "mean over pages of (page width / the sharp page's width)",
            "family": "a page mixes families; it counts under each family its meta json lists",
            "ocr": "RapidOCR (lib.ocr), whitespace runs -> one space, difflib.SequenceMatcher(autojunk=False) "
            "opcodes; replaced runs over 3 chars are 'unaligned'",
        },
        "seconds_per_page": {**seconds, "ocr_all_methods": ocr_seconds / len(pages)},
        **({"ocr_reused_from": {"file": str(args.reuse_ocr), "methods": list(BASELINES)}} if args.reuse_ocr else {}),
        "by_split": by_split,
        "by_family": by_family,
        "rows": rows,
        "page_info": [{"split": p["split"], "page": p["name"], **p["info"]} for p in pages],
        "ocr": ocr,
        "paired": paired_differences(ocr, [m for m in outputs if m != UNSHARP]),
        "paired_order_free": paired_differences(ocr, [m for m in outputs if m != UNSHARP], "page_cer_order_free"),
        "load_average_at_end": os.getloadavg(),
    }
    result = write_record(args.out, make_record(meta, figures))
    print(f"written {args.out}")
    return result


if __name__ == "__main__":
    main()
