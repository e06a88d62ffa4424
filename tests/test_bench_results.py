"""Every record under lab/bench/results follows the schema of lab/bench/harness.py."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lab" / "bench"))
import harness  # noqa: E402  (lab/bench/ is not a package: its scripts import the harness from beside them)

sys.path.remove(str(ROOT / "lab" / "bench"))
RECORDS = harness.record_paths()


def test_there_are_records():
    assert len(RECORDS) > 100


@pytest.mark.parametrize("path", RECORDS, ids=[p.name for p in RECORDS])
def test_record_validates(path):
    record = harness.load(path)
    assert record["bench"] in benches(), f"{path}: bench {record['bench']!r} has no script"


def test_run_folders_hold_no_records_and_no_weights():
    results = ROOT / "lab" / "bench" / "results"
    for folder in (p for p in results.iterdir() if p.is_dir()):
        assert not list(folder.glob("*.pdparams")) + list(folder.glob("*.pdopt")), f"{folder}: weights in the tree"
        for path in folder.glob("*.json"):
            assert "schema" not in json.loads(path.read_text(encoding="utf-8")), f"{path}: a record in a run folder"


def benches() -> set:
    """The bench names of the scripts, and the retrained models' publish records (made by lib.train)."""
    return {harness.bench_name(p) for p in (ROOT / "lab" / "bench").glob("bench_*.py")} | {"deblur_retrain"}
