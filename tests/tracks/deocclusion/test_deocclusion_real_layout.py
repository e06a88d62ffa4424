"""Track ``deocclusion`` on a small fake copy of the real download: its ``train_data_1`` ...
``train_data_k`` parts (gt/, hand/, annotation.txt with the competition's file names, as the
3rd-place solution reads them), no ``val/``, a ``test_A/`` of photos alone. The training folders
are found, a validation split is held out by page, the preparation names each part's samples apart,
and the test board is repaired, not scored."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from lib.data.pairs import DataError, read_image
from lib.tracks.deocclusion.data import (
    check_root,
    list_samples,
    prepare,
    split_samples,
    training_splits,
    validate_split,
)

PAGE_HW = (64, 48)


def _write(path: Path, rgb_or_gray: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = rgb_or_gray if rgb_or_gray.ndim == 2 else cv2.cvtColor(rgb_or_gray, cv2.COLOR_RGB2BGR)
    assert cv2.imwrite(str(path), image)


def make_download(root: Path, parts: int = 2, pages: int = 2, photos: int = 2, test_photos: int = 2) -> dict:
    """The download's layout with tiny images: ``train_data_<k>/gt/<page>.jpg``,
    ``hand/<page>_0_<j>.jpg`` + ``.png`` and annotation.txt lines ``gt/.. hand/.. hand/..``;
    ``test_A/<name>.jpg`` alone. Returns {part: [page names]}."""
    rng = np.random.default_rng(0)
    made = {}
    for k in range(1, parts + 1):
        folder, lines = root / f"train_data_{k}", []
        made[folder.name] = []
        for p in range(pages):
            page = f"{k - 1}_IMG_2022070{k}_10312{p}_a"
            made[folder.name].append(page)
            clean = np.full(PAGE_HW + (3,), 235, np.uint8)
            clean[8:56:6, 6:42] = rng.integers(0, 80, 3)  # lines of "text"
            _write(folder / "gt" / f"{page}.jpg", clean)
            for j in range(photos):
                mask = np.zeros(PAGE_HW, np.uint8)
                y, x = 10 + 8 * j, 8 + 6 * p
                mask[y : y + 16, x : x + 14] = 255
                occluded = clean.copy()
                occluded[mask > 0] = (190, 140, 120)  # a hand
                stem = f"hand/{page}_0_{j:03d}"
                _write(folder / f"{stem}.jpg", occluded)
                _write(folder / f"{stem}.png", mask)
                lines.append(f"gt/{page}.jpg {stem}.jpg {stem}.png")
        (folder / "annotation.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for t in range(test_photos):
        photo = np.full(PAGE_HW + (3,), 230, np.uint8)
        photo[20:40, 10 + t : 30 + t] = (180, 130, 110)
        _write(root / "test_A" / f"test_{t:04d}.jpg", photo)
    return made


@pytest.fixture()
def download(tmp_path):
    root = tmp_path / "download"
    return root, make_download(root)


def test_training_folders_are_the_downloads_parts_in_number_order(tmp_path):
    for name in ("train_data_10", "train_data_2", "train_data_1", "test_A", "training_notes"):
        (tmp_path / name).mkdir()
    assert [p.name for p in training_splits(tmp_path)] == ["train_data_1", "train_data_2", "train_data_10"]


def test_validation_is_held_out_by_page_and_said(download):
    root, made = download
    train, val, said = split_samples(root, val_pages=1)
    last_page = made["train_data_2"][-1]
    assert {Path(s.gt).stem for _, s in val} == {last_page}
    assert len(val) == 2 and len(train) == 2 * 2 * 2 - 2
    assert not {s.gt for _, s in train} & {s.gt for _, s in val}  # no page on both sides
    assert {folder for folder, _ in train} == {"train_data_1", "train_data_2"}
    assert "no val/" in said and "1 clean page(s)" in said and "train_data_1, train_data_2" in said
    with pytest.raises(DataError, match="leaves none"):
        split_samples(root, val_pages=4)


def test_prepare_reads_every_part_and_names_them_apart(download, tmp_path, capsys):
    """The old preparation read only train/ and val/: from the download it made nothing."""
    from lib.tracks import get_track

    root, made = download
    cfg = get_track("deocclusion").config("smoke")
    out = prepare(root, tmp_path / "prepared", (32, 24), cfg["repair"], val_pages=1)
    assert "held out for validation" in capsys.readouterr().out
    train = sorted(p.name for p in (out / "seg" / "train" / "images").glob("*.png"))
    val = sorted(p.name for p in (out / "seg" / "val" / "images").glob("*.png"))
    last = made["train_data_2"][-1]
    assert val == sorted(
        [f"train_data_2-gt_{last}.png", f"train_data_2-hand_{last}_0_000.png", f"train_data_2-hand_{last}_0_001.png"]
    )
    assert f"train_data_1-hand_{made['train_data_1'][0]}_0_000.png" in train
    assert not any(last in name for name in train)
    assert len(train) == 3 * 3  # 3 pages x (2 photos + the clean page)
    label = cv2.imread(str(out / "seg" / "val" / "labels" / f"train_data_2-hand_{last}_0_000.png"), 0)
    assert label.shape == (32, 24) and set(np.unique(label)) == {0, 1}
    assert len(list((out / "inpaint" / "val" / "images").glob("*.png"))) == 2


def test_check_root_requires_clean_pages_in_every_part_and_reads_the_flat_board(download):
    root, made = download
    lines = check_root(root)
    assert lines[0].startswith("test_A: 2 张遮挡照片") and "0 张有干净页面" in lines[0]
    assert lines[1].startswith("train_data_1: 4 张遮挡照片（hand），4 张有干净页面")
    board = list_samples(root / "test_A")
    assert [(s.name, s.category, s.gt, s.mask) for s in board] == [
        ("test_0000.jpg", "", None, None),
        ("test_0001.jpg", "", None, None),
    ]
    (root / "train_data_1" / "gt" / f"{made['train_data_1'][0]}.jpg").unlink()
    with pytest.raises(DataError, match=r"(?s)train_data_1.*annotation.txt line 1: file\(s\) not found: gt/"):
        check_root(root)
    # a part without annotation.txt whose photos have no clean page: an error for a training part only
    # (the old check required clean pages in train/ alone)
    (root / "train_data_1" / "gt" / f"{made['train_data_1'][0]}.jpg").write_bytes(b"")
    (root / "train_data_1" / "annotation.txt").unlink()
    for page in made["train_data_1"]:
        (root / "train_data_1" / "gt" / f"{page}.jpg").unlink()
    with pytest.raises(
        DataError,
        match=r"(?s)train_data_1: 4 problem.*hand/0_IMG_20220701_103120_a_0_000.jpg: "
        r"no clean page in gt/",
    ):
        check_root(root)
    assert len(validate_split(root / "train_data_1", require_gt=False)) == 4


def test_evaluate_repairs_a_board_without_clean_pages(download, tmp_path, capsys, deocclusion_networks):
    """The old evaluation fell back to val/, which a download does not have: FileNotFoundError."""
    from lib.tracks import get_track
    from lib.tracks.deocclusion.repair import RepairOptions, network_inpainter, predict_mask_logits, repair_local

    root, _ = download
    segmenter, generator, cfg = deocclusion_networks
    track = get_track("deocclusion")
    result = track.evaluate(generator, "smoke", data=root, segmenter=segmenter, out=tmp_path / "out")
    line = capsys.readouterr().out
    assert "test_A has no ground truth: restored 2 image(s)" in line and "metrics skipped" in line
    assert result["ground_truth"] is False and result["restored"] == 2 and "methods" not in result
    repair = RepairOptions.from_config(cfg["repair"])
    for name in ("test_0000.jpg", "test_0001.jpg"):
        photo = read_image(root / "test_A" / name)
        written = read_image(tmp_path / "out" / name)
        expected = repair_local(
            photo,
            predict_mask_logits(segmenter, photo, tuple(cfg["prepare"]["seg_size"]), repair.seg_flip) > 0,
            network_inpainter(generator),
            repair,
        )
        assert written.shape == photo.shape
        assert np.abs(written.astype(int) - expected.astype(int)).mean() < 2.0  # JPEG written, as the board came
