"""Every submission's predict.py survives faults: a damaged or unreadable model file of one backend
(the other one runs and says why), a backend failing mid-folder (the other takes over, written
images stay), damaged metadata, a truncated JPEG, a bad output folder (told before any model loads);
and the zip records which model formats it holds. The single-network zip (tests/conftest.py
``tiny_submission``) runs as the competition runs it, in a fresh process from the unzipped folder;
the de-occlusion one's faults are in tests/tracks/deocclusion/test_deocclusion_submission_faults.py."""

import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import paddle
import pytest
from submission_helpers import damage, fresh_copy, run
from tiny_nafnet import TINY_OVERLAP, TINY_PATCH, TINY_TILE_PIXELS

from lib.export import model_files
from lib.infer import STANDALONE, ImageError, OnnxRunner, backends, predict_image, read_image_file, tlc_model
from lib.submission import predict

pytestmark = pytest.mark.slow  # exports and submissions end to end: seconds each


def write_pages(folder: Path, count: int, shape=(45, 67)) -> dict:
    """``count`` random PNG pages; returns {name: RGB pixels}."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(len(list(folder.iterdir())))
    pages = {}
    for k in range(count):
        rgb = cv2.resize(rng.integers(0, 256, (9, 13, 3), dtype=np.uint8), shape[::-1])
        cv2.imwrite(str(folder / f"page {k}.png"), rgb[:, :, ::-1])
        pages[f"page {k}.png"] = rgb
    return pages


def assert_deblurred(out: Path, pages: dict, tiny_nafnet) -> None:
    """The outputs are the dygraph TLC model's (within rounding)."""
    converted = tlc_model(tiny_nafnet, 2.5, TINY_PATCH)
    for name, rgb in pages.items():
        expected = predict_image(converted, rgb, "tiles", tile_pixels=TINY_TILE_PIXELS, overlap=TINY_OVERLAP)
        got = cv2.imread(str(out / name))[:, :, ::-1]
        assert np.abs(got.astype(int) - expected).max() <= 1, name


# ------------------------------------------------------------------ the deblurring predict.py


@pytest.mark.parametrize("how", ["half", "empty"])
def test_damaged_onnx_model_falls_back_to_paddle_and_restores_the_pages(how, tiny_submission, tiny_nafnet, tmp_path):
    folder = fresh_copy(tiny_submission[0], tmp_path)
    damage(folder / "model.onnx", how)
    pages = write_pages(tmp_path / "src", 2)
    result = run(folder, tmp_path / "src", tmp_path / "out")  # auto on a CPU: ONNX Runtime first
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    skipped = next(line for line in result.stdout.splitlines() if line.startswith("ONNX Runtime not used:"))
    assert str(folder / "model.onnx") in skipped
    assert "backend: Paddle Inference (auto: the first choice did not load)" in result.stdout
    assert_deblurred(tmp_path / "out", pages, tiny_nafnet)


@pytest.mark.parametrize("fault", ["damaged params", "Paddle 2 reads no model.json"])
def test_on_a_gpu_an_unloadable_paddle_model_falls_back_to_onnx(
    fault, tiny_submission, tiny_nafnet, tmp_path, monkeypatch, capsys
):
    """A GPU puts Paddle Inference first; the probe saw predict.py exit 2 there without trying ONNX."""
    folder = fresh_copy(tiny_submission[0], tmp_path)
    if fault == "damaged params":
        damage(folder / "model.pdiparams")
    else:  # an older Paddle: model.json is Paddle 3's program format, and this zip has no .pdmodel
        monkeypatch.setattr(paddle, "__version__", "2.6.2")
    monkeypatch.setattr(backends, "paddle_gpu_available", lambda: True)
    pages = write_pages(tmp_path / "src", 2)
    code = predict.main([str(tmp_path / "src"), str(tmp_path / "out"), "--model-dir", str(folder)])
    out = capsys.readouterr().out
    assert code == 0, out
    skipped = next(line for line in out.splitlines() if line.startswith("Paddle Inference not used:"))
    assert str(folder / "model.json") in skipped
    assert ("reads no .json program" if fault != "damaged params" else str(folder / "model.pdiparams")) in skipped
    assert "backend: ONNX Runtime (auto: the first choice did not load)" in out
    assert_deblurred(tmp_path / "out", pages, tiny_nafnet)


def test_paddle_load_error_names_the_files(tiny_submission, tmp_path):
    folder = fresh_copy(tiny_submission[0], tmp_path)
    damage(folder / "model.pdiparams")
    write_pages(tmp_path / "src", 1)
    result = run(folder, tmp_path / "src", tmp_path / "out", "--backend", "paddle")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"{folder / 'model.json'} + {folder / 'model.pdiparams'}" in result.stderr


def test_damaged_model_meta_is_a_clear_error_before_the_model_loads(tiny_submission, tmp_path):
    folder = fresh_copy(tiny_submission[0], tmp_path)
    damage(folder / "model_meta.json")
    write_pages(tmp_path / "src", 1)
    result = run(folder, tmp_path / "src", tmp_path / "out")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "model:" not in result.stdout
    assert f"{folder / 'model_meta.json'} is damaged" in result.stderr


