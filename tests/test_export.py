"""lib.export: the traceable TLC pooling against lib.models.tlc, the exported Paddle Inference
and ONNX Runtime models against the dygraph model on odd-sized inputs (plain and TLC), the ONNX
padding fix, and the contents of the submission zip."""

import json
import zipfile
from pathlib import Path

import numpy as np
import paddle
import pytest
from tiny_nafnet import TINY_OVERLAP, TINY_PATCH, TINY_TILE_PIXELS

import lib
from lib.export import RELATIVE_TOLERANCE, ExportableLocalAvgPool2d, export_model, exportable, max_abs_error
from lib.export.onnx import _drop_constant_pad_values
from lib.infer import OnnxRunner, PaddleRunner, tlc_model
from lib.models.tlc import LocalAvgPool2d, local_avg_pool

pytestmark = pytest.mark.slow  # exports and submissions end to end: seconds each

TOLERANCE = 1e-4  # float32 outputs in [0, 1]; measured ~5e-7


@pytest.mark.parametrize(
    "shape, kernel",
    [
        ((1, 2, 13, 17), (5, 4)),  # odd sizes, even and odd windows
        ((2, 3, 20, 9), (7, 12)),  # window wider than the map in one direction only
        ((1, 1, 8, 8), (1, 1)),  # identity
        ((1, 2, 11, 6), (11, 3)),  # window as tall as the map
        ((1, 3, 9, 12), (30, 40)),  # window covers the map: global pooling
    ],
)
def test_exportable_pool_equals_tlc_local_mean(shape, kernel):
    x = paddle.to_tensor(np.random.default_rng(0).standard_normal(shape).astype("float32") + 2.0)
    expected = local_avg_pool(x, kernel).numpy()
    got = ExportableLocalAvgPool2d(kernel)(x).numpy()
    np.testing.assert_allclose(got, np.broadcast_to(expected, shape), rtol=1e-5, atol=1e-5)


def test_exportable_swaps_only_the_tlc_pools(tiny_nafnet):
    converted = tlc_model(tiny_nafnet, 2.5, TINY_PATCH)
    clone = exportable(converted)
    assert not any(isinstance(m, LocalAvgPool2d) for m in clone.sublayers())
    assert [m.kernel_size for m in clone.sublayers() if isinstance(m, ExportableLocalAvgPool2d)] == [
        m.kernel_size for m in converted.sublayers() if isinstance(m, LocalAvgPool2d)
    ]
    x = paddle.rand([1, 3, 97, 101])
    np.testing.assert_allclose(clone(x).numpy(), converted(x).numpy(), atol=1e-5)


@pytest.fixture(scope="module")
def plain_export(tmp_path_factory, tiny_nafnet):
    return export_model(tiny_nafnet, tmp_path_factory.mktemp("plain"), check=(1, 3, 101, 77))


def test_plain_model_exports_and_agrees_with_dygraph_on_odd_sizes(plain_export, tiny_nafnet):
    assert plain_export["paddle_max_abs_error"] < TOLERANCE
    assert plain_export["onnx_max_abs_error"] < TOLERANCE
    prefix = plain_export["paddle"][0][: -len(".json")]
    # Dynamic shapes: another batch size and size through the same exported files.
    assert max_abs_error(tiny_nafnet, PaddleRunner(prefix, device="cpu"), (2, 3, 37, 53), seed=1) < TOLERANCE
    assert max_abs_error(tiny_nafnet, OnnxRunner(plain_export["onnx"]), (2, 3, 37, 53), seed=1) < TOLERANCE
    # Without oneDNN too (the plain CPU path).
    assert max_abs_error(tiny_nafnet, PaddleRunner(prefix, device="cpu", onednn=False), (1, 3, 33, 17)) < TOLERANCE


def test_tlc_model_exports_and_agrees_with_dygraph(tiny_submission, tiny_nafnet):
    folder, meta, _ = tiny_submission
    converted = tlc_model(tiny_nafnet, 2.5, TINY_PATCH)
    shape = (1, 3, 211, 175)  # larger than the 80-px TLC window, odd
    paddle_err = max_abs_error(converted, PaddleRunner(folder / "model", device="cpu"), shape)
    onnx_err = max_abs_error(converted, OnnxRunner(folder / "model.onnx"), shape)
    assert paddle_err < TOLERANCE and onnx_err < TOLERANCE
    # ... and it is really the TLC model: the plain one differs on this input.
    assert max_abs_error(tiny_nafnet, PaddleRunner(folder / "model", device="cpu"), shape) > 1e-3


def test_onnx_constant_pads_carry_no_fill_value(plain_export):
    """paddle2onnx 2.1.0 writes Pad's fill value from uninitialised memory; export drops it."""
    import onnx

    model = onnx.load(plain_export["onnx"])
    pads = []

    def collect(graph):
        for node in graph.node:
            for attribute in node.attribute:
                if attribute.type == attribute.GRAPH:
                    collect(attribute.g)
            if node.op_type == "Pad":
                pads.append(node)

    collect(model.graph)
    assert pads, "NAFNet pads to a multiple of 16 inside the graph"
    assert all(len(node.input) < 3 or not node.input[2] for node in pads)
    assert _drop_constant_pad_values(model.graph) == 0


