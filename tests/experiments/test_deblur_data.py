"""The readability study's training-page switches and evaluation splits (lab.tracks.deblur.data), on tiny sets:
each switch changes only what it says, and a set without them is the product's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from deblur_sample import TINY, all_files, fake_extra_fonts, make

from lab.tracks.deblur import data as study
from lib.config import ConfigError
from lib.data import degrade, fonts, validate_pairs
from lib.tracks.deblur import data as deblur
from lib.tracks.deblur.data import ensure_dataset


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return make(tmp_path_factory.mktemp("gen") / "set")


def kernel_sizes(meta: dict) -> list[float]:
    """The size of each kernel part in layout units (radius, sigma or length over px per unit)."""
    key = {"disk": "radius_px", "gaussian": "sigma_px", "motion": "length_px", "shake": "length_px"}
    return [part[key[part["type"]]] / meta["px_per_unit"] for part in meta["kernel"]]


def assert_only_training_pages_differ(changed: Path, default: Path) -> None:
    """Every file but the training pages and the manifest is byte for byte the default set's."""
    files, reference = all_files(changed), all_files(default)
    for rel in reference:
        if not rel.startswith("train/") and rel != "manifest.json":
            assert files[rel] == reference[rel], rel


def families_used(root: Path, split: str) -> set[str]:
    """The font families the pages of ``split`` name in their meta files (weights stripped)."""
    return {
        re.sub(r" (Bold|\(faux bold\))$", "", f)
        for p in (root / split / "meta").glob("0*.json")
        for f in json.loads(p.read_text(encoding="utf-8"))["fonts"]
    }


