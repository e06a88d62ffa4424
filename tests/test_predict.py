"""The submission's predict.py, run as the competition runs it: unzipped into a folder of its own,
``python predict.py src_image_dir save_dir`` in a fresh process, working directory there, no
PYTHONPATH and ``lib`` made unimportable. Every kind of bad input is restored or reported, one
bad file never stops the others, and the exit code says whether anything failed. Without one of the
modules the zip carries in ``infer/`` it stops at once: there is no other copy to fall back on.
(What predict.py and those modules may import: tests/test_submission_package.py.)"""

import json
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from submission_helpers import fresh_copy, without_lib
from tiny_nafnet import TINY_PATCH

from lib.infer import STANDALONE, predict_image, tlc_model

pytestmark = pytest.mark.slow  # exports and submissions end to end: seconds each


@pytest.fixture(scope="module")
def isolated(tiny_submission, tmp_path_factory):
    """A copy of the unzipped submission (its files only) plus a ``lib`` package that raises on
    import (submission_helpers.without_lib)."""
    return without_lib(fresh_copy(tiny_submission[0], tmp_path_factory.mktemp("isolated")))


def run_predict(folder, *args, timeout=300):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COURSE_PROFILE", "COURSE_DATA")}
    return subprocess.run(
        [sys.executable, "predict.py", *map(str, args)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write(path, array):
    ok, data = cv2.imencode(path.suffix, array)
    assert ok
    data.tofile(str(path))


def read(path):
    return cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_UNCHANGED)


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    """A folder with every awkward case, and the RGB pixels of the readable ones."""
    src = tmp_path_factory.mktemp("inputs") / "src images"
    src.mkdir()
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (45, 67, 3), dtype=np.uint8)
    big = cv2.resize(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8), (301, 233))  # > tile budget: tiled
    write(src / "page 1.png", rgb[:, :, ::-1])
    write(src / "扫描 第2页.png", big[:, :, ::-1])
    write(src / "gray.png", rgb[:, :, 0])
    write(src / "rgba.png", np.dstack([rgb[:, :, ::-1], rng.integers(0, 256, (45, 67), dtype=np.uint8)]))
    write(src / "deep16.png", (rgb.astype(np.uint16) * 257)[:, :, ::-1])
    write(src / "dot.png", rgb[:1, :1, ::-1])
    write(src / "odd.jpg", rgb[:, :-2, ::-1])
    (src / "notes.txt").write_text("not an image")
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    (src / "empty.png").write_bytes(b"")
    return src, {"page 1.png": rgb, "扫描 第2页.png": big}


