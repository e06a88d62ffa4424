"""The de-occlusion submission's predict.py survives faults: a damaged network file of one backend
(the other runs, and the message names the network and the file), damaged metadata, and the
pre-PIR program used when model.json cannot be read; the zip records the formats of both networks.
The zip of the smoke profile's untrained networks (tests/tracks/deocclusion/conftest.py) runs as
the competition runs it, in a fresh process from the unzipped folder."""

import json
import shutil
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from submission_helpers import damage, fresh_copy, run

from lib.export import model_files
from lib.infer import DygraphRunner, PaddleRunner
from lib.tracks.deocclusion.export import InpainterExport, SegmenterExport
from lib.tracks.deocclusion.repair import Deoccluder, RepairOptions


@pytest.mark.slow
def test_zip_records_the_formats_of_both_networks(deocclusion_submission):
    folder, meta, zip_path = deocclusion_submission
    names = set(zipfile.ZipFile(zip_path).namelist())
    shipped = json.loads((folder / "deocclusion_meta.json").read_text())["networks"]
    for net in ("segmenter", "inpainter"):
        formats = shipped[net]["formats"]
        assert {f"{net}/{f}" for f in model_files(formats)} == {
            n for n in names if n.startswith(f"{net}/model.") or n.startswith(f"{net}/model_legacy.")
        }
        assert formats["paddle_legacy"] or formats["paddle_legacy_note"]


@pytest.mark.slow
def test_the_pre_pir_program_runs_when_model_json_cannot_be_read(
    deocclusion_submission, deocclusion_networks, tmp_path
):
    segmenter = fresh_copy(deocclusion_submission[0], tmp_path) / "segmenter"
    if not (segmenter / "model_legacy.pdmodel").exists():
        pytest.skip("this Paddle could not write the segmenter's .pdmodel")
    damage(segmenter / "model.json")
    runner = PaddleRunner(segmenter / "model", device="cpu", onednn=False)
    assert runner.files == (str(segmenter / "model_legacy.pdmodel"), str(segmenter / "model_legacy.pdiparams"))
    x = np.random.default_rng(0).random((1, 3, 61, 45), dtype=np.float32)
    expected = DygraphRunner(SegmenterExport(deocclusion_networks[0]))(x)
    assert np.abs(runner(x) - expected).max() < 1e-4


@pytest.fixture()
def photo(tmp_path):
    src = tmp_path / "photos"
    src.mkdir()
    rgb = cv2.resize(np.random.default_rng(3).integers(0, 256, (12, 9, 3), dtype=np.uint8), (72, 96))
    cv2.imwrite(str(src / "photo.png"), rgb[:, :, ::-1])
    return src, rgb


def assert_deoccluded(out: Path, rgb, networks) -> None:
    segmenter, generator, cfg = networks
    dygraph = Deoccluder(
        DygraphRunner(SegmenterExport(segmenter)),
        DygraphRunner(InpainterExport(generator)),
        cfg["prepare"]["seg_size"],
        RepairOptions.from_config(cfg["repair"]),
    )
    got = cv2.imread(str(out / "photo.png"))[:, :, ::-1]
    assert ((got != dygraph.restore_image(rgb)).any(axis=2)).mean() < 0.01


@pytest.mark.slow
def test_deocclusion_survives_a_damaged_network_file_and_names_the_network(
    deocclusion_submission, deocclusion_networks, photo, tmp_path
):
    folder = fresh_copy(deocclusion_submission[0], tmp_path)
    src, rgb = photo
    damage(folder / "segmenter" / "model.onnx")
    result = run(folder, src, tmp_path / "out1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ONNX Runtime not used: the segmenter network did not load" in result.stdout
    assert str(folder / "segmenter" / "model.onnx") in result.stdout
    assert_deoccluded(tmp_path / "out1", rgb, deocclusion_networks)

    shutil.copyfile(deocclusion_submission[0] / "segmenter" / "model.onnx", folder / "segmenter" / "model.onnx")
    damage(folder / "inpainter" / "model.pdiparams", "empty")
    result = run(folder, src, tmp_path / "out2")  # ONNX Runtime first: the Paddle files are not needed
    assert result.returncode == 0, result.stdout + result.stderr
    assert_deoccluded(tmp_path / "out2", rgb, deocclusion_networks)
    result = run(folder, src, tmp_path / "out3", "--backend", "paddle")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "the inpainter network did not load" in result.stderr
    assert str(folder / "inpainter" / "model.pdiparams") in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("meta", ["deocclusion_meta.json", "segmenter/model_meta.json"])
def test_deocclusion_damaged_metadata_is_named(meta, deocclusion_submission, photo, tmp_path):
    folder = fresh_copy(deocclusion_submission[0], tmp_path)
    damage(folder / meta)
    result = run(folder, photo[0], tmp_path / "out")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"{folder / meta} is damaged" in result.stderr
