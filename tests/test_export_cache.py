"""lib.export.cache: an exported folder per checkpoint sha256 and settings, written once and atomically."""

import threading

import pytest

from lib.export.cache import EXPORT_RECORD, cached_export, export_key


def writer(calls):
    def export(folder):
        calls.append(folder)
        folder.mkdir(parents=True)
        (folder / "model.onnx").write_bytes(b"weights")

    return export


def test_a_folder_is_exported_once_per_checkpoint_and_settings(tmp_path):
    checkpoint = tmp_path / "model.pdparams"
    checkpoint.write_bytes(b"one")
    calls = []
    key = export_key({"model": checkpoint}, {"tlc": {"factor": 2.5}})
    folder, fresh = cached_export(tmp_path / "cache", "toy", key, writer(calls))
    assert fresh and folder.name == f"toy-{key['key']}" and (folder / "model.onnx").read_bytes() == b"weights"
    assert (folder / EXPORT_RECORD).is_file() and len(calls) == 1
    assert cached_export(tmp_path / "cache", "toy", key, writer(calls)) == (folder, False) and len(calls) == 1
    other = export_key({"model": checkpoint}, {"tlc": None})  # another setting: another folder
    assert other["key"] != key["key"]
    checkpoint.write_bytes(b"two")  # the checkpoint changed: exported again
    changed = export_key({"model": checkpoint}, {"tlc": {"factor": 2.5}})
    folder2, fresh2 = cached_export(tmp_path / "cache", "toy", changed, writer(calls))
    assert fresh2 and folder2 != folder and len(calls) == 2


def test_a_shipped_copy_of_the_same_key_is_used_and_another_key_is_exported(tmp_path):
    checkpoint = tmp_path / "model.pdparams"
    checkpoint.write_bytes(b"one")
    key = export_key({"model": checkpoint})
    calls = []
    shipped, _ = cached_export(tmp_path / "bundle", "toy", key, writer(calls))  # what a bundle carries
    assert cached_export(tmp_path / "cache", "toy", key, writer(calls), shipped=[tmp_path / "bundle"]) == (
        shipped,
        False,
    )
    assert len(calls) == 1 and not (tmp_path / "cache").exists()
    checkpoint.write_bytes(b"two")  # the learner's own model: not the shipped copy
    folder, fresh = cached_export(
        tmp_path / "cache", "toy", export_key({"model": checkpoint}), writer(calls), shipped=[tmp_path / "bundle"]
    )
    assert fresh and folder.parent == tmp_path / "cache" and len(calls) == 2
    (shipped / EXPORT_RECORD).unlink()  # an incomplete copy is never used
    folder, fresh = cached_export(tmp_path / "cache", "toy", key, writer(calls), shipped=[tmp_path / "bundle"])
    assert fresh and folder.parent == tmp_path / "cache" and len(calls) == 3


def test_a_failed_export_leaves_nothing_behind(tmp_path):
    checkpoint = tmp_path / "model.pdparams"
    checkpoint.write_bytes(b"one")
    key = export_key({"model": checkpoint})

    def broken(folder):
        folder.mkdir(parents=True)
        (folder / "model.onnx").write_bytes(b"half")
        raise RuntimeError("export failed")

    with pytest.raises(RuntimeError, match="export failed"):
        cached_export(tmp_path / "cache", "toy", key, broken)
    assert list((tmp_path / "cache").iterdir()) == []


def test_two_exports_of_one_key_at_once_end_in_one_complete_folder(tmp_path):
    checkpoint = tmp_path / "model.pdparams"
    checkpoint.write_bytes(b"one")
    key = export_key({"model": checkpoint})
    results, calls, gate = [], [], threading.Barrier(2)

    def export(folder):
        gate.wait(timeout=10)  # both are exporting at the same time
        writer(calls)(folder)

    threads = [
        threading.Thread(target=lambda: results.append(cached_export(tmp_path / "cache", "toy", key, export)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(calls) == 2 and len({folder for folder, _ in results}) == 1
    assert sorted(fresh for _, fresh in results) == [False, True]
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [results[0][0].name]
