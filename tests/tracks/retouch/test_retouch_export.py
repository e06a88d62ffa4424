"""Track ``retouch``: the exported model is under the competition's 10 MB limit (the full 'retouch'
configuration and the demo one), the submission (shared lib.export path) agrees with dygraph, and
its predict.py restores faces from a clean folder."""

import zipfile

import cv2
import numpy as np
import paddle
import pytest

from lib.export import export_paddle, run_submission
from lib.models.gunet import GUNET_CONFIGS, gunet_from_config
from lib.tracks import get_track
from lib.tracks.retouch.track import SIZE_LIMIT_BYTES
from lib.train.registry import build_model

TRACK = get_track("retouch")


def _random_head(model, seed=0):
    """Non-zero K/D head weights, so the exported network is not the identity."""
    paddle.seed(seed)
    for name, p in model.named_parameters():
        if name.startswith("outconv"):
            p.set_value(paddle.randn(p.shape) * 0.01)
    model.eval()
    return model


@pytest.mark.slow
def test_full_configuration_exports_under_10_mb(tmp_path):
    model = gunet_from_config(GUNET_CONFIGS["retouch"])
    model.eval()
    prefix = export_paddle(model, tmp_path / "model")
    size = prefix.with_suffix(".pdiparams").stat().st_size
    assert 5_000_000 < size < SIZE_LIMIT_BYTES  # 1,494,838 float32 weights + BatchNorm statistics
    assert size == pytest.approx(4 * 1_494_838, rel=0.05)


@pytest.mark.slow
def test_submission_zip_agrees_with_dygraph_and_predicts(tmp_path):
    model = _random_head(build_model(TRACK.model_spec(TRACK.config("demo"))))
    meta = TRACK.build_submission(model, tmp_path / "retouch_submission.zip")
    assert meta["paddle_max_abs_error"] < 1e-3 and meta["onnx_max_abs_error"] < 1e-3
    with zipfile.ZipFile(meta["zip"]) as archive:
        sizes = {i.filename: i.file_size for i in archive.infolist()}
        archive.extractall(tmp_path / "sub")
    assert sizes["model.pdiparams"] < SIZE_LIMIT_BYTES and sizes["model.onnx"] < SIZE_LIMIT_BYTES
    src = tmp_path / "faces"
    src.mkdir()
    from lib.tracks.retouch.data import data_options, make_sample

    _, degraded, _, _ = make_sample(0, "test_A", 0, data_options("smoke"))
    cv2.imwrite(str(src / "face.png"), cv2.cvtColor(degraded, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(src / "odd size.jpg"), cv2.cvtColor(degraded[:101, :77], cv2.COLOR_RGB2BGR))
    (src / "notes.txt").write_text("not an image")
    result, _ = run_submission(tmp_path / "sub", src, tmp_path / "out", timeout=600)
    assert result.returncode != 0 and "notes.txt" in result.stdout + result.stderr  # one bad file reported
    out = cv2.imread(str(tmp_path / "out" / "face.png"))
    assert out.shape == degraded.shape and (tmp_path / "out" / "odd size.jpg").is_file()
    expected = np.clip(
        np.rint(
            model(paddle.to_tensor(degraded.transpose(2, 0, 1)[None] / 255.0, dtype="float32"))
            .numpy()[0]
            .transpose(1, 2, 0)
            * 255
        ),
        0,
        255,
    )
    assert np.abs(out[..., ::-1].astype(float) - expected).max() <= 2
