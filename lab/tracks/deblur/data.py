"""The readability study's data: training-page switches that never shipped, and evaluation splits of its own.

Importing this module registers :class:`TrainingSwitches` with the product's generator
(:func:`lib.tracks.deblur.data.register_page_variant`), so that a ``data`` section may then carry its keys:

* ``train_blur_strength: [low, high]``: each training page's blur drawn from that many times the test pages' (milder
  below 1), from its own stream;
* ``train_stroke_grow: [low, high]``: each training page's strokes made bolder (> 0) or lighter (< 0) by that many
  layout units per side (:func:`lib.data.pages.change_stroke_weight`), from its own stream;
* ``train_extra_cjk_fonts: true``: the training pages also draw their Chinese text from the extra faces of
  :mod:`lib.data.fonts` (``python -m lib.data.fonts --fetch-extra-cjk``);
* ``train_heldout_fonts: true``: a diagnostic, never a candidate: the training pages also draw the held-out font
  families, so ``heldout``'s fonts are no longer unseen (only its pages are): does a model that has seen those fonts
  read the held-out pages better than their blurred input, i.e. are unseen fonts what costs the reading?
* ``train_shake_share: s``: that share of the training pages is blurred by the camera-shake family (the held-out
  split's sampler) instead of the training kernels;
* ``train_shake_copies: true`` (with a share): the shaken pages are written as extra pairs (``00007_shake``) beside
  their originals instead of replacing them: the same pages and texts, so the set is the default set plus shaken
  copies. A copy sorts right after its original, so prepare's validation tail (the last val_count pairs by name) can
  hold one without the other: read split.json.

Each key is absent from the options when off, so a set without them is the product's, byte for byte.

The evaluation splits: the cause splits (:data:`CAUSE_SPLITS`, each changing one thing of test_A) and
``heldout_tilt`` (a tilted page's defocus in the held-out fonts), made by :func:`generate_evaluation_set`.
"""

from __future__ import annotations

import numpy as np

from lib.config import ConfigError, active_profile
from lib.data.fonts import FontSet, discover_fonts, find_extra_cjk_fonts
from lib.tracks.deblur import data as product
from lib.tracks.deblur.data import DeblurPageJob, PageVariant, register_page_variant

STRENGTH_KEY, STRENGTH_DEFAULT = "train_blur_strength", [1.0, 1.0]
WEIGHT_KEY, WEIGHT_DEFAULT = "train_stroke_grow", [0.0, 0.0]
EXTRA_FONTS_KEY = "train_extra_cjk_fonts"
ORACLE_FONTS_KEY = "train_heldout_fonts"
SHAKE_KEY = "train_shake_share"
SHAKE_COPIES_KEY = "train_shake_copies"
SWITCHES = (EXTRA_FONTS_KEY, ORACLE_FONTS_KEY, SHAKE_COPIES_KEY)  # true or false
SPANS = (
    (STRENGTH_KEY, STRENGTH_DEFAULT, 0.1, 1.0),
    (WEIGHT_KEY, WEIGHT_DEFAULT, -0.5, 0.5),
)  # key, off, lowest, highest
# the page-seed streams of a training page's own draws (the page is stream 0, its blur 1)
STRENGTH_STREAM, WEIGHT_STREAM, SHAKE_STREAM = 2, 3, 4

# split -> (id in the page seed, held-out fonts?, blur family, blur strength); the ids follow the product's 0-3
CAUSE_SPLITS = {
    "heldout_fonts": (4, True, "train", 1.0),  # the held-out fonts, the training blur
    "heldout_blur": (5, False, "heldout", 1.0),  # the training fonts, the held-out blur
    "mild_blur": (6, False, "train", 0.5),  # the training fonts and blur, half as strong
    "heldout_fonts_mild": (7, True, "train", 0.5),
}
# a tilted page's defocus (lib.data.degrade.tilt_blur): the one blur family no training page shows when training has
# camera shake too
BLUR_SPLITS = {"heldout_tilt": (8, True, "tilt", 1.0)}
STUDY_SPLITS = {**CAUSE_SPLITS, **BLUR_SPLITS}
EVALUATION_SPLITS = ("test_A", "heldout", *BLUR_SPLITS, *CAUSE_SPLITS)  # what generate_evaluation_set makes


class ShakenCopyJob(DeblurPageJob):
    """A training page again, blurred by the camera-shake family (:data:`SHAKE_COPIES_KEY`)."""

    @property
    def name(self) -> str:
        return f"{super().name}_shake"


def is_shaken(seed: int, index: int, opts: dict) -> bool:
    """Whether training page ``index`` is drawn for the camera-shake blur (its own stream, like the strength's)."""
    rng = np.random.default_rng([seed, product.SPLITS["train"], index, SHAKE_STREAM])
    return SHAKE_KEY in opts and rng.random() < opts[SHAKE_KEY]