def test_milder_training_blur_changes_only_the_training_blur(tiny, tmp_path):
    """train_blur_strength [0.3, 0.3]: every training kernel part is 0.3x as large as the default
    set's (same page, same draws), the pages' text and the test pages are byte for byte the same."""
    mild = make(tmp_path / "mild", options={"train_blur_strength": [0.3, 0.3]})
    assert deblur.data_options("smoke", {**TINY}) == deblur.data_options(
        "smoke", {**TINY, "train_blur_strength": [1, 1]}
    )
    files, default = all_files(mild), all_files(tiny)
    for rel in default:
        if not rel.startswith("train/") or rel.startswith(("train/gt_image", "train/text")):
            assert rel == "manifest.json" or files[rel] == default[rel], rel
    for meta_path in sorted((mild / "train" / "meta").glob("*.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        before = json.loads((tiny / "train" / "meta" / meta_path.name).read_text(encoding="utf-8"))
        assert meta["blur_strength"] == 0.3 and "blur_strength" not in before
        assert np.allclose(kernel_sizes(meta), [0.3 * s for s in kernel_sizes(before)], rtol=1e-3, atol=1e-3)
        assert (
            np.load(mild / "train" / "meta" / meta["kernel_file"]).shape[0]
            < np.load(tiny / "train" / "meta" / before["kernel_file"]).shape[0]
        )


@pytest.mark.parametrize("bad", [[0.0, 1.0], [0.8, 0.5], [0.5, 1.2], "mild", [0.5]])
def test_bad_training_blur_strength_is_a_clear_error(bad):
    with pytest.raises(ConfigError, match=r"deblur\.yaml data: train_blur_strength must be \[low, high\]"):
        deblur.data_options("smoke", {"train_blur_strength": bad})


def test_stroke_weight_variation_changes_only_the_training_pages_ink(tiny, tmp_path):
    """train_stroke_grow [0.15, 0.15]: every training page is the default set's page with bolder
    strokes (more dark pixels, the same text, the same kernels); the test pages are byte for byte the same."""
    bold = make(tmp_path / "bold", options={"train_stroke_grow": [0.15, 0.15]})
    assert deblur.data_options("smoke", {**TINY}) == deblur.data_options("smoke", {**TINY, "train_stroke_grow": [0, 0]})
    files, default = all_files(bold), all_files(tiny)
    for rel in default:
        if not rel.startswith(("train/gt_image", "train/blur_image", "train/meta/0000")) or rel.endswith(".npy"):
            assert rel == "manifest.json" or files[rel] == default[rel], rel
    for meta_path in sorted((bold / "train" / "meta").glob("*.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        before = json.loads((tiny / "train" / "meta" / meta_path.name).read_text(encoding="utf-8"))
        assert meta["stroke_grow"] == 0.15 and "stroke_grow" not in before
        assert {k: v for k, v in meta.items() if k != "stroke_grow"} == before
        name = meta["name"]
        gt, gt_before = (
            cv2.imread(str(root / "train" / "gt_image" / name), cv2.IMREAD_GRAYSCALE) for root in (bold, tiny)
        )
        assert gt.mean() < gt_before.mean() and (gt < 128).sum() > 1.05 * (gt_before < 128).sum(), name
    mixed = make(tmp_path / "mixed", options={"train_stroke_grow": [-0.25, 0.15]})
    grows = [
        json.loads(p.read_text(encoding="utf-8"))["stroke_grow"]
        for p in sorted((mixed / "train" / "meta").glob("*.json"))
    ]
    assert all(-0.25 <= g <= 0.15 for g in grows) and len(set(grows)) == len(grows)


@pytest.mark.parametrize("bad", [[-0.6, 0.1], [0.2, 0.1], [0.0, 0.7], "bold", [0.1]])
def test_bad_training_stroke_grow_is_a_clear_error(bad):
    with pytest.raises(ConfigError, match=r"deblur\.yaml data: train_stroke_grow must be \[low, high\] with -0\.5"):
        deblur.data_options("smoke", {"train_stroke_grow": bad})


def test_cause_splits_change_one_thing_each(tmp_path):
    """heldout_fonts: held-out fonts with the training kernels; heldout_blur: training fonts with the
    held-out (shake) kernel; mild_blur: training fonts, training kernels at half their size range;
    heldout_fonts_mild: held-out fonts, training kernels at half their size range."""
    root = study.generate_cause_set(tmp_path / "cause", 2, "smoke", workers=1)
    again = study.generate_cause_set(tmp_path / "cause", 2, "smoke", workers=1)  # up to date: nothing written
    assert again == root and validate_pairs(root / "mild_blur")
    ranges = {"disk": degrade.DISK_RADIUS, "gaussian": degrade.GAUSS_SIGMA, "motion": degrade.MOTION_LENGTH}
    for split in study.CAUSE_SPLITS:
        metas = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((root / split / "meta").glob("*.json"))]
        assert len(metas) == 2 and all((root / split / "text" / f"{m['name'][:-4]}.txt").is_file() for m in metas)
        for meta in metas:
            families = {re.sub(r" (Bold|\(faux bold\))$", "", f) for f in meta["fonts"]}
            kinds = {part["type"] for part in meta["kernel"]}
            assert (families <= fonts.HELDOUT_FAMILIES) == split.startswith("heldout_fonts"), (split, families)
            assert ("shake" in kinds) == (split == "heldout_blur"), (split, kinds)
            if split in ("mild_blur", "heldout_fonts_mild"):
                for part, size in zip(meta["kernel"], kernel_sizes(meta)):
                    assert size <= 0.5 * ranges[part["type"]][1] + 1e-3, (part, size)
    with pytest.raises(ConfigError, match="pages must be an integer >= 1"):
        study.generate_cause_set(tmp_path / "none", 0, "smoke")


def test_evaluation_set_extends_the_data_sets_own_pages(tmp_path):
    """More held-out pages for evaluation: the first n_heldout are the data set's own, byte for byte,
    the rest are new pages drawn the same way (held-out fonts, shake blur)."""
    own = ensure_dataset("smoke", tmp_path / "set", workers=1, options={"n_train": 1, "n_test": 1, "n_scans": 0})
    more = study.generate_evaluation_set(tmp_path / "more", 3, "smoke", splits=("heldout",), workers=1)
    assert sorted(p.name for p in more.iterdir() if p.is_dir()) == ["heldout"]
    n_own = deblur.data_options("smoke")["n_heldout"]
    mine, theirs = all_files(more / "heldout"), all_files(own / "heldout")
    assert n_own == 2 and len(theirs) == 5 * n_own and len(mine) == 5 * 3
    assert {k: v for k, v in mine.items() if k in theirs} == theirs
    extra = json.loads((more / "heldout" / "meta" / "00003.json").read_text(encoding="utf-8"))
    assert {re.sub(r" (Bold|\(faux bold\))$", "", f) for f in extra["fonts"]} <= fonts.HELDOUT_FAMILIES
    assert "shake" in {part["type"] for part in extra["kernel"]}
    for bad in (("scans",), ("train",), ()):
        with pytest.raises(ConfigError, match="splits must be some of"):
            study.generate_evaluation_set(tmp_path / "bad", 2, "smoke", splits=bad)


@pytest.mark.slow
def test_extra_cjk_fonts_change_only_the_training_pages(tiny, tmp_path, monkeypatch):
    """train_extra_cjk_fonts: the training pages draw Chinese faces from the extra fonts too (recorded in
    the manifest); the test, held-out and scan pages are byte for byte the default set's."""
    from lib import paths

    monkeypatch.setattr(paths, "DATA_DIR", tmp_path)
    fake_extra_fonts(tmp_path / "fonts")
    assert deblur.data_options("smoke", {**TINY}) == deblur.data_options(
        "smoke", {**TINY, "train_extra_cjk_fonts": False}
    )
    wide = make(tmp_path / "wide", options={"n_train": 6, "train_extra_cjk_fonts": True})
    assert_only_training_pages_differ(wide, tiny)
    manifest = json.loads((wide / "manifest.json").read_text())
    extra = {name for _, name, _, _ in fonts._EXTRA_CJK} - {f.name for f in fonts.find_cjk_fonts()}
    assert {n.split(" [")[0] for n in manifest["train_fonts"]} >= extra and "train_fonts" not in json.loads(
        (tiny / "manifest.json").read_text()
    )
    used = families_used(wide, "train")
    assert used & extra, used
    for split in ("test_A", "heldout"):
        for p in (wide / split / "meta").glob("0*.json"):
            assert not set(json.loads(p.read_text(encoding="utf-8"))["fonts"]) & extra, p


@pytest.mark.slow
def test_heldout_fonts_diagnostic_puts_the_heldout_families_in_training_only(tiny, tmp_path):
    """train_heldout_fonts (a diagnostic): the training pages also draw from the held-out families (recorded in
    the manifest); the test and held-out pages are byte for byte the default set's."""
    assert deblur.data_options("smoke", {**TINY}) == deblur.data_options(
        "smoke", {**TINY, "train_heldout_fonts": False}
    )
    seen = make(tmp_path / "seen", options={"n_train": 8, "train_heldout_fonts": True})
    assert_only_training_pages_differ(seen, tiny)
    heldout = {f.name for f in (*fonts.discover_fonts(heldout=True).latin, *fonts.discover_fonts(heldout=True).cjk)}
    manifest = json.loads((seen / "manifest.json").read_text())
    assert {n.split(" [")[0] for n in manifest["train_fonts"]} >= heldout
    used = families_used(seen, "train")
    assert used & heldout, used
    assert not families_used(tiny, "train") & heldout


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_bad_heldout_fonts_option_is_a_clear_error(bad):
    with pytest.raises(ConfigError, match=r"deblur\.yaml data: train_heldout_fonts must be true or false"):
        deblur.data_options("smoke", {"train_heldout_fonts": bad})


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_bad_extra_cjk_fonts_option_is_a_clear_error(bad):
    with pytest.raises(ConfigError, match=r"deblur\.yaml data: train_extra_cjk_fonts must be true or false"):
        deblur.data_options("smoke", {"train_extra_cjk_fonts": bad})


@pytest.mark.slow
def test_training_shake_share_changes_only_the_training_blur(tiny, tmp_path):
    """train_shake_share 1: every training page is the default set's page (same text, same ground truth)
    blurred by the camera-shake family; the test pages stay byte for byte the same. 0.5 mixes both
    families, and 0 is the default set's options."""
    shaken = make(tmp_path / "shaken", options={"train_shake_share": 1.0})
    assert deblur.data_options("smoke", {**TINY}) == deblur.data_options("smoke", {**TINY, "train_shake_share": 0})
    files, default = all_files(shaken), all_files(tiny)
    for rel in default:
        if not rel.startswith(("train/blur_image", "train/meta")):
            assert rel == "manifest.json" or files[rel] == default[rel], rel
    for meta_path in sorted((shaken / "train" / "meta").glob("*.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        before = json.loads((tiny / "train" / "meta" / meta_path.name).read_text(encoding="utf-8"))
        assert [p["type"] for p in meta["kernel"]] == ["shake", "gaussian"], meta_path.name
        assert "shake" not in [p["type"] for p in before["kernel"]]
        assert files[f"train/blur_image/{meta['name']}"] != default[f"train/blur_image/{meta['name']}"]
    mixed = make(tmp_path / "mixed", options={"train_shake_share": 0.5, "n_train": 8})
    families = [
        json.loads(p.read_text(encoding="utf-8"))["kernel"][0]["type"] == "shake"
        for p in sorted((mixed / "train" / "meta").glob("*.json"))
    ]
    assert 0 < sum(families) < len(families)


@pytest.mark.parametrize("bad", [-0.1, 1.5, "half", True, [0.5]])
def test_bad_training_shake_share_is_a_clear_error(bad):
    with pytest.raises(ConfigError, match=r"deblur\.yaml data: train_shake_share must be a number in \[0, 1\]"):
        deblur.data_options("smoke", {"train_shake_share": bad})


def test_tilted_pages_are_sharper_at_their_near_edge(tmp_path):
    """heldout_tilt pages: held-out fonts, one 'tilt' recipe with near < far, and the text keeps more of
    its detail (Sobel magnitude of the blurred page over the sharp page's) at the near edge."""

    def sobel(img):
        g = img.astype(np.float32)
        return np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))

    root = study.generate_evaluation_set(tmp_path / "tilt", 2, "smoke", splits=("heldout_tilt",), workers=1)
    for meta_path in sorted((root / "heldout_tilt" / "meta").glob("*.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        assert {re.sub(r" (Bold|\(faux bold\))$", "", f) for f in meta["fonts"]} <= fonts.HELDOUT_FAMILIES
        assert meta["spatially_varying"]
        (part,) = meta["kernel"]
        assert part["type"] == "tilt" and part["near_radius_px"] < part["far_radius_px"]
        blurred, sharp = (
            cv2.imread(str(root / "heldout_tilt" / d / meta["name"]), cv2.IMREAD_GRAYSCALE)
            for d in ("blur_image", "gt_image")
        )
        radius = degrade.tilt_radius_map(
            *blurred.shape, part["near_radius_px"], part["far_radius_px"], part["angle_deg"]
        )
        near, far = radius < np.quantile(radius, 0.3), radius > np.quantile(radius, 0.7)
        detail = [sobel(blurred)[m].mean() / sobel(sharp)[m].mean() for m in (near, far)]
        assert detail[0] > 1.2 * detail[1], (meta["name"], detail)


@pytest.mark.slow
def test_training_shake_copies_add_the_shaken_pages_beside_their_originals(tmp_path):
    """train_shake_copies: every file of the default set stays byte for byte the same, and the pages a
    train_shake_share set would shake come in addition, as "<name>_shake" pairs with their original's
    ground truth and text and the camera-shake blur."""
    options = {"train_shake_share": 0.5, "n_train": 8}
    replaced = make(tmp_path / "replaced", options=options)
    added = make(tmp_path / "added", options={**options, "train_shake_copies": True})
    default = make(tmp_path / "default", options={"n_train": 8})
    files, before, replaced_files = all_files(added), all_files(default), all_files(replaced)
    for rel in before:
        assert rel == "manifest.json" or files[rel] == before[rel], rel
    shaken = sorted(
        json.loads(p.read_text(encoding="utf-8"))["name"]
        for p in (replaced / "train" / "meta").glob("*.json")
        if json.loads(p.read_text(encoding="utf-8"))["kernel"][0]["type"] == "shake"
    )
    copies = sorted(rel.split("/")[-1] for rel in files if rel.startswith("train/blur_image/") and rel not in before)
    assert 0 < len(shaken) < 8 and copies == [name.replace(".png", "_shake.png") for name in shaken]
    for name in shaken:
        stem = name.removesuffix(".png")
        assert files[f"train/gt_image/{stem}_shake.png"] == before[f"train/gt_image/{name}"]
        assert files[f"train/text/{stem}_shake.txt"] == before[f"train/text/{stem}.txt"]
        assert files[f"train/blur_image/{stem}_shake.png"] == replaced_files[f"train/blur_image/{name}"]
    manifest = json.loads((added / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["shaken_copies"] == len(shaken) and manifest["counts"]["train"] == 8


@pytest.mark.parametrize(
    "options, problem",
    [
        ({"train_shake_copies": True}, r"train_shake_copies needs train_shake_share above 0"),
        ({"train_shake_share": 0.3, "train_shake_copies": "yes"}, r"train_shake_copies must be true or false"),
    ],
)
def test_bad_training_shake_copies_is_a_clear_error(options, problem):
    with pytest.raises(ConfigError, match=rf"deblur\.yaml data: {problem}"):
        deblur.data_options("smoke", options)


def test_evaluation_pages_carry_what_each_page_is(tiny):
    from lab.tracks.deblur.strokes import evaluation_pages

    pages = evaluation_pages(tiny, splits=["test_A", "heldout"])
    assert [p["split"] for p in pages] == ["test_A"] * 2 + ["heldout"] * deblur.data_options("smoke")["n_heldout"]
    for page in pages:
        meta = json.loads(
            (tiny / page["split"] / "meta" / page["name"].replace(".png", ".json")).read_text(encoding="utf-8")
        )
        assert page["info"] == {
            "language": meta["page"]["language"],
            "columns": meta["page"]["columns"],
            "body_px": meta["page"]["body_px"],
            "fonts": meta["fonts"],
            "kernel": meta["kernel"],
        }
        assert page["info"]["language"] in ("zh", "en", "mixed") and page["info"]["columns"] in (1, 2)
