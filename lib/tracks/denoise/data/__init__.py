"""Sample data for the real-image denoising track (MIRNetV2), in SIDD-Medium's own layout, and the
solution's patch cutting (``generate_patches_SIDD.py --ps --num_patches --num_cores``).

Generated root (``python -m lib.data denoise``)::

    <root>/manifest.json                                        profile, seed, options, scene recipes, file hashes
    <root>/SIDD_Medium_Srgb/Data/0001_001_SY_03200_00100_5500_N/0001_NOISY_SRGB_010.PNG   noisy sRGB
    <root>/SIDD_Medium_Srgb/Data/0001_001_SY_03200_00100_5500_N/0001_GT_SRGB_010.PNG      clean sRGB
    <root>/test/Data/<scene>/...                                held-out scenes (photos never trained on)

Scene folders are named as SIDD names them: ``<instance>_<scene>_<phone>_<ISO>_<shutter>_<temperature>_<brightness>``;
here the scene number is the source photo, the phone code ``SY`` (synthetic) and the ISO the level
the noise was synthesised at (:func:`parse_scene_name` reads it back, from real SIDD names too).
Each scene is a random crop (random size in ``crop``, random flips) of one clean photo that ships
offline with scikit-image, scikit-learn or matplotlib (:data:`PHOTOS`), resized so its short side
is ``short_side`` (INTER_AREA: also removes the JPEG sources' own noise); training scenes are also
darkened by a random ``exposure`` factor in linear light (SIDD has low-light scenes: brightness code
``L`` below 0.5) and, for a ``channel_shuffle`` share of them, get their colour channels permuted (more
hues in dark and bright regions than a few photos have); then made noisy with Brooks et
al.'s camera pipeline (:func:`lib.tracks.denoise.camera_noise.synthesize`: unprocess to raw, shot + read noise
at the scene's ISO, process back) at an ISO drawn log-uniformly from ``iso_range``; test scenes take
every ISO of ``test_isos`` for every test photo. A real SIDD-Medium download (``$COURSE_DATA``)
is read unchanged by :func:`list_scenes` (file names with or without the instance prefix, both
captures 010 and 011); it has no ``test/``, see :func:`test_scenes`. The solution's own folder
(sldyns/MIRNetV2_paddle, and its patches shared on AI Studio) is read too::

    <root>/SIDD_patches/train/input/<image>_<patch>.png + groundtruth/   patches cut by generate_patches_SIDD.py
    <root>/SIDD_patches/val/input/0000-0000.png + groundtruth/           SIDD's validation blocks (256 x 256)

``SIDD_patches/val`` is what the solution reports its PSNR / SSIM on: :func:`test_scenes` returns it when
the root has no ``test/Data`` (without ``groundtruth/`` the track predicts it instead of scoring it),
and a root with ``SIDD_patches/train`` but no ``SIDD_Medium_Srgb/Data`` trains on those patches as
they are, validated on ``SIDD_patches/val`` (:func:`prepare_patches`).

Every scene is drawn from its own generator seeded by ``(seed, split, index)``, so the bytes do not
depend on the number of worker processes; the set is built with :func:`lib.data.folders.build_atomically`.

Preparation (:func:`prepare_patches`, the solution's ``generate_patches_SIDD.py``): the scenes of the last
``val_scenes`` scene numbers are held out for validation; from every other image ``num_patches``
random ``ps`` x ``ps`` windows (the same in both images) go to ``train/input`` and
``train/groundtruth`` named ``<image>_<patch>.png`` as the solution names them, ``val_patches`` per
held-out image to ``val/input`` and ``val/groundtruth``; one job per image, over ``num_cores``
processes (:func:`lib.data.folders.run_jobs`), each with its own generator ``(seed, image)``;
``patches.csv`` records where every patch came from. ``val_scenes: 0`` (``full``, as the solution ran:
it trained on every scene) validates on SIDD's own validation blocks instead: their PNGs in
``SIDD_patches/val``, else the official download's ``ValidationNoisyBlocksSrgb.mat`` and
``ValidationGtBlocksSrgb.mat`` (in the root or ``SIDD_patches/val``), extracted to PNGs named as the
solution names them (:mod:`.sidd_blocks`).

One concern per module: :mod:`.layout` (the folders), :mod:`.names` (scene and file names),
:mod:`.options` (the config sections), :mod:`.photos` (the clean photos), :mod:`.generator` (the
sample set), :mod:`.read` (reading a root), :mod:`.patches` (the solution's patch cutting),
:mod:`.sidd_blocks` (SIDD's validation blocks from their MATLAB files) and :mod:`.teaching` (notebook 07's
helpers).
"""

from __future__ import annotations

from .generator import (
    GENERATOR_VERSION,
    MIN_PARALLEL_PIXELS,
    PNG_FLAGS,
    SceneJob,
    ensure_dataset,
    generate,
    make_scene,
    scene_jobs,
)
from .layout import GT_DIR, INPUT_DIR, PATCHES_DIR, SIDD_DATA, SIDD_VAL, SPLITS, TEST_DATA, TRACK
from .names import FILE_RE, PHONE, SCENE_RE, parse_scene_name, scene_iso, scene_name
from .options import DATA_KEYS, PREPARE_KEYS, data_options, prepare_options
from .patches import (
    PREPARE_VERSION,
    PreparedPatches,
    cut_patches,
    precut_patches,
    prepare_patches,
    prepared_root,
    source_fingerprint,
    split_scenes,
    validation_blocks,
)
from .photos import PHOTOS, load_photo, resized_photo
from .read import check_root, list_scenes, patch_pairs, test_scenes
from .sidd_blocks import GT_MAT, NOISY_MAT, find_validation_mats, read_blocks, write_block_pngs
from .teaching import GREY_LEVELS, pipeline_stages, raw_noise_variance

__all__ = [
    "DATA_KEYS",
    "FILE_RE",
    "GENERATOR_VERSION",
    "GREY_LEVELS",
    "GT_DIR",
    "GT_MAT",
    "INPUT_DIR",
    "MIN_PARALLEL_PIXELS",
    "NOISY_MAT",
    "PATCHES_DIR",
    "PHONE",
    "PHOTOS",
    "PNG_FLAGS",
    "PREPARE_KEYS",
    "PREPARE_VERSION",
    "PreparedPatches",
    "SCENE_RE",
    "SIDD_DATA",
    "SIDD_VAL",
    "SPLITS",
    "SceneJob",
    "TEST_DATA",
    "TRACK",
    "check_root",
    "cut_patches",
    "data_options",
    "ensure_dataset",
    "find_validation_mats",
    "generate",
    "list_scenes",
    "load_photo",
    "make_scene",
    "parse_scene_name",
    "patch_pairs",
    "pipeline_stages",
    "precut_patches",
    "prepare_options",
    "prepare_patches",
    "prepared_root",
    "raw_noise_variance",
    "read_blocks",
    "resized_photo",
    "scene_iso",
    "scene_jobs",
    "scene_name",
    "source_fingerprint",
    "split_scenes",
    "test_scenes",
    "validation_blocks",
    "write_block_pngs",
]
