"""The web app's seconds per megapixel beside the submission's predict.py on the same images, and its memory.

For each tab (lib.app.restore.tab_names): its example image enlarged to ``--side`` x ``--side`` (bicubic), written
twice into one folder (``page_1.png``, ``page_2.png``: the first warms the runtime, the second is timed).

* **predict.py**: the tab's submission zip built from the same checkpoint (``Deployment.build_submission``),
  unzipped, ``python predict.py SRC DST --timings T`` in a fresh process, as the competition runs it; the second
  image's seconds (reading, restoring, writing).
* **the app**: a child process per measurement (``--run-app time``: its own memory and threads) that calls the
  tab's handler (``lib.app.ui.handlers``) on its example (the tab's first use: the model exported into
  ``runs/app/exported`` if it is not yet, and loaded), then on both pages with OCR off: the second's wall time
  (reading, the model, the classical method, the views) and the model's own seconds (the tab's deployment, as
  lib.app.jobs runs it); OCR timed once per tab of documents. Its restored page is compared with predict.py's
  (largest difference in grey levels).

predict.py and the app alternate, ``--repeats`` times each per tab, the better kept (the machine is shared). Then
one more child (``--run-app memory``) builds the app and reads its resident memory at start, after one request per
tab on the tab's example (each tab's first use loads its model), and after one request per tab on its page.

Writes ``lab/bench/results/app_speed.json``; ``--record-timing`` also writes ``app/timing.json`` (each tab's size
limit and estimates) from the app's numbers.

    .venv/bin/python lab/bench/bench_app_speed.py                      # all tabs at 1000 x 1000 (~15 min)
    .venv/bin/python lab/bench/bench_app_speed.py --tabs denoise --side 512
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # this checkout's lib, not another one the environment points at

import lib.quiet  # noqa: E402, F401 -- after the path above; first: quiets Paddle before anything imports it

import cv2  # noqa: E402 -- after the path above, with the rest
import numpy as np  # noqa: E402
from harness import bench_name, run, run_child  # noqa: E402 -- lab/bench/harness.py, beside this script

RESULTS = Path(__file__).resolve().parent / "results" / "app_speed.json"
PAGES = ("page_1.png", "page_2.png")


def memory_mb() -> dict:
    """This process's resident memory now and at its peak, MB (/proc/self/status)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return {"rss_mb": round(fields.get("VmRSS", 0.0), 1), "peak_rss_mb": round(fields.get("VmHWM", 0.0), 1)}


def write_pages(track: str, side: int, folder: Path) -> Path:
    from lib.app.images import load_image
    from lib.tracks import get_deployment

    image = load_image(get_deployment(track).example_path).rgb
    big = cv2.resize(image, (side, side), interpolation=cv2.INTER_CUBIC)
    src = folder / track / "src"
    src.mkdir(parents=True, exist_ok=True)
    for name in PAGES:
        cv2.imwrite(str(src / name), cv2.cvtColor(big, cv2.COLOR_RGB2BGR))
    return src


# ---------------------------------------------------------------------------------------------- predict.py
def build_zip(track: str, folder: Path) -> Path:
    """The tab's submission from the same checkpoint the app runs, unzipped into ``folder/<track>/zip``."""
    from lib.tracks import get_deployment

    deployment = get_deployment(track)
    out_zip = folder / track / "submission.zip"
    deployment.build_submission(deployment.load_model(), out_zip)
    unzipped = folder / track / "zip"
    with zipfile.ZipFile(out_zip) as archive:
        archive.extractall(unzipped)
    return unzipped