def test_onnx_export_installs_nothing(plain_export, tmp_path):
    """paddle2onnx's default optimiser (polygraphy) pip-installs onnx-graphsurgeon when it is
    missing, which once upgraded NumPy to 2 in this venv; lib.export does not call it. The
    installed distributions are the same before and after an export."""
    from importlib.metadata import distributions

    from lib.export import export_onnx

    def installed():
        return sorted((d.metadata["Name"], d.version) for d in distributions())

    before = installed()
    export_onnx(plain_export["paddle"][0][: -len(".json")], tmp_path / "again.onnx")
    assert installed() == before
    assert (tmp_path / "again.onnx").stat().st_size > 0


def test_submission_zip_holds_predict_py_its_infer_package_and_the_model(tiny_submission):
    folder, meta, zip_path = tiny_submission
    with zipfile.ZipFile(zip_path) as archive:
        names = sorted(archive.namelist())
    carried = [name for name in names if name.startswith("infer/")]
    assert names == sorted(["predict.py", "model_meta.json", "model.json", "model.pdiparams", "model.onnx", *carried])
    # the course's own files, byte for byte: the zip runs the code the course tests, not a copy of it
    source = Path(lib.__file__).resolve().parent
    assert (folder / "predict.py").read_bytes() == (source / "submission" / "predict.py").read_bytes()
    assert {"infer/__init__.py", "infer/tiling.py", "infer/blend.py", "infer/backends.py"} <= set(carried)
    for name in carried:
        if name != "infer/__init__.py":  # lib/infer/__init__.py imports the modules that need lib
            assert (folder / name).read_bytes() == (source / name).read_bytes(), name
    saved = json.loads((folder / "model_meta.json").read_text(encoding="utf-8"))
    assert saved["tlc"] == {"factor": 2.5, "train_size": TINY_PATCH}
    assert saved["tile_pixels"] == TINY_TILE_PIXELS and saved["overlap"] == TINY_OVERLAP
    assert saved["multiple"] == 16
    assert saved["tiling"] == "overlap", "a model of no track: the memory-bounded overlapping tiles"
    assert saved["paddle_max_abs_error"] < TOLERANCE and saved["onnx_max_abs_error"] < TOLERANCE
    # judged on the relative error (lib.export.parity); outputs within [0, 1] make it the absolute one
    assert saved["parity"] == {"measure": "relative_error", "bound": RELATIVE_TOLERANCE}
    assert saved["paddle_relative_error"] <= saved["paddle_max_abs_error"] < TOLERANCE
    assert meta["zip_bytes"] == zip_path.stat().st_size


class _ConvLeaky(paddle.nn.Layer):
    def __init__(self):
        super().__init__()
        self.conv = paddle.nn.Conv2D(3, 3, 3, padding=1)
        self.act = paddle.nn.LeakyReLU(0.2)

    def forward(self, x):
        return self.act(self.conv(x))


def test_leaky_relu_keeps_its_slope_in_onnx_and_the_export_prints_nothing(tmp_path, capfd):
    """paddle2onnx 2.1.0 writes LeakyRelu with alpha 0 (a ReLU); the exportable copy computes
    max(x, 0.2 x) instead, so both runtimes agree with dygraph on negative inputs too. paddle2onnx's own
    progress lines (C++ on the process's stdout, Python [INFO] lines) are held back during that export; a
    conversion that fails raises with them. (One export serves both checks.)"""
    from lib.export.onnx import export_onnx

    paddle.seed(0)
    model = _ConvLeaky()
    model.eval()
    assert type(exportable(model).act).__name__ == "ExportableLeakyReLU"
    capfd.readouterr()
    info = export_model(model, tmp_path / "ok", check=(1, 3, 33, 21))
    out = capfd.readouterr().out
    assert "Paddle2ONNX" not in out and "[INFO]" not in out, out
    assert info["onnx_max_abs_error"] < 1e-5 and info["paddle_max_abs_error"] < 1e-5
    x = paddle.to_tensor(np.linspace(-2, 2, 9, dtype=np.float32))
    np.testing.assert_allclose(exportable(model).act(x).numpy(), paddle.nn.functional.leaky_relu(x, 0.2).numpy())
    broken = tmp_path / "broken" / "model"
    broken.parent.mkdir()
    broken.with_suffix(".json").write_text("{not a graph", encoding="utf-8")
    broken.with_suffix(".pdiparams").write_bytes(b"")
    with pytest.raises(RuntimeError, match="did not convert .*model.json; its log:\n(.|\n)*parse error"):
        export_onnx(broken, tmp_path / "broken" / "model.onnx")


