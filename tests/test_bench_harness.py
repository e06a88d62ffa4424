"""lab/bench/harness.py: a record's round trip, its atomic write, and one clear error per bad key."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lab" / "bench"))
import harness  # noqa: E402  (lab/bench/ is not a package: its scripts import the harness from beside them)

sys.path.remove(str(ROOT / "lab" / "bench"))


def good_record() -> dict:
    return {
        "schema": harness.SCHEMA,
        "bench": "depthwise",
        "command": "bench_depthwise.py --rounds 1",
        "commit": "abc1234",
        "machine": {"cpu": "a CPU", "cpu_count": 2, "usable_cores": 2, "paddle": "3.3.1", "python": "3.11.9"},
        "date": "2026-11-28T13:00:00",
        "rows": [{"formulation": "conv2d NCHW", "ms_median": 12.5}],
    }


def test_run_writes_a_valid_record_that_reads_back(tmp_path):
    out = tmp_path / "results" / "toy.json"
    figures = {"rows": [{"x": 1.25, "n": 3}], "by_split": {"heldout": {"cer": 0.125}}}
    written = harness.run("toy", lambda: figures, out, argv=["--quick"])
    back = harness.load(out)
    assert back == written
    assert back["rows"] == figures["rows"] and back["by_split"] == figures["by_split"]  # figures stay at the top level
    assert back["schema"] == harness.SCHEMA and back["bench"] == "toy"
    assert back["command"].endswith("--quick")
    assert set(harness.MACHINE_KEYS) <= set(back["machine"])
    assert back["commit"] != ""
    assert list(back)[: len(harness.METADATA)] == list(harness.METADATA)


def test_run_refuses_figures_that_reuse_a_metadata_key(tmp_path):
    with pytest.raises(harness.RecordError, match="toy: the figures use metadata key"):
        harness.run("toy", lambda: {"date": "yesterday", "rows": []}, tmp_path / "toy.json")
    assert not (tmp_path / "toy.json").exists()


def test_numpy_values_are_written_as_plain_json(tmp_path):
    np = pytest.importorskip("numpy")
    out = tmp_path / "np.json"
    harness.write_json(out, {"a": np.float32(0.5), "b": np.arange(3), "p": Path("x/y")})
    assert json.loads(out.read_text()) == {"a": 0.5, "b": [0, 1, 2], "p": "x/y"}


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    out = tmp_path / "r.json"
    harness.write_json(out, {"old": 1})
    with pytest.raises(TypeError):
        harness.write_json(out, {"new": object()})  # not JSON: fails half way through serialising
    assert json.loads(out.read_text()) == {"old": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_the_write_replaces_the_file_in_one_rename(tmp_path, monkeypatch):
    out = tmp_path / "r.json"
    harness.write_json(out, {"old": 1})
    seen = []

    def replace(src, dst):  # what is on disk at the moment of the rename
        seen.append((json.loads(Path(src).read_text()), json.loads(Path(dst).read_text())))
        return real(src, dst)

    real = harness.os.replace
    monkeypatch.setattr(harness.os, "replace", replace)
    harness.write_json(out, {"new": 2})
    assert seen == [({"new": 2}, {"old": 1})]
    assert json.loads(out.read_text()) == {"new": 2}


def test_validate_accepts_a_good_record():
    record = good_record()
    assert harness.validate(record, "x.json") is record


@pytest.mark.parametrize("key", harness.METADATA)
def test_validate_names_the_file_and_a_missing_key(key):
    record = good_record()
    del record[key]
    with pytest.raises(harness.RecordError, match=rf"^results/x\.json: missing key '{key}'$"):
        harness.validate(record, "results/x.json")


@pytest.mark.parametrize("key", harness.MACHINE_KEYS)
def test_validate_names_a_missing_machine_key(key):
    record = good_record()
    del record["machine"][key]
    with pytest.raises(harness.RecordError, match=rf"^x\.json: missing key 'machine\.{key}'$"):
        harness.validate(record, "x.json")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("schema", 0, "key 'schema' is 0, expected 1"),
        ("schema", True, "key 'schema' is True, expected 1"),
        ("bench", "", "key 'bench' must be a non-empty string"),
        ("command", None, "key 'command' must be a non-empty string"),
        ("commit", 7, "key 'commit' must be a non-empty string"),
        ("date", "last Tuesday", "key 'date' is 'last Tuesday', not an ISO date"),
        ("machine", "2 CPU cores", "key 'machine' must be an object"),
    ],
)
def test_validate_names_a_bad_value(key, value, message):
    record = good_record()
    record[key] = value
    with pytest.raises(harness.RecordError, match="^x.json: " + message.replace("(", r"\(")):
        harness.validate(record, "x.json")


def test_validate_refuses_a_record_that_is_not_an_object():
    with pytest.raises(harness.RecordError, match="x.json: a record is a JSON object, not list"):
        harness.validate([1, 2], "x.json")


def test_bench_name_is_the_script_without_prefix():
    assert harness.bench_name(ROOT / "lab" / "bench" / "bench_deblur_strokes.py") == "deblur_strokes"


def test_git_commit_outside_a_checkout_is_unknown(tmp_path):
    assert harness.git_commit(tmp_path) == "unknown"


def test_simd_flags_reads_the_cpus_vector_extensions_in_order(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx512f avx2 avx512_bf16 fma\n\n"
        "processor\t: 1\nflags\t\t: fpu sse2\n"
    )
    assert harness.simd_flags(cpuinfo) == ["avx2", "avx512f", "avx512_bf16"]  # the first CPU's, in SIMD_FLAGS' order
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2\n")
    assert harness.simd_flags(cpuinfo) == ["avx2"]
    assert harness.simd_flags(tmp_path / "missing") == []
