"""The multi-track engine did not change the blurred-document track: a fixed-seed smoke run gives
the training losses and validation scores recorded with the single-track engine before it."""

import json
from pathlib import Path

from lib.tracks.deblur.track import TRACK, deblur_trainer

import numpy as np
import paddle

REFERENCE = json.loads((Path(__file__).parent / "reference" / "deblur_smoke_run.json").read_text())


def test_fixed_seed_smoke_run_matches_the_recorded_one(tmp_path):
    paddle.set_device("cpu")
    trainer = deblur_trainer(
        "smoke", tmp_path / "run", prepared=TRACK.prepare("smoke"), quiet=True, **REFERENCE["overrides"]
    )
    history = trainer.fit()
    losses = [r["loss"] for r in history if "loss" in r]
    assert len(losses) == len(REFERENCE["losses"]) == 20
    np.testing.assert_allclose(losses, REFERENCE["losses"], rtol=1e-4, atol=1e-6)
    validation = [r for r in history if "psnr" in r]
    assert [r["iteration"] for r in validation] == [r["iteration"] for r in REFERENCE["validation"]]
    for got, want in zip(validation, REFERENCE["validation"]):
        for key in ("psnr", "ms_ssim", "score"):
            np.testing.assert_allclose(got[key], want[key], rtol=1e-4, err_msg=key)