# ---------------------------------------------------------------- which model `python -m lib.export` exports
@pytest.fixture
def no_trained_models(tmp_path, monkeypatch):
    """No own run and no published model of any profile; the shipped demo model stays where it is."""
    from lib.tracks.base import Track

    monkeypatch.setattr(Track, "run_dir", lambda self, profile=None: tmp_path / "runs" / f"{self.name}-{profile}")
    monkeypatch.setattr(Track, "published_dir", lambda self, profile=None: tmp_path / "published" / f"{profile}")
    return tmp_path


def test_the_save_runs_with_the_collector_paused_and_leaves_it_as_it_was(monkeypatch, tmp_path):
    """export_paddle transcribes with Python's cyclic collector off (lib.export.paddle_inference.collector_paused):
    off during paddle.jit.save, on again afterwards, on again after a save that fails, and still off for a caller
    that had turned it off."""
    import gc

    from lib.export import export_paddle

    seen = []

    def fake_save(layer, path, input_spec=None):
        seen.append(gc.isenabled())
        if path.endswith("broken"):
            raise RuntimeError("a transcription error")
        Path(path + ".pdiparams").write_bytes(b"")

    monkeypatch.setattr(paddle.jit, "save", fake_save)
    layer = paddle.nn.Conv2D(3, 3, 1)
    assert gc.isenabled()
    export_paddle(layer, tmp_path / "model")
    assert seen == [False] and gc.isenabled()
    with pytest.raises(RuntimeError, match="a transcription error"):
        export_paddle(layer, tmp_path / "broken")
    assert seen == [False, False] and gc.isenabled()
    gc.disable()
    try:
        export_paddle(layer, tmp_path / "again")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_export_of_a_full_profile_never_trained_is_an_error_naming_the_training_command(no_trained_models, capsys):
    from lib.export.__main__ import main

    out = no_trained_models / "submission.zip"
    assert main(["--track", "deblur", "--profile", "full", "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert "no trained deblur model for profile 'full'" in error
    assert "make train TRACK=deblur COURSE_PROFILE=full" in error
    assert "python -m lib.train --config deblur --profile full" in error
    assert not out.exists()  # and no demo model exported in its place


def test_only_demo_and_smoke_fall_back_to_the_shipped_demo_model(no_trained_models):
    from lib.tracks import get_track

    track = get_track("deblur")
    shipped = track.shipped_dir / "model.pdparams"
    assert shipped.is_file()
    assert track.find_checkpoint("demo") == shipped == track.find_checkpoint("smoke")
    with pytest.raises(FileNotFoundError, match="COURSE_PROFILE=full"):
        track.find_checkpoint("full")
    published = no_trained_models / "published" / "full" / "model.pdparams"  # make train COURSE_PROFILE=full
    published.parent.mkdir(parents=True)
    published.write_bytes(b"")
    assert track.find_checkpoint("full") == published


def test_the_competition_nafnet_exported_with_full_tlc_acts_on_a_real_quadrant(tmp_path):
    """The competition NAFNet's shape (four levels, enc [1, 1, 1, 10], middle 1, dec [1, 1, 1, 1]) converted
    with full's TLC window (training size 256 x 2.5 = 640 px at the first level) and exported, on a real
    quadrant of a test page (1024 x 724, the winner's 4-tile split of a 2048 x 1448 page): Paddle Inference
    equals the training-time TLC model, and its windows are narrower than the quadrant, so they are not global
    pooling (that such windows change the output is measured, at a quarter of these sizes, by test_infer.py's
    test_full_tlc_changes_the_competition_nafnet_where_the_last_stage_window_did_not). Width 8 instead of 32:
    the windows follow the levels and the page, not the width, and the compute falls with the width (the test
    took 105 s of `make test` at width 32, 66 s at 16). Random weights with non-zero beta / gamma, so every
    block acts."""
    from lib.export import export_paddle
    from lib.infer import tlc_options
    from lib.models.nafnet import NAFNet

    paddle.seed(0)
    net = NAFNet(3, 8, 1, [1, 1, 1, 10], [1, 1, 1, 1])
    for name, p in net.named_parameters():
        if name.endswith((".beta", ".gamma")):
            p.set_value(paddle.randn(p.shape) * 0.5)
    net.eval()
    full = tlc_options("full")
    converted = tlc_model(net, full["factor"], full["train_size"])
    page = np.full((1, 3, 724, 1024), 0.95, np.float32)  # white paper left, dark print right:
    page[..., 512:] = 0.2  # local means differ from the global one
    page += np.random.default_rng(0).normal(0, 0.02, page.shape).astype(np.float32)
    exported = PaddleRunner(export_paddle(converted, tmp_path / "model"), device="cpu")(page)
    with paddle.no_grad():
        dygraph = converted(paddle.to_tensor(page)).numpy()
    assert np.abs(exported - dygraph).max() < TOLERANCE
    windows = [m.kernel_size for m in converted.sublayers() if isinstance(m, LocalAvgPool2d)]
    assert windows and windows[0][1] < page.shape[-1]  # the first level's window: 640 px of the quadrant's 1024
