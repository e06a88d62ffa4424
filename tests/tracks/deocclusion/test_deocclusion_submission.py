"""The de-occlusion pipeline deployed: both networks exported (Paddle Inference and ONNX Runtime agree
with dygraph), ``Deoccluder`` on any bit depth (untouched pixels keep their exact values), and
``dist/deocclusion_submission.zip`` run as the competition runs it: the same photos as the dygraph
pipeline, every awkward file handled, never importing ``lib``, and stopped at once without one of the
files it carries (no other copy to fall back on)."""

import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from submission_helpers import fresh_copy, without_lib

from lib.export import predict_imports, run_submission, write_awkward_inputs
from lib.infer import DygraphRunner, read_image_file
from lib.tracks import get_track
from lib.tracks.deocclusion.data import list_samples, load_sample
from lib.tracks.deocclusion.export import PIPELINE_META, InpainterExport, SegmenterExport
from lib.tracks.deocclusion.repair import (
    Deoccluder,
    RepairOptions,
    network_inpainter,
    occluder_score,
    predict_mask_logits,
)

pytestmark = pytest.mark.slow  # exports and submissions end to end: seconds each

GAN = get_track("deocclusion")


@pytest.fixture(scope="module")
def networks(deocclusion_networks):  # conftest.py: shared with the submission fault tests
    return deocclusion_networks


@pytest.fixture(scope="module")
def photos(deocclusion_prepared):  # conftest.py: the smoke sample data (seed 0), made once per session
    return list_samples(deocclusion_prepared[0] / "test_A")


def test_wrappers_compute_what_the_pipeline_uses(networks, photos):
    segmenter, generator, cfg = networks
    image, _, _ = load_sample(photos[0])
    size = cfg["prepare"]["seg_size"]
    # the exported segmenter's one-channel score = the two-logit difference of the dygraph model
    np.testing.assert_allclose(
        occluder_score(DygraphRunner(SegmenterExport(segmenter)), image, size),
        predict_mask_logits(segmenter, image, size),
        atol=1e-5,
    )
    # the exported inpainter (spectral norm folded) repairs a hole as the dygraph generator does
    crop = np.ascontiguousarray(image[:64, :64])
    hole = np.zeros((64, 64), bool)
    hole[20:40, 10:50] = True
    from lib.tracks.deocclusion.repair import runner_inpainter

    exported = runner_inpainter(DygraphRunner(InpainterExport(generator)))(crop, hole)
    dygraph = network_inpainter(generator)(crop, hole)
    assert np.abs(exported.astype(int) - dygraph.astype(int)).max() <= 1
    np.testing.assert_array_equal(exported[~hole], crop[~hole])


def _no_occluder(batch):
    return -np.ones((batch.shape[0], 1) + batch.shape[2:], np.float32)


def _box_occluder(batch):
    score = -np.ones((batch.shape[0], 1) + batch.shape[2:], np.float32)
    score[:, :, 10:30, 20:40] = 1.0
    return score


def _column_score(batch):
    """A segmenter that is not mirror-symmetric at all: its score is the column index."""
    n, _, h, w = batch.shape
    return np.broadcast_to(np.arange(w, dtype=np.float32), (n, 1, h, w)).copy()


@pytest.mark.parametrize("shape", [(40, 30, 3), (30, 40, 3)])  # portrait, landscape (turned for the network)
def test_test_time_flip_averages_the_score_with_the_mirrored_photos(shape):
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    plain, flipped = occluder_score(_column_score, image), occluder_score(_column_score, image, flip=True)
    assert plain.std() > 5  # without the flip the score runs across the network's columns
    np.testing.assert_allclose(flipped, (min(shape[:2]) - 1) / 2, atol=1e-5)  # mean of column j and w-1-j
    # a mirror-symmetric segmenter (score from the pixel values alone) gives the same score either way

    def by_pixel(batch):
        return batch.mean(axis=1, keepdims=True) - 0.5

    np.testing.assert_allclose(
        occluder_score(by_pixel, image, (20, 16), flip=True), occluder_score(by_pixel, image, (20, 16)), atol=1e-6
    )