def run_predict(unzipped: Path, src: Path, dst: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    timings = dst.parent / "predict_timings.json"
    proc = subprocess.run(
        [sys.executable, "predict.py", str(src), str(dst), "--quiet", "--timings", str(timings)],
        cwd=unzipped,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"predict.py failed in {unzipped}: {proc.stdout}{proc.stderr}")
    report = json.loads(timings.read_text(encoding="utf-8"))
    by_name = {t["name"]: t for t in report["timings"]}
    timed = by_name[PAGES[1]]
    return {
        "backend": report["backend"],
        "device": report["device"],
        "load_seconds": report["load_seconds"],
        "first_seconds": by_name[PAGES[0]]["seconds"],
        "seconds": timed["seconds"],
        "seconds_per_megapixel": timed["seconds"] / (timed["pixels"] / 1e6),
    }


# ---------------------------------------------------------------------------------------------- the app (children)
def _app_setup(folder: Path):
    from lib.app import ui
    from lib.tracks import deployment as deployments

    # the limits of the speeds recorded before must not refuse the measured size: no record, the app's maximum
    deployments.TIMING_RECORD = folder / "no_timing_record.json"
    return ui


def app_memory_child(tabs: list[str], folder: Path) -> dict:
    """The app's process: its memory at start, with the app built, after one request per tab on the tab's example
    (each tab's first use loads its model; OCR on where a tab has it), then after one request per tab on its
    enlarged page (OCR off)."""
    from lib.tracks import get_deployment

    started = memory_mb()
    ui = _app_setup(folder)
    ui.build_app()
    memory = {"at_start": started, "app_built": memory_mb()}
    handlers = ui.handlers()
    for track in tabs:
        ui.final(handlers[track](str(get_deployment(track).example_path)))
        memory[f"after_{track}"] = memory_mb()
    for track in tabs:
        off = {"ocr": False} if get_deployment(track).ocr else {}
        ui.final(handlers[track](str(folder / track / "src" / PAGES[1]), **off))
    memory["after_a_page_per_tab"] = memory_mb()
    return memory


def app_time_child(track: str, folder: Path) -> dict:
    """One tab in the app's process: its first use on the example, then its handler on both pages with OCR off
    (the second one's wall time), the model's own seconds on the page (the better of two), OCR once."""
    from lib.app.images import load_image
    from lib.app.timing import run_job
    from lib.tracks import get_deployment

    ui = _app_setup(folder)
    deployment = get_deployment(track)
    handler = ui.handlers()[track]
    off = {"ocr": False} if deployment.ocr else {}
    start = time.perf_counter()
    ui.final(handler(str(deployment.example_path), **off))
    first_use = time.perf_counter() - start
    src = folder / track / "src"
    walls, outputs = [], None
    for name in PAGES:
        start = time.perf_counter()
        outputs = ui.final(handler(str(src / name), **off))
        walls.append(time.perf_counter() - start)
    restored = dict(zip(ui.output_names(deployment), outputs))["result"]
    out = folder / track / "app"
    out.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out / PAGES[1]), cv2.cvtColor(restored, cv2.COLOR_RGB2BGR))
    image = load_image(src / PAGES[1]).rgb
    jobs = [run_job(track, image, False) for _ in range(2)]
    megapixels = image.shape[0] * image.shape[1] / 1e6
    row = {
        "first_use_seconds": first_use,
        "handler_seconds": walls[1],
        "handler_seconds_per_megapixel": walls[1] / megapixels,
        "model_seconds": min(job.seconds["restore"] for job in jobs),
        "classical_seconds_per_megapixel": min(job.seconds["classical"] for job in jobs) / megapixels,
        "runtime": jobs[0].result.runtime,
        "model_input": jobs[0].result.model_input,
    }
    row["seconds_per_megapixel"] = row["model_seconds"] / megapixels
    if deployment.ocr:
        ocr = run_job(track, image, True)
        row["ocr_seconds_per_megapixel"] = ocr.seconds["ocr"] / len(ocr.texts) / megapixels
    return row


