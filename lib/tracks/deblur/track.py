"""Track ``deblur``: the 1st-place blurred-document restoration (NAFNet, progressive training, TLC).

Data: :mod:`lib.tracks.deblur.data` renders document pages (:mod:`lib.data.pages`) and blurs them
(:mod:`lib.data.degrade`) in the competition layout; :mod:`lib.data.prepare` downsamples, crops and
filters them. Model: :mod:`lib.models.nafnet` (+ :mod:`lib.models.tlc` at test time). Training:
the engine's restoration task with the solution's stages and loss phases (lib/configs/deblur.yaml).
Evaluation: test_A against the blurred input and the classical baselines of :mod:`lib.tracks.deblur.baselines`
tuned on the validation pages. Deployment (:mod:`lib.tracks.deblur.deployment`): :mod:`lib.export` with TLC and
``predict.py``, the app's tab.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from lib.config import active_profile
from lib.paths import DATA_ENV, generated_data_root
from lib.tracks.base import Track

from .deployment import DeblurDeployment


class BlurredPages:
    """The blurred-document competition's data: the generated pages in its layout, their check, the
    track's own preparation of them, the test boards and the full-size pages of ``make check-full``.
    The competition's second solution (the sdwnet track) reads the same pages through the registry, by
    this track's name."""

    def generate_data(self, profile=None, out=None, *, seed=0, force=False, workers=None) -> Path:
        """The generated pages. A track reading another options file (``python -m lib.train --options``) generates
        its own ``data`` section into a folder of its own, named after those options, never over the shipped set."""
        from .data import ensure_dataset

        profile = active_profile(profile)
        options = None
        if self.config_file is not None:
            options = self.config(profile)["data"]
            if out is None and not os.environ.get(DATA_ENV, "").strip():
                digest = hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()[:8]
                out = generated_data_root(self.name, profile).with_name(f"{self.name}-{digest}")
        return ensure_dataset(profile, out, seed=seed, force=force, workers=workers, options=options)

    def check_data(self, root: Path) -> list[str]:
        """Every split folder of ``root``; ground truth is required for train only."""
        from lib.data.pairs import GT_DIR, DataError, check_each, validate_pairs

        root = Path(root)
        splits = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) if root.is_dir() else []
        if not splits:
            raise DataError(f"{root}: no split folders (expected train/, test_A/ ...)")

        def check(split):
            pairs = validate_pairs(split, require_gt=split.name == "train")
            return f"{split.name}: {len(pairs)} blurred images, {sum(g is not None for _, _, g in pairs)} with {GT_DIR}"

        return check_each(splits, check)

    def prepare(self, profile=None, source=None, force=False, **overrides):
        """Split, 2x downsample, crop and gradient-filter the training pages with this track's own
        ``prepare`` options (notebook 01): from ``source``, else ``$COURSE_DATA``, else the generated
        pages (made if missing); ``overrides`` replace single options (e.g. ``grad_threshold=12``)."""
        from lib.data.prepare import prepare_patches

        profile = active_profile(profile)
        source = source if source is not None else self.generate_data(profile)
        return prepare_patches(profile, force, source=source, track=self.name, **overrides)

    def test_inputs(self, root, board="test_A") -> Path:
        from lib.data.pairs import BLUR_DIR

        return Path(root) / board / BLUR_DIR


class DeblurTrack(BlurredPages, Track):
    name = "deblur"
    title = "Blurred-document restoration (1st place): NAFNet, progressive training, TLC"
    model_name = "nafnet"
    notebooks = (
        "00_setup_and_data",
        "01_data_analysis",
        "02_model_nafnet",
        "03_staged_training",
        "04_tlc_inference",
        "05_submission",
        "10_appendix_readability",  # the readability study, told from its recorded results
    )
    models = ("lib.models.nafnet", "lib.models.tlc")
    sections = ("data", "model", "prepare", "train", "tlc")
    deployment_class = DeblurDeployment  # NAFNet + TLC, dist/submission.zip, the app's deblurring tab

    def train_data(self, prepared):
        """Training patches (gradient-filtered meta file), the held-out pages whole for validation,
        and for the all-data fine-tune the training patches plus the held-out pages' own patches,
        cropped and filtered alike (the solution's data_preparation_all.py), not 100 whole pages
        among thousands of crops."""
        from lib.data.pairs import list_pairs
        from lib.data.prepare import read_meta_file
        from lib.train.engine import TrainData

        patches = read_meta_file(prepared.meta_file)
        return TrainData(train=patches, all=patches + prepared.val_patches(), val=list_pairs(prepared.val_dir))

    def evaluate(self, model, profile=None, data=None, val=None, out=None) -> dict:
        """test_A: the blurred input, each classical baseline tuned on the validation pages, NAFNet.
        Readability: PSNR / MS-SSIM / OCR CER of the input, the best classical baseline, NAFNet and
        NAFNet + TLC on test_A and on the evaluation-only splits (held-out fonts and blur, blurred
        real scans) where the data has them. A test_A without ``gt_image`` (the competition's):
        NAFNet + TLC restores it into ``out`` and nothing is scored (:meth:`Track.predict_board`)."""
        from lib.data.pairs import has_ground_truth
        from lib.infer import predict_image, tlc_model
        from lib.paths import data_root

        from . import baselines
        from .evaluate import compare_methods, load_pairs, readability, readability_summary

        profile = active_profile(profile)
        root = Path(data or data_root(self.name, profile))
        if not has_ground_truth(root / "test_A"):
            return self.predict_board(model, self.test_inputs(root), profile, "test_A", out)
        test = load_pairs(root / "test_A")
        if val is None:
            from lib.data.pairs import list_pairs

            val = list_pairs(self.prepare(profile).val_dir)
        methods = compare_methods(test, load_pairs(val), model)
        best = max((r for r in methods if r["method"] in baselines.METHODS), key=lambda r: r["psnr"])
        classical = baselines.METHODS[best["method"]][0]
        with_tlc = tlc_model(model, profile=profile)  # the profile's TLC window (config `tlc`)
        rows = readability(
            {
                "NAFNet": lambda x: predict_image(model, x),
                "NAFNet + TLC": lambda x: predict_image(with_tlc, x),
                best["method"]: lambda x: classical(x, **best["params"]),
            },
            root,
        )
        return {
            "evaluated_on": "test_A",
            "methods": methods,
            "readability": rows,
            "readability_gain": {m: readability_summary(rows, m) for m in ("NAFNet", "NAFNet + TLC")},
        }


TRACK = DeblurTrack()


def deblur_trainer(profile=None, out_dir=None, prepared=None, quiet=None, **overrides):
    """``TRACK.trainer(...)``: the blurred-document Trainer of notebook 03 and ``make train``."""
    return TRACK.trainer(profile, out_dir, prepared=prepared, quiet=quiet, **overrides)