def test_repair_options_from_the_config_need_every_option():
    options = dict(GAN.config("smoke")["repair"])
    assert RepairOptions.from_config(options).seg_flip is True
    del options["seg_flip"]
    with pytest.raises(KeyError, match="seg_flip"):
        RepairOptions.from_config(options)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_deoccluder_keeps_every_untouched_pixel_at_any_depth(dtype, networks):
    _, generator, _ = networks
    rng = np.random.default_rng(1)
    eight = rng.integers(0, 256, (90, 70, 3), dtype=np.uint8)
    image = {
        np.uint8: eight,
        np.uint16: eight.astype(np.uint16) * 257 + 3,
        np.float32: eight.astype(np.float32) / 255.0,
    }[dtype]
    inpaint = DygraphRunner(InpainterExport(generator))
    opts = RepairOptions(crop=48, shrink=1.5, dilate=2, feather=2)
    # nothing covers the page: the very same array values come back
    clean = Deoccluder(_no_occluder, inpaint, (64, 48), opts).restore_image(image)
    assert clean.dtype == image.dtype
    np.testing.assert_array_equal(clean, image)
    # a covered box: only pixels inside the dilated mask may change, the rest keep their exact value
    pipeline = Deoccluder(_box_occluder, inpaint, (64, 48), opts)
    repaired = pipeline.restore_image(image)
    changed = (repaired != image).any(axis=2)
    mask = cv2.resize(_box_occluder(np.zeros((1, 3, 64, 48)))[0, 0], (70, 90)) > 0
    from lib.tracks.deocclusion.repair import dilate_mask

    assert changed.any() and not (changed & ~dilate_mask(mask, opts.dilate)).any()
    assert pipeline.last_info.components == 1


def test_deoccluder_rejects_other_pixel_types(networks):
    _, generator, _ = networks
    pipeline = Deoccluder(_no_occluder, DygraphRunner(InpainterExport(generator)), (64, 48), RepairOptions())
    with pytest.raises(ValueError, match="unsupported pixel type int32"):
        pipeline.restore_image(np.zeros((8, 8, 3), np.int32))