# ---------------------------------------------------------------------------------------------- the bench
def measure(args) -> dict:
    from lib.app.restore import tab_names

    tabs = args.tabs or tab_names()
    folder = Path(tempfile.mkdtemp(prefix="bench_app_speed_"))
    load_at_start = list(os.getloadavg())

    def child(*argv):
        result, code = run_child([__file__, *argv, "--folder", folder], folder / "child.log", ROOT)
        if result is None:
            log = (folder / "child.log").read_text(encoding="utf-8")[-3000:]
            raise RuntimeError(f"the app's child process failed (exit {code}):\n{log}")
        return result

    try:
        rows = []
        for track in tabs:
            src = write_pages(track, args.side, folder)
            unzipped = build_zip(track, folder)
            # alternated, the better of two each: the machine is shared, its load drifts
            predicts, apps = [], []
            for _ in range(args.repeats):
                predicts.append(run_predict(unzipped, src, folder / track / "predicted"))
                apps.append(child("--run-app", "time", "--tabs", track))
            theirs = min(predicts, key=lambda r: r["seconds_per_megapixel"])
            mine = min(apps, key=lambda r: r["seconds_per_megapixel"])
            ours = cv2.imread(str(folder / track / "app" / PAGES[1])).astype(int)
            zipped = cv2.imread(str(folder / track / "predicted" / PAGES[1])).astype(int)
            row = {
                "tab": track,
                "app_seconds_per_megapixel": mine["seconds_per_megapixel"],
                "app_handler_seconds_per_megapixel": mine["handler_seconds_per_megapixel"],
                "predict_seconds_per_megapixel": theirs["seconds_per_megapixel"],
                "app_over_predict": mine["seconds_per_megapixel"] / theirs["seconds_per_megapixel"],
                "handler_over_predict": mine["handler_seconds_per_megapixel"] / theirs["seconds_per_megapixel"],
                "max_abs_difference_grey_levels": int(np.abs(ours - zipped).max()),
                "app": mine,
                "predict": theirs,
                "all_app_seconds_per_megapixel": [r["seconds_per_megapixel"] for r in apps],
                "all_predict_seconds_per_megapixel": [r["seconds_per_megapixel"] for r in predicts],
            }
            rows.append(row)
            print(f"{track}: {json.dumps({k: v for k, v in row.items() if k not in ('app', 'predict')})}", flush=True)
        memory = child("--run-app", "memory", "--tabs", *tabs)
        return {
            "side": args.side,
            "repeats": args.repeats,
            "threads": "all usable cores in both (lib.infer's default)",
            "load_average_at_start": load_at_start,
            "load_average_at_end": list(os.getloadavg()),
            "rows": rows,
            "memory": memory,
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv=None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tabs", nargs="*", default=None, help="default: every tab")
    parser.add_argument("--side", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--record-timing", action="store_true", help="also write app/timing.json (the app numbers)")
    parser.add_argument("--repeats", type=int, default=2, help="predict.py and the app alternated this often")
    parser.add_argument("--run-app", choices=("time", "memory"), help=argparse.SUPPRESS)  # a child's mode
    parser.add_argument("--folder", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_app == "time":
        print("RESULT " + json.dumps(app_time_child(args.tabs[0], args.folder)), flush=True)
        return None
    if args.run_app == "memory":
        print("RESULT " + json.dumps(app_memory_child(args.tabs, args.folder)), flush=True)
        return None
    record = run(bench_name(__file__), lambda: measure(args), args.out, argv)
    for row in record["rows"]:
        print(
            f"{row['tab']:>12}: app {row['app_seconds_per_megapixel']:.2f} s/MP (handler "
            f"{row['app_handler_seconds_per_megapixel']:.2f}), predict.py {row['predict_seconds_per_megapixel']:.2f} "
            f"s/MP, ratio {row['app_over_predict']:.2f}, max |app - predict.py| {row['max_abs_difference_grey_levels']}"
        )
    print(f"memory: {json.dumps(record['memory'])}")
    if args.record_timing:
        from lib.app.timing import record_timing

        records = [{"tab": row["tab"], **row["app"]} for row in record["rows"]]
        how = (
            f"{record['command']} (commit {record['commit']}, {record['date']}): each tab's example enlarged to "
            f"{args.side} x {args.side} (bicubic) through the tab's handler and work in the app's own process, after "
            f"its first use, the best of {args.repeats} runs alternated with predict.py's; the model (the exported "
            "model, as predict.py runs it), the classical method and one OCR read per megapixel (the slowest tab's); "
            "lab/bench/results/app_speed.json has predict.py beside it"
        )
        print(f"recorded: {record_timing(records, args.side, how=how)}")
    print(f"written {args.out}")
    return record


if __name__ == "__main__":
    main()
