"""Read a root in SIDD's layout (generated or a real download) or the solution's patch folders."""

from __future__ import annotations

from pathlib import Path

from lib.data.pairs import DataError, image_size

from .layout import GT_DIR, INPUT_DIR, PATCHES_DIR, SIDD_DATA, SIDD_VAL, TEST_DATA
from .names import FILE_RE


def list_scenes(data_dir, check_sizes: bool = False) -> list[tuple[str, Path, Path]]:
    """``(name, noisy, gt)`` for every capture of every scene folder of ``data_dir`` (SIDD's
    ``Data/``), sorted; name is ``<scene>/<capture>`` (``010``, ``011``). Files are matched by
    instance prefix and capture number, with or without the prefix, any case of ``.png``. Every
    problem (no scene folders, a noisy image without its GT file or the reverse, an empty scene
    folder; with ``check_sizes`` also unreadable files and size mismatches, read from the headers)
    is collected and raised at once as a DataError naming the files."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: folder not found (expected SIDD's scene folders: {SIDD_DATA}/<scene>/)")
    scenes = sorted(p for p in data_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not scenes:
        raise DataError(
            f"{data_dir}: no scene folders (expected <scene>/<instance>_NOISY_SRGB_010.PNG "
            f"and <instance>_GT_SRGB_010.PNG)"
        )
    pairs, problems = [], []
    for scene in scenes:
        found: dict[tuple, dict] = {}
        for f in sorted(scene.iterdir()):
            match = FILE_RE.match(f.name) if f.is_file() else None
            if match:
                key = (match["prefix"], match["capture"])
                found.setdefault(key, {})[match["kind"].upper()] = f
        if not found:
            problems.append(f"{scene}: no NOISY_SRGB_*.PNG / GT_SRGB_*.PNG images")
        for (prefix, capture), kinds in sorted(found.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
            stem = f"{prefix}_" if prefix else ""
            if "GT" not in kinds:
                problems.append(f"{kinds['NOISY']}: no ground truth {scene / f'{stem}GT_SRGB_{capture}.PNG'}")
                continue
            if "NOISY" not in kinds:
                problems.append(f"{kinds['GT']}: no noisy image {scene / f'{stem}NOISY_SRGB_{capture}.PNG'}")
                continue
            if check_sizes:
                try:
                    sizes = {k: image_size(p) for k, p in kinds.items()}
                except Exception as exc:  # noqa: BLE001 -- any unreadable header is reported
                    problems.append(f"{scene}: unreadable image ({exc})")
                    continue
                if sizes["NOISY"] != sizes["GT"]:
                    problems.append(
                        f"{kinds['NOISY']}: size {sizes['NOISY']} differs from its ground truth "
                        f"{kinds['GT'].name} {sizes['GT']}"
                    )
                    continue
            pairs.append((f"{scene.name}/{capture}", kinds["NOISY"], kinds["GT"]))
    if problems:
        raise DataError(f"{data_dir}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    return pairs


def patch_pairs(folder) -> list[tuple[str, Path, Path | None]]:
    """``(name, input, groundtruth or None)`` of a patch folder in the solution's layout
    (``<folder>/input/*.png`` and ``<folder>/groundtruth/*.png``, matched by name), sorted by name."""
    from lib.data.pairs import list_pairs

    return list_pairs(folder, input_dir=INPUT_DIR, gt_dir=GT_DIR)


def test_scenes(root) -> tuple[str, list]:
    """(where, pairs) of the held-out images: ``test/Data`` when the root has it (generated data),
    else SIDD's validation blocks ``SIDD_patches/val`` when they have their ground truth (what the
    seed reports), else none (a bare SIDD-Medium download: evaluation then uses the validation
    patches)."""
    root = Path(root)
    if (root / TEST_DATA).is_dir():
        return TEST_DATA, list_scenes(root / TEST_DATA)
    if (root / SIDD_VAL / INPUT_DIR).is_dir():
        listed = patch_pairs(root / SIDD_VAL)
        if listed and all(g is not None for _, _, g in listed):
            return f"{SIDD_VAL} (SIDD's validation blocks)", [(f"val/{n}", i, g) for n, i, g in listed]
    return "", []


def check_root(root) -> list[str]:
    """Every folder of a denoising root that the track reads, each problem at once (DataError):
    SIDD-Medium's scenes, the generated ``test/Data``, the solution's ``SIDD_patches/train`` and
    ``SIDD_patches/val`` (ground truth required except in ``val``: it may be a board to predict)."""
    from lib.data.pairs import check_each, validate_pairs

    root = Path(root)
    present = [rel for rel in (SIDD_DATA, TEST_DATA, f"{PATCHES_DIR}/train", SIDD_VAL) if (root / rel).is_dir()]
    if not present:
        raise DataError(
            f"{root}: none of {SIDD_DATA}/, {PATCHES_DIR}/train/, {SIDD_VAL}/ (a SIDD-Medium download "
            f"or the solution's SIDD_patches; see data/README.md)"
        )

    def check(rel):
        if rel.startswith(PATCHES_DIR):
            listed = validate_pairs(
                root / rel, require_gt=rel != SIDD_VAL, input_dir=INPUT_DIR, gt_dir=GT_DIR, input_noun="noisy patch"
            )
            return f"{rel}：带噪图块 {len(listed)} 个，其中 {sum(g is not None for _, _, g in listed)} 个有 {GT_DIR}"
        pairs = list_scenes(root / rel, check_sizes=True)
        return f"{rel}：{len({n.split('/')[0] for n, _, _ in pairs})} 个场景，{len(pairs)} 对带噪/真值图"

    return check_each(present, check)
