"""SIDD's official validation download (two MATLAB files of blocks) read, written as the solution's PNG
blocks, and used by ``prepare.val_scenes: 0`` (``full``: train on every scene, validate on SIDD's blocks)."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy.io import savemat

from lib.config import load_config
from lib.data.pairs import DataError
from lib.tracks.denoise import data as dd


def write_mats(folder: Path, shape=(2, 3, 16, 16, 3), seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A small pair of SIDD validation files (the official names and array keys) in ``folder``."""
    rng = np.random.default_rng(seed)
    gt = rng.integers(40, 220, shape, dtype=np.uint8)
    noisy = np.clip(gt.astype(int) + rng.integers(-25, 26, shape), 0, 255).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    savemat(folder / dd.NOISY_MAT, {"ValidationNoisyBlocksSrgb": noisy})
    savemat(folder / dd.GT_MAT, {"ValidationGtBlocksSrgb": gt})
    return noisy, gt


def test_blocks_read_back_and_written_as_the_solutions_pngs(tmp_path):
    noisy, gt = write_mats(tmp_path)
    assert np.array_equal(dd.read_blocks(tmp_path / dd.NOISY_MAT), noisy)
    assert dd.write_block_pngs(tmp_path / dd.NOISY_MAT, tmp_path / dd.GT_MAT, tmp_path / "val") == 6
    names = sorted(p.name for p in (tmp_path / "val" / dd.INPUT_DIR).glob("*.png"))
    assert names == [f"{i:04d}-{k:04d}.png" for i in range(2) for k in range(3)]
    for sub, blocks in ((dd.INPUT_DIR, noisy), (dd.GT_DIR, gt)):
        rgb = cv2.cvtColor(cv2.imread(str(tmp_path / "val" / sub / "0001-0002.png")), cv2.COLOR_BGR2RGB)
        assert np.array_equal(rgb, blocks[1, 2])  # PNG is lossless: the very pixels, in RGB order


def test_the_mats_are_found_in_the_root_or_beside_the_png_blocks(tmp_path):
    assert dd.find_validation_mats(tmp_path) is None
    write_mats(tmp_path / dd.SIDD_VAL)
    assert dd.find_validation_mats(tmp_path) == (
        tmp_path / dd.SIDD_VAL / dd.NOISY_MAT,
        tmp_path / dd.SIDD_VAL / dd.GT_MAT,
    )


def test_bad_validation_files_are_errors_naming_the_file_and_the_problem(tmp_path):
    not_mat = tmp_path / dd.NOISY_MAT
    not_mat.write_bytes(b"this is no MATLAB file")
    with pytest.raises(DataError, match=f"{dd.NOISY_MAT}: not a readable MATLAB file"):
        dd.read_blocks(not_mat)
    savemat(not_mat, {"other": np.zeros((1, 1, 4, 4, 3), np.uint8)})
    with pytest.raises(DataError, match=r"no array 'ValidationNoisyBlocksSrgb' in it \(it has \['other'\]\)"):
        dd.read_blocks(not_mat)
    savemat(not_mat, {"ValidationNoisyBlocksSrgb": np.zeros((4, 4, 3), np.float32)})
    with pytest.raises(DataError, match=r"images x blocks x H x W x 3 uint8, got \(4, 4, 3\) float32"):
        dd.read_blocks(not_mat)
    write_mats(tmp_path, shape=(1, 2, 8, 8, 3))
    savemat(tmp_path / dd.GT_MAT, {"ValidationGtBlocksSrgb": np.zeros((1, 3, 8, 8, 3), np.uint8)})
    with pytest.raises(DataError, match=r"holds \(1, 2, 8, 8, 3\) blocks but .* holds \(1, 3, 8, 8, 3\)"):
        dd.write_block_pngs(tmp_path / dd.NOISY_MAT, tmp_path / dd.GT_MAT, tmp_path / "val")


def test_full_trains_on_every_scene_and_validates_on_siddds_blocks():
    assert load_config("denoise", "full")["prepare"]["val_scenes"] == 0


def test_val_scenes_0_trains_on_every_scene_and_validates_on_the_blocks(tmp_path):
    root = dd.ensure_dataset("smoke", tmp_path / "sidd", workers=1)
    with pytest.raises(
        DataError, match=f"validates on SIDD's validation blocks, and there are none: put {dd.NOISY_MAT}"
    ):
        dd.prepare_patches("smoke", source=root, out=tmp_path / "none", val_scenes=0)
    noisy, _ = write_mats(root, shape=(1, 2, 48, 48, 3))
    prepared = dd.prepare_patches("smoke", source=root, out=tmp_path / "prepared", val_scenes=0)
    scenes = dd.list_scenes(root / dd.SIDD_DATA)
    assert prepared.manifest["stats"]["train_images"] == len(scenes)  # no scene held out
    assert prepared.manifest["stats"]["val_images"] == 0
    pairs = prepared.pairs("val")
    assert [p.name for p, _ in pairs] == ["0000-0000.png", "0000-0001.png"]
    first = cv2.cvtColor(cv2.imread(str(pairs[0][0])), cv2.COLOR_BGR2RGB)
    assert np.array_equal(first, noisy[0, 0])
    held_out = dd.prepare_patches("smoke", source=root, out=tmp_path / "held", val_scenes=1)
    assert held_out.manifest["stats"]["train_images"] < len(scenes)  # the course's other way: a scene held out