class TrainingSwitches(PageVariant):
    """The six training-page switches of the module docstring."""

    defaults = {
        STRENGTH_KEY: STRENGTH_DEFAULT,
        WEIGHT_KEY: WEIGHT_DEFAULT,
        EXTRA_FONTS_KEY: False,
        ORACLE_FONTS_KEY: False,
        SHAKE_KEY: 0.0,
        SHAKE_COPIES_KEY: False,
    }

    def check(self, opts: dict, where: str) -> None:
        switches = {key: opts.pop(key) for key in SWITCHES}
        for key, on in switches.items():  # absent when false, so the bytes stay as they were
            if not isinstance(on, bool):
                raise ConfigError(f"{where}: {key} must be true or false, got {on!r}")
            if on:
                opts[key] = True
        share = opts.pop(SHAKE_KEY)
        if isinstance(share, bool) or not (isinstance(share, (int, float)) and 0.0 <= share <= 1.0):
            raise ConfigError(f"{where}: {SHAKE_KEY} must be a number in [0, 1], got {share!r}")
        if share:
            opts[SHAKE_KEY] = float(share)
        if switches[SHAKE_COPIES_KEY] and not share:
            raise ConfigError(f"{where}: {SHAKE_COPIES_KEY} needs {SHAKE_KEY} above 0 (the share of pages copied)")
        for key, default, lowest, highest in SPANS:
            span = opts.pop(key)
            if not (
                isinstance(span, (list, tuple))
                and len(span) == 2
                and all(isinstance(v, (int, float)) for v in span)
                and lowest <= span[0] <= span[1] <= highest
            ):
                raise ConfigError(
                    f"{where}: {key} must be [low, high] with {lowest:g} <= low <= high <= {highest:g}, got {span!r}"
                )
            if [float(v) for v in span] != default:
                opts[key] = [float(v) for v in span]

    def train_fonts(self, opts: dict, fonts: FontSet, heldout_fonts: FontSet) -> FontSet:
        latin, cjk = fonts.latin, fonts.cjk
        if opts.get(EXTRA_FONTS_KEY):
            cjk = (*cjk, *find_extra_cjk_fonts())
        if opts.get(ORACLE_FONTS_KEY):
            latin, cjk = (*latin, *heldout_fonts.latin), (*cjk, *heldout_fonts.cjk)
        return FontSet(latin, cjk)

    def params(self, opts: dict, train_fonts: FontSet) -> dict:
        return {"train_fonts": train_fonts.names()} if opts.get(EXTRA_FONTS_KEY) or opts.get(ORACLE_FONTS_KEY) else {}

    def stroke_grow(self, job: DeblurPageJob, grow: float) -> float:
        if job.split != "train" or WEIGHT_KEY not in job.options:
            return grow
        rng = np.random.default_rng([job.seed, job.split_id, job.index, WEIGHT_STREAM])
        return float(rng.uniform(*job.options[WEIGHT_KEY]))

    def blur(self, job: DeblurPageJob, family: str, strength: float) -> tuple[str, float]:
        opts = job.options
        if isinstance(job, ShakenCopyJob) or (
            job.split == "train" and not opts.get(SHAKE_COPIES_KEY) and is_shaken(job.seed, job.index, opts)
        ):
            family = "heldout"
        if job.split == "train" and STRENGTH_KEY in opts:  # its own stream: the page and its other draws stay
            rng = np.random.default_rng([job.seed, job.split_id, job.index, STRENGTH_STREAM])
            strength = float(rng.uniform(*opts[STRENGTH_KEY]))
        return family, strength

    def extra_pages(self, out_dir: str, seed: int, opts: dict, train_fonts: FontSet, counts: dict) -> dict:
        if not opts.get(SHAKE_COPIES_KEY):
            return {}
        copies = [
            ShakenCopyJob(out_dir, "train", i, seed, opts, train_fonts, None, (self,))
            for i in range(counts.get("train", 0))
            if is_shaken(seed, i, opts)
        ]
        return {"shaken_copies": copies}

    def summary(self, manifest: dict) -> str:
        return f" + {manifest['shaken_copies']} shaken copies" if manifest.get("shaken_copies") else ""


register_page_variant(TrainingSwitches())


def generate_evaluation_set(
    root, pages: int, profile: str | None = None, *, splits=tuple(CAUSE_SPLITS), seed: int = 0, workers=None
):
    """``pages`` pages of each of ``splits`` (:data:`EVALUATION_SPLITS`) at ``profile``'s test size, under
    ``root`` in the evaluation layout (``<split>/{blur_image,gt_image,meta,text}``); returns ``root`` at
    once when its manifest matches. Evaluation only, never trained on. A page's bytes depend only on
    (seed, split, index), so the first ``n_test`` / ``n_heldout`` pages are the data set's own and the
    rest are more pages drawn the same way (e.g. 30 held-out pages where the data set has 6)."""
    import os
    from pathlib import Path

    from lib.data.folders import ensure_generated

    profile = active_profile(profile)
    if not isinstance(pages, int) or pages < 1:
        raise ConfigError(f"generate_evaluation_set: pages must be an integer >= 1, got {pages!r}")
    unknown = [s for s in splits if s not in EVALUATION_SPLITS]
    if unknown or not splits:
        raise ConfigError(
            f"generate_evaluation_set: splits must be some of {', '.join(EVALUATION_SPLITS)}, got {list(splits)!r}"
        )
    root, opts = Path(root), product.data_options(profile)
    fonts, heldout_fonts = discover_fonts(), discover_fonts(heldout=True)
    counts = {split: pages for split in splits}
    params = {**product.dataset_params(profile, seed, opts, fonts, heldout_fonts), "counts": counts}
    workers = workers or os.cpu_count() or 1
    return ensure_generated(
        root,
        params,
        lambda: product.generate(root, profile, seed, opts, fonts, heldout_fonts, workers, counts, STUDY_SPLITS),
        lambda m: f"{pages} pages in each of {', '.join(splits)}",
        False,
    )


def generate_cause_set(root, pages: int, profile: str | None = None, *, seed: int = 0, workers=None):
    """The cause splits (:data:`CAUSE_SPLITS`), ``pages`` each: :func:`generate_evaluation_set`'s default."""
    return generate_evaluation_set(root, pages, profile, seed=seed, workers=workers)
