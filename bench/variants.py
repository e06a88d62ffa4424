"""Run named variants of an experiment side by side, each in its own process (one CPU core each),
and collect the JSON result each prints as its last ``RESULT {...}`` line. Shared by the recipe
benches (bench_recipe.py, bench_retouch_recipe.py); results are merged by name into a JSON file so
that rounds run at different times add up."""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_variants(script: str, names: list[str], args: list[str], parallel: int, log_dir: Path) -> list[dict]:
    """``python script --run NAME *args`` for every name, ``parallel`` at a time; the results of the
    runs that succeeded (a failed run prints where its log is)."""
    log_dir.mkdir(parents=True, exist_ok=True)

    def launch(name):
        log = log_dir / f"{name}.log"
        with open(log, "w") as f:
            proc = subprocess.run([sys.executable, script, "--run", name, *args],
                                  stdout=subprocess.PIPE, stderr=f, text=True, cwd=ROOT)
        found = [line[7:] for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        if proc.returncode or not found:
            print(f"{name}: failed (exit {proc.returncode}), see {log}", flush=True)
            return None
        result = json.loads(found[-1])
        print(f"{name}: done in {result['train_minutes']:.1f} min, {result['summary']}", flush=True)
        return result

    with ThreadPoolExecutor(parallel) as pool:
        return [r for r in pool.map(launch, names) if r]


def merge_results(path: Path, done: list[dict], order: list[str], **header) -> list[dict]:
    """Add or replace ``done`` by name in the JSON file ``path``; returns every run in ``order``."""
    previous = json.loads(path.read_text()) if path.is_file() else {"runs": []}
    runs = {r["name"]: r for r in previous["runs"]}
    runs.update({r["name"]: r for r in done})
    ordered = [runs[n] for n in order if n in runs]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**header, "runs": ordered}, indent=1) + "\n")
    tmp.replace(path)
    return ordered


def main(doc: str, script: str, variants: dict, run_one, table, results: Path, log_dir: Path,
         minutes: float | None = None) -> int:
    """The command line of a recipe bench: ``--only a,b``, ``--parallel N`` (and ``--minutes X`` where
    the runs are of equal wall-clock, ``minutes`` its default); prints the merged table."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if minutes is not None:
        parser.add_argument("--minutes", type=float, default=minutes, help="training wall-clock per variant")
    parser.add_argument("--parallel", type=int, default=2, help="variants at once (one core each)")
    parser.add_argument("--only", default=None, help="comma-separated variant names (default: all)")
    parser.add_argument("--run", default=None, help=argparse.SUPPRESS)  # internal: one variant, JSON to stdout
    args = parser.parse_args()
    extra = {"minutes": args.minutes} if minutes is not None else {}
    if args.run:
        print("RESULT " + json.dumps(run_one(args.run, **extra)), flush=True)
        return 0
    names = args.only.split(",") if args.only else list(variants)
    unknown = [n for n in names if n not in variants]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; known: {', '.join(variants)}")
    done = run_variants(script, names, [a for k, v in extra.items() for a in (f"--{k}", str(v))], args.parallel, log_dir)
    print(table(merge_results(results, done, list(variants), machine="2 CPU cores, Paddle CPU")))
    return 0 if len(done) == len(names) else 1