def test_submission_runs_alone_and_matches_the_dygraph_pipeline(networks, deocclusion_submission, photos, tmp_path):
    segmenter, generator, cfg = networks
    folder, meta, zip_path = deocclusion_submission
    for name in ("segmenter", "inpainter"):
        info = meta["networks"][name]
        assert info["paddle_max_abs_error"] < 1e-4 and info["onnx_max_abs_error"] < 1e-4, (name, info)
    # the segmenter judged on its decision (the pipeline keeps the score's sign), the inpainter on its relative error
    assert meta["networks"]["segmenter"]["parity"]["measure"] == "flipped_share"
    assert meta["networks"]["segmenter"]["onnx_flipped_share"] == 0.0
    assert meta["networks"]["inpainter"]["parity"]["measure"] == "relative_error"
    assert "onnx_flipped_share" not in meta["networks"]["inpainter"]
    names = set(zipfile.ZipFile(zip_path).namelist())
    assert {
        "predict.py",
        "restore_common.py",
        "repair.py",
        "infer/backends.py",
        "infer/image_files.py",
        PIPELINE_META,
        "segmenter/model.onnx",
        "inpainter/model.pdiparams",
    } <= names
    shipped_meta = json.loads((folder / PIPELINE_META).read_text())
    assert shipped_meta["seg_size"] == cfg["prepare"]["seg_size"]
    assert shipped_meta["repair"] == RepairOptions.from_config(cfg["repair"]).as_dict()
    assert shipped_meta["repair"]["seg_flip"] is True  # smoke: the pipeline below runs the test-time flip

    src = tmp_path / "src"
    src.mkdir()
    for s in photos:  # as PNG: a JPEG output would not compare exactly (predict.py writes in kind)
        cv2.imwrite(str(src / (s.image.stem + ".png")), cv2.imread(str(s.image)))
    awkward = write_awkward_inputs(src, load_sample(photos[0])[0][:61, :47])
    alone = without_lib(fresh_copy(folder, tmp_path))
    result, _ = run_submission(alone, src, tmp_path / "out", "--backend", "onnx", timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "No module named" not in result.stderr and "must not import" not in result.stderr
    for bad in awkward["bad"]:
        assert bad in result.stdout.split("failed:")[-1]
    for name in awkward["restorable"]:
        original, _ = read_image_file(src / name)
        out, _ = read_image_file(tmp_path / "out" / name)
        assert out.shape == original.shape and out.dtype == original.dtype, name

    dygraph = Deoccluder(
        DygraphRunner(SegmenterExport(segmenter)),
        DygraphRunner(InpainterExport(generator)),
        cfg["prepare"]["seg_size"],
        RepairOptions.from_config(cfg["repair"]),
    )
    changed = []
    for s in photos:
        name = s.image.stem + ".png"
        image, _ = read_image_file(src / name)
        out, _ = read_image_file(tmp_path / "out" / name)
        expected = dygraph.restore_image(image)
        differ = (out != expected).any(axis=2)
        # ONNX Runtime vs dygraph: a score within rounding of 0 may flip a mask pixel; colours within 2
        assert differ.mean() < 0.01, (name, differ.mean())
        assert np.abs(out.astype(int) - expected.astype(int)).mean() < 0.5, name
        changed.append(bool((expected != image).any()))
    assert any(changed), "the untrained segmenter found nothing on any photo: the test would not compare repairs"


def test_submission_scripts_never_import_lib():
    """predict.py imports ``lib``'s modules only relatively (imported in the repository); what it and
    the scripts and ``infer/`` modules beside it import needs nothing but NumPy, OpenCV and a runtime."""
    from lib.tracks.deocclusion.export import SCRIPTS

    for name in SCRIPTS:
        imports = set(predict_imports(SCRIPTS[name])) - {"repair", "restore_common"}  # the zip's own
        assert "lib" not in imports and imports <= {
            "argparse",
            "json",
            "math",
            "os",
            "sys",
            "time",
            "pathlib",
            "dataclasses",
            "cv2",
            "numpy",
            "warnings",
            "onnxruntime",
            "paddle",
            "PIL",
        }, (name, imports)


@pytest.mark.parametrize("missing", ["repair.py", "restore_common.py", "infer/image_files.py", "infer/backends.py"])
def test_submission_without_one_of_its_files_stops_before_anything(missing, deocclusion_submission, tmp_path):
    """From the unzipped folder as it is (the venv could import the course's lib: a fallback to it
    would repair the photo), one of the files the zip carries removed."""
    folder = fresh_copy(deocclusion_submission[0], tmp_path)
    (folder / missing).unlink()
    (tmp_path / "src").mkdir()
    cv2.imwrite(str(tmp_path / "src" / "a.png"), np.zeros((40, 30, 3), np.uint8))
    result, _ = run_submission(folder, tmp_path / "src", tmp_path / "out", timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "ImportError" in last or "ModuleNotFoundError" in last, result.stderr
    assert Path(missing).stem in last, result.stderr
    assert not (tmp_path / "out").exists()


def test_export_cli_packs_the_pipeline(deocclusion_gan_run, tmp_path, capsys):
    """``python -m lib.export --track deocclusion``: a generator checkpoint (the session's smoke run,
    conftest.py) and the shipped segmenter."""
    from lib.export.__main__ import main as export_cli

    trainer = deocclusion_gan_run[0]
    out = tmp_path / "cli.zip"
    assert export_cli(["--track", "deocclusion", "--checkpoint", str(trainer.last_path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "segmenter: checkpoints/deocclusion_seg_deeplabv3_demo/model.pdparams" in printed
    assert "inpainter: " in printed and str(out) in printed
    meta = json.loads(zipfile.ZipFile(out).read(PIPELINE_META))
    assert meta["seg_size"] == [256, 192]  # the shipped segmenter's own input size, not the smoke profile's