@pytest.fixture(scope="module")
def mixed_run(tiny_submission, tmp_path_factory):
    """One run over a good PNG, a JPEG cut at 60 % and a good JPEG: (result, src, out)."""
    root = tmp_path_factory.mktemp("mixed")
    src = root / "src"
    rgb = write_pages(src, 1)["page 0.png"]
    ok, jpeg = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    (src / "b cut.jpg").write_bytes(jpeg.tobytes()[: int(jpeg.size * 0.6)])
    (src / "c whole.jpg").write_bytes(jpeg.tobytes())
    return run(tiny_submission[0], src, root / "out"), src, root / "out"


def test_truncated_jpeg_is_a_failure_and_the_rest_are_restored(mixed_run):
    result, _, out = mixed_run
    assert result.returncode == 1, result.stdout + result.stderr
    assert "restored 2 of 3 files" in result.stdout
    assert "  b cut.jpg: ImageError: truncated JPEG" in result.stdout.split("failed:")[-1]
    assert sorted(p.name for p in out.iterdir()) == ["c whole.jpg", "page 0.png"]


def test_failed_line_follows_its_own_progress_line(mixed_run):
    lines = mixed_run[0].stdout.splitlines()
    at = lines.index("[1/3] b cut.jpg")  # files go by name
    assert lines[at + 1].startswith("FAILED b cut.jpg: ImageError: truncated JPEG"), lines
    assert lines[at + 2] == "[2/3] c whole.jpg"


def test_jpeg_with_data_after_its_end_is_complete_and_a_cut_one_is_not(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    ok, jpeg = cv2.imencode(".jpg", rgb)
    assert ok
    (tmp_path / "appended.jpg").write_bytes(jpeg.tobytes() + b"camera data after the image")
    assert read_image_file(tmp_path / "appended.jpg")[0].shape == (40, 56, 3)
    (tmp_path / "cut.jpg").write_bytes(jpeg.tobytes()[:-40])
    with pytest.raises(ImageError, match="truncated JPEG"):
        read_image_file(tmp_path / "cut.jpg")


def _writable(folder: Path) -> bool:
    try:
        (folder / ".probe").write_bytes(b"")
    except OSError:
        return False
    (folder / ".probe").unlink()
    return True


def _unwritable_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if not _writable(folder):
        return folder
    for system in (Path("/sys"), Path("/proc")):  # root ignores modes; these refuse it too
        if system.is_dir() and not _writable(system):
            return system
    pytest.skip("no folder here is unwritable for this user")


@pytest.mark.parametrize("case", ["a file", "inside a file", "unwritable"])
def test_bad_output_folder_is_told_before_the_model_loads(case, tiny_submission, tmp_path):
    write_pages(tmp_path / "src", 2)
    (tmp_path / "notes.txt").write_text("a file")
    save = {
        "a file": tmp_path / "notes.txt",
        "inside a file": tmp_path / "notes.txt" / "out",
        "unwritable": _unwritable_folder(tmp_path) if case == "unwritable" else None,
    }[case]
    result = run(tiny_submission[0], tmp_path / "src", save)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "model:" not in result.stdout, "the folder must be checked before a model loads"
    assert f"output folder {save}" in result.stderr and ".partial" not in result.stderr
    assert (tmp_path / "notes.txt").read_text() == "a file"


def test_a_backend_failing_mid_folder_hands_over_and_keeps_written_images(
    tiny_submission, tiny_nafnet, tmp_path, monkeypatch, capsys
):
    calls = {"n": 0}
    onnx_call = OnnxRunner.__call__

    def breaks_after_two_images(self, batch):  # one tile per page: the third page fails
        calls["n"] += 1
        if calls["n"] > 2:
            raise RuntimeError("simulated CUDA error")
        return onnx_call(self, batch)

    monkeypatch.setattr(OnnxRunner, "__call__", breaks_after_two_images)
    pages = write_pages(tmp_path / "src", 4)
    args = [str(tmp_path / "src"), "--model-dir", str(tiny_submission[0])]
    assert predict.main([args[0], str(tmp_path / "auto"), *args[1:]]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("[3/4] page 2.png")
    assert lines[at + 1] == (
        "ONNX Runtime failed (RuntimeError: simulated CUDA error); Paddle Inference restored the image and takes over"
    )
    assert_deblurred(tmp_path / "auto", pages, tiny_nafnet)
    # ONNX Runtime alone: the pages it restored stay, the others are reported
    calls["n"] = 0
    assert predict.main([args[0], str(tmp_path / "onnx"), *args[1:], "--backend", "onnx"]) == 1
    assert "2 file(s) failed" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "onnx").iterdir()) == ["page 0.png", "page 1.png"]


def test_zip_records_the_formats_it_holds(tiny_submission):
    folder, meta, zip_path = tiny_submission
    formats = json.loads((folder / "model_meta.json").read_text())["formats"]
    assert formats == meta["formats"] and formats["paddle"] and formats["onnx"] == ["model.onnx"]
    carried = ["infer/__init__.py", *(f"infer/{name}.py" for name in STANDALONE)]
    assert sorted(zipfile.ZipFile(zip_path).namelist()) == sorted(
        ["predict.py", *carried, "model_meta.json", *model_files(formats)]
    )
    # Paddle 3.3's old-IR tracer cannot trace NAFNet's padding condition: said, not hidden
    assert formats["paddle_legacy"] or "cannot write this network as a .pdmodel" in formats["paddle_legacy_note"]
