"""Would choosing the published checkpoint by validation CER, not PSNR, read the held-out pages better?

A training run keeps one ``best.pdparams``, picked by the validation pages' PSNR-based score. This
bench reads snapshots of one run taken at its validations (``iter<N>.pdparams``: copies of the run's
``last.pdparams`` made beside the training whenever its ``iteration`` reached a multiple of the
validation interval; the engine keeps no such copies itself) and measures for each:

* on the validation pages (the prepared data's ``val/``, the last training pages at test size, the
  training fonts and blur): PSNR, the competition score and the OCR CER (RapidOCR, lib.ocr) of the
  plain model, as a validation hook inside training would compute them;
* on N held-out pages (unseen fonts and camera shake, ``generate_evaluation_set``, the data set's own
  first) restored with the model + TLC as published: the OCR CER per page.

A snapshot already in ``--out`` (the same folder and held-out pages) is not measured again, so the
bench can run beside a training and be called again as new snapshots arrive.

Then it compares the two selection rules (highest validation score, lowest validation CER): which
snapshot each picks and how that snapshot reads the held-out pages, with the paired interval against
the blurred input (lab.tracks.deblur.readings.paired_cer_difference). The held-out pages never choose.

    nice .venv/bin/python lab/bench/bench_deblur_checkpoint_cer.py \\
        --snapshots <folder of iter<N>.pdparams> --heldout 30 \\
        --out lab/bench/results/deblur_checkpoint_cer_w32.json

The last phase of the demo schedule fine-tunes on all data, validation pages included, so snapshots
taken in it have seen the validation pages: their validation numbers are flattered (both rules alike).
"""

from __future__ import annotations

import lib.quiet  # first: quiets Paddle before anything imports it (lib/quiet.py)

import argparse
import json
import re
import time
from pathlib import Path

import paddle
from harness import bench_name, make_record, metadata, write_record  # lab/bench/harness.py, beside this script

from lab.tracks.deblur.data import generate_evaluation_set
from lab.tracks.deblur.readings import paired_cer_difference
from lab.tracks.deblur.strokes import evaluation_pages, page_cers
from lib.infer import predict_image, tlc_model
from lib.metrics import evaluate_pair
from lib.ocr import OcrEngine, reference_text
from lib.paths import generated_data_root
from lib.tracks import get_track
from lib.tracks.deblur.evaluate import load_pairs

RESULTS = Path(__file__).resolve().parent / "results" / "deblur_checkpoint_cer.json"
SNAPSHOT = re.compile(r"iter(\d+)\.pdparams$")


def snapshots(folder: Path) -> dict[int, Path]:
    """``{iteration: path}`` of the ``iter<N>.pdparams`` files in ``folder``, in order."""
    found = {int(m.group(1)): p for p in Path(folder).iterdir() if (m := SNAPSHOT.search(p.name))}
    if not found:
        raise FileNotFoundError(f"{folder}: no iter<N>.pdparams snapshots")
    return dict(sorted(found.items()))


def validation_pages(prepared: Path, source: Path) -> list[dict]:
    """The prepared validation pairs, each with the rendered text of its source training page."""
    return [
        {"name": name, "blurred": blurred, "sharp": sharp, "text": reference_text(Path(source) / "train", name)}
        for name, blurred, sharp in load_pairs(Path(prepared) / "val")
    ]


def read_cers(engine, images: list, pages: list[dict]) -> dict:
    return page_cers([engine.read(img) for img in images], [p["text"] for p in pages])


