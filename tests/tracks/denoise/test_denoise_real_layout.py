"""Track ``denoise`` on a small fake copy of the solution's own folder (sldyns/MIRNetV2_paddle):
``SIDD_patches/train`` (patches ``<image>_<patch>.png`` cut by generate_patches_SIDD.py) and
``SIDD_patches/val`` (SIDD's validation blocks ``0000-0000.png``), each ``input/`` +
``groundtruth/``. They are trained on as they are, the validation blocks are the test set the
seed reports, and without their ground truth they are predicted instead."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from lib.data.pairs import DataError, read_image
from lib.tracks.denoise import data as dd

TRAIN = ["1_1", "1_2", "1_10", "2_1"]
VAL = ["0000-0000", "0000-0001", "0001-0000"]


def make_patches(root: Path, gt_in_val: bool = True, side: int = 24) -> Path:
    rng = np.random.default_rng(0)
    for split, names in (("train", TRAIN), ("val", VAL)):
        for name in names:
            clean = rng.integers(60, 200, (side, side, 3), dtype=np.uint8)
            noisy = np.clip(clean.astype(int) + rng.integers(-20, 21, clean.shape), 0, 255).astype(np.uint8)
            for folder, image in (("input", noisy), ("groundtruth", clean)):
                if folder == "groundtruth" and split == "val" and not gt_in_val:
                    continue
                path = root / dd.PATCHES_DIR / split / folder / f"{name}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                assert cv2.imwrite(str(path), image)
    return root


def test_precut_patches_are_trained_on_as_they_are_in_the_seeds_order(tmp_path):
    """The old preparation needed SIDD_Medium_Srgb/Data (a DataError here), and its patch order
    parsed names as int tuples, which the validation blocks' ``0000-0001`` broke."""
    from lib.tracks import get_track

    root = make_patches(tmp_path)
    prepared = dd.prepare_patches("smoke", source=root)
    assert prepared.root == root / dd.PATCHES_DIR
    assert [p.stem for p, _ in prepared.pairs("train")] == ["1_1", "1_2", "1_10", "2_1"]
    assert [p.stem for p, _ in prepared.pairs("val")] == VAL
    assert all(g.parent.name == "groundtruth" and g.name == p.name for p, g in prepared.pairs("val"))
    data = get_track("denoise").train_data(prepared)
    assert len(data.train) == 4 and [n for n, _, _ in data.val] == [f"val/{v}.png" for v in VAL]
    assert prepared.manifest["stats"]["train_patches"] == 4


def test_precut_patches_without_validation_blocks_are_an_error_saying_so(tmp_path):
    root = make_patches(tmp_path)
    import shutil

    shutil.rmtree(root / dd.PATCHES_DIR / "val")
    with pytest.raises(DataError, match="train/ but no val/"):
        dd.prepare_patches("smoke", source=root)


def test_validation_blocks_are_the_test_set_and_checked(tmp_path):
    root = make_patches(tmp_path)
    where, pairs = dd.test_scenes(root)
    assert where == "SIDD_patches/val (SIDD's validation blocks)"
    assert [n for n, _, _ in pairs] == [f"val/{v}.png" for v in VAL]
    assert dd.check_root(root) == [
        "SIDD_patches/train：带噪图块 4 个，其中 4 个有 groundtruth",
        "SIDD_patches/val：带噪图块 3 个，其中 3 个有 groundtruth",
    ]
    (root / dd.PATCHES_DIR / "train" / "groundtruth" / "1_10.png").unlink()
    with pytest.raises(DataError, match="1_10"):
        dd.check_root(root)
    with pytest.raises(DataError, match="none of SIDD_Medium_Srgb/Data/"):
        dd.check_root(tmp_path / "empty")


def test_validation_blocks_without_ground_truth_are_predicted(tmp_path, capsys):
    """Evaluation writes the denoised blocks (the network's own output, same names and sizes) and
    no metrics; the old evaluation prepared SIDD-Medium's scenes first and failed."""
    import paddle

    from lib.infer import predict_image
    from lib.tracks import get_track
    from lib.train.registry import build_model

    root = make_patches(tmp_path / "data", gt_in_val=False)
    track = get_track("denoise")
    paddle.seed(0)
    model = build_model(track.model_spec(track.config("smoke")))
    model.eval()
    result = track.evaluate(model, "smoke", data=root, out=tmp_path / "out")
    assert "SIDD_patches/val has no ground truth: restored 3 image(s)" in capsys.readouterr().out
    assert result["ground_truth"] is False and result["restored"] == 3 and "methods" not in result
    for name in VAL:
        noisy = read_image(root / dd.SIDD_VAL / "input" / f"{name}.png")
        written = read_image(tmp_path / "out" / f"{name}.png")
        np.testing.assert_array_equal(written, predict_image(model, noisy))