def test_restores_every_image_and_reports_each_bad_file(isolated, bad_inputs, tiny_nafnet, tmp_path):
    src, pixels = bad_inputs
    save = tmp_path / "输出 dir"  # created by predict.py
    result = run_predict(isolated, src, save, "--timings", tmp_path / "t.json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "must not import" not in result.stderr
    out = result.stdout
    assert "restored 7 of 10 files" in out
    failed = out[out.index("file(s) failed:") :]
    assert "broken.png: ImageError: cannot decode" in failed
    assert "empty.png: ImageError: empty file" in failed
    assert "notes.txt: ImageError: not an image file" in failed
    assert sorted(p.name for p in save.iterdir()) == sorted(
        ["page 1.png", "扫描 第2页.png", "gray.png", "rgba.png", "deep16.png", "dot.png", "odd.jpg"]
    )

    assert read(save / "gray.png").shape == (45, 67)
    assert read(save / "rgba.png").shape == (45, 67, 4)
    np.testing.assert_array_equal(read(save / "rgba.png")[:, :, 3], read(src / "rgba.png")[:, :, 3])
    deep = read(save / "deep16.png")
    assert deep.dtype == np.uint16 and deep.shape == (45, 67, 3)
    assert read(save / "dot.png").shape == (1, 1, 3)
    assert read(save / "odd.jpg").shape == (45, 65, 3)

    # The exported TLC model in its own process gives the dygraph TLC model's images, whole
    # (page 1) and in overlapping tiles (the 301 x 233 page exceeds the 128 x 128 budget).
    converted = tlc_model(tiny_nafnet, 2.5, TINY_PATCH)
    for name, rgb in pixels.items():
        expected = predict_image(converted, rgb, "tiles", tile_pixels=128 * 128, overlap=16)
        assert np.abs(read(save / name)[:, :, ::-1].astype(int) - expected).max() <= 1, name
    timings = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert len(timings["timings"]) == 7 and timings["device"].startswith("cpu")


def test_paddle_and_onnx_backends_restore_the_same_images(isolated, bad_inputs, tmp_path):
    src, pixels = bad_inputs
    only = tmp_path / "src"
    only.mkdir()
    for name in pixels:
        shutil.copy(src / name, only / name)
    paddle_out, onnx_out = tmp_path / "paddle", tmp_path / "onnx"
    result = run_predict(isolated, only, paddle_out, "--backend", "paddle")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PaddleRunner on cpu+onednn" in result.stdout
    result = run_predict(isolated, only, onnx_out)  # auto on a CPU: ONNX Runtime
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OnnxRunner on cpu" in result.stdout
    for name in pixels:
        assert np.abs(read(paddle_out / name).astype(int) - read(onnx_out / name)).max() <= 1


def test_missing_empty_and_same_folders_are_usage_errors(isolated, tmp_path):
    result = run_predict(isolated, tmp_path / "nowhere", tmp_path / "out")
    assert result.returncode == 2 and "source folder not found" in result.stderr
    assert not (tmp_path / "out").exists()
    (tmp_path / "empty").mkdir()
    result = run_predict(isolated, tmp_path / "empty", tmp_path / "out")
    assert result.returncode == 1 and "no files" in result.stderr
    assert (tmp_path / "out").is_dir(), "an empty source folder still gets its (empty) output folder"
    (tmp_path / "same").mkdir()
    write(tmp_path / "same" / "a.png", np.zeros((8, 8, 3), np.uint8))
    result = run_predict(isolated, tmp_path / "same", tmp_path / "same")
    assert result.returncode == 2 and "must differ" in result.stderr
    assert read(tmp_path / "same" / "a.png").max() == 0, "the input was not overwritten"


@pytest.mark.parametrize("module", STANDALONE)
def test_without_a_carried_module_predict_py_stops_before_anything(module, tiny_submission, tmp_path):
    """From the unzipped folder as it is (the venv could import the course's lib: any fallback to it
    would restore the page), one module of infer/ removed."""
    folder = fresh_copy(tiny_submission[0], tmp_path)
    (folder / "infer" / f"{module}.py").unlink()
    (tmp_path / "src").mkdir()
    write(tmp_path / "src" / "a.png", np.zeros((8, 8, 3), np.uint8))
    result = run_predict(folder, tmp_path / "src", tmp_path / "out")
    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "ImportError" in last or "ModuleNotFoundError" in last, result.stderr
    assert module in last, result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_model_files_are_reported(isolated, tmp_path):
    (tmp_path / "src").mkdir()
    write(tmp_path / "src" / "a.png", np.zeros((8, 8, 3), np.uint8))
    result = run_predict(isolated, tmp_path / "src", tmp_path / "out", "--model-dir", tmp_path / "no-model")
    assert result.returncode == 2 and "cannot load the model" in result.stderr


# --------------------------------------------------------------------------------------- tiling from the metadata
@pytest.fixture(scope="module")
def quadrant_submission(tmp_path_factory):
    """The tiny model's zip built as the deblur track's ``full`` profile builds it: the tiling comes
    from lib/configs/deblur.yaml (submission.tiling: quadrants) into model_meta.json."""
    import zipfile

    from tiny_nafnet import make_tiny_nafnet

    from lib.export import build_submission

    model = make_tiny_nafnet()  # a fresh one: the session's tiny model has no track and must keep none
    model.track = "deblur"
    root = tmp_path_factory.mktemp("quadrant_submission")
    meta = build_submission(
        model,
        root / "submission.zip",
        tlc=True,
        tlc_factor=2.5,
        tlc_train_size=TINY_PATCH,
        tile_pixels=128 * 128,
        overlap=16,
        profile="full",
    )
    with zipfile.ZipFile(root / "submission.zip") as archive:
        archive.extractall(root / "unzipped")
    return root / "unzipped", meta, model


def test_full_deblur_zip_restores_in_the_winners_quadrants(quadrant_submission, tmp_path):
    folder, meta, model = quadrant_submission
    assert meta["tiling"] == "quadrants"
    assert json.loads((folder / "model_meta.json").read_text(encoding="utf-8"))["tiling"] == "quadrants"
    rng = np.random.default_rng(5)
    pages = {
        "odd.png": cv2.resize(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8), (233, 301)),  # 301 x 233
        "even.png": cv2.resize(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8), (160, 144)),
    }
    (tmp_path / "src").mkdir()
    for name, rgb in pages.items():
        write(tmp_path / "src" / name, rgb[:, :, ::-1])
    result = run_predict(folder, tmp_path / "src", tmp_path / "out")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the winner's 4 quadrants" in result.stdout
    converted = tlc_model(model, 2.5, TINY_PATCH)
    for name, rgb in pages.items():
        restored = read(tmp_path / "out" / name)[:, :, ::-1].astype(int)
        quadrants = predict_image(converted, rgb, "quadrants")
        assert np.abs(restored - quadrants).max() <= 1, name
        # the metadata matters: the overlapping tiles of the same budget restore the seams otherwise
        overlapping = predict_image(converted, rgb, "tiles", tile_pixels=128 * 128, overlap=16)
        assert np.abs(restored - overlapping).max() > 2, name
    result = run_predict(folder, tmp_path / "src", tmp_path / "out2", "--tiling", "overlap")
    assert result.returncode == 0 and "tiles of at most 16384 pixels" in result.stdout
    restored = read(tmp_path / "out2" / "odd.png")[:, :, ::-1].astype(int)
    assert (
        np.abs(restored - predict_image(converted, pages["odd.png"], "tiles", tile_pixels=128 * 128, overlap=16)).max()
        <= 1
    )


def test_unknown_tiling_in_the_metadata_is_a_clear_error(quadrant_submission, tmp_path):
    folder, _, _ = quadrant_submission
    copy = tmp_path / "submission"
    shutil.copytree(folder, copy)
    meta = json.loads((copy / "model_meta.json").read_text(encoding="utf-8"))
    (copy / "model_meta.json").write_text(json.dumps({**meta, "tiling": "halves"}), encoding="utf-8")
    (tmp_path / "src").mkdir()
    write(tmp_path / "src" / "a.png", np.zeros((8, 8, 3), np.uint8))
    result = run_predict(copy, tmp_path / "src", tmp_path / "out")
    assert result.returncode == 2 and "unknown tiling 'halves'" in result.stderr and "model_meta.json" in result.stderr