def pick(rows: list[dict], key: str, best) -> dict:
    """The row a selection rule keeps: ``best`` (max or min) of ``key``, the earliest on a tie."""
    target = best(r[key] for r in rows)
    return next(r for r in rows if r[key] == target)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=Path, required=True, help="folder of iter<N>.pdparams of one run")
    parser.add_argument("--heldout", type=int, default=30, metavar="PAGES", help="held-out pages (default 30)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    paddle.set_device("cpu")
    meta = metadata(bench_name(__file__), argv)  # one stamp for the partial records and the final one

    track, engine = get_track("deblur"), OcrEngine()
    demo_root = generated_data_root("deblur", "demo")
    val = validation_pages(demo_root.parent / "deblur-prepared", demo_root)
    heldout_root = generate_evaluation_set(
        demo_root.parent / "deblur_heldout", args.heldout, "demo", splits=("heldout",)
    )
    heldout = evaluation_pages(heldout_root, splits=["heldout"])
    print(f"{len(val)} validation pages, {len(heldout)} held-out pages", flush=True)
    # a snapshot already measured in --out (same folder and held-out pages) is kept, not measured again
    done, inputs = {}, None
    if args.out.is_file():
        previous = json.loads(args.out.read_text(encoding="utf-8"))
        if previous.get("heldout_pages") == len(heldout) and previous.get("snapshots") == str(args.snapshots):
            done, inputs = {r["iteration"]: r for r in previous["rows"]}, previous.get("blurred")
    if inputs is None:
        inputs = {
            "val": read_cers(engine, [p["blurred"] for p in val], val),
            "heldout": read_cers(engine, [p["blurred"] for p in heldout], heldout),
        }
    print(f"blurred input: val CER {inputs['val']['cer']:.3f}, heldout CER {inputs['heldout']['cer']:.3f}", flush=True)
    rows = []
    for iteration, path in snapshots(args.snapshots).items():
        if iteration in done:
            rows.append(done[iteration])
            continue
        start = time.perf_counter()
        model = track.load_model(path)
        restored_val = [predict_image(model, p["blurred"]) for p in val]
        quality = [evaluate_pair(r, p["sharp"]) for r, p in zip(restored_val, val)]
        with_tlc = tlc_model(model, profile="demo")
        val_read = read_cers(engine, restored_val, val)
        held_read = read_cers(engine, [predict_image(with_tlc, p["blurred"]) for p in heldout], heldout)
        row = {
            "iteration": iteration,
            "checkpoint": str(path),
            "val_psnr": sum(q["psnr"] for q in quality) / len(quality),
            "val_score": sum(q["score"] for q in quality) / len(quality),
            "val_cer": val_read["cer"],
            "val_page_cer": val_read["page_cer"],
            "heldout_cer": held_read["cer"],
            "heldout_page_cer": held_read["page_cer"],
            "heldout_minus_blurred": paired_cer_difference(held_read["page_cer"], inputs["heldout"]["page_cer"]),
            "seconds": time.perf_counter() - start,
        }
        rows.append(row)
        print(
            f"iter {iteration}: val PSNR {row['val_psnr']:.2f} score {row['val_score']:.4f} CER {row['val_cer']:.3f} | "
            f"heldout + TLC CER {row['heldout_cer']:.3f} ({row['seconds']:.0f} s)",
            flush=True,
        )
        write_record(
            args.out,
            make_record(
                meta,
                {
                    "snapshots": str(args.snapshots),
                    "heldout_pages": len(heldout),  # so far
                    "blurred": inputs,
                    "rows": rows,
                },
            ),
        )

    by_score, by_cer = pick(rows, "val_score", max), pick(rows, "val_cer", min)
    figures = {
        "snapshots": str(args.snapshots),
        "heldout_data": str(heldout_root),
        "heldout_pages": len(heldout),
        "validation_pages": [p["name"] for p in val],
        "blurred": inputs,
        "rows": rows,
        "selection": {
            "by_val_score": by_score["iteration"],
            "by_val_cer": by_cer["iteration"],
            "cer_pick_minus_score_pick_heldout": paired_cer_difference(
                by_cer["heldout_page_cer"], by_score["heldout_page_cer"]
            ),
        },
    }
    result = write_record(args.out, make_record(meta, figures))
    print(json.dumps(result["selection"], indent=1), flush=True)
    return result


if __name__ == "__main__":
    main()
