"""Track ``sdwnet``: SDWNet (a straight dilated network with a Haar-wavelet branch; Zou et al., ICCV 2021
workshops) trained on the course's blurred documents (notebook 06).

Data: the deblur track's pages (``data/deblur``), generated and checked by that track, reached by name
through the registry (:attr:`SDWNetTrack.pages`); :mod:`lib.data.prepare` cuts them with this track's own
``prepare`` options into ``data/sdwnet[-<profile>]-prepared``.
Crops: ``crops: {mode: offline}`` trains on random crops of the offline sliding-window patches (the
solution's recipe), ``online`` on random crops of the downsampled whole pages
(:func:`lib.data.prepare.training_pages`). Model: :mod:`lib.models.sdwnet`. Training: the engine's
restoration task with the solution's Charbonnier + SSIM (1:1) loss (``charbonnier_ssim``), AdamW and one
cosine. Evaluation (:mod:`lib.evaluate`, shared with the deblur track): test_A against the blurred input and the
classical deconvolution baselines (:mod:`lib.evaluate.deconvolution`, tuned on the validation pages), and the
readability rows (PSNR / MS-SSIM / OCR CER on test_A, held-out fonts and blur, real scans). Deployment
(:mod:`lib.tracks.sdwnet.deployment`): :mod:`lib.export` (no TLC: SDWNet has no global pooling), the network
edge-padded by a fixed margin so any size goes through (:class:`lib.models.sdwnet.EdgePadded`),
``dist/sdwnet_submission.zip``.
"""

from __future__ import annotations

from pathlib import Path

from lib.config import active_profile, check_profile
from lib.tracks import get_track
from lib.tracks.base import Track

from .deployment import SDWNetDeployment

MODEL_ROW = "SDWNet"
CROP_MODES = ("offline", "online")


class SDWNetTrack(Track):
    name = "sdwnet"
    title = "SDWNet on blurred documents: straight dilated blocks, Haar-wavelet branch, offline crops"
    model_name = "sdwnet"
    notebooks = ("06_sdwnet",)
    models = ("lib.models.sdwnet", "lib.models.wavelet")
    sections = ("model", "prepare", "crops", "train")
    deployment_class = SDWNetDeployment  # edge-padded, no TLC, dist/sdwnet_submission.zip, the app's tab

    data_track = "deblur"  # the document pages of data/deblur[-<profile>]

    # ------------------------------------------------------------------ data: the deblur track's pages
    @property
    def pages(self) -> Track:
        """The track whose pages this one reads (``data_track``, by name): it generates and checks them."""
        return get_track(self.data_track)

    def generate_data(self, profile=None, out=None, *, seed=0, force=False, workers=None) -> Path:
        return self.pages.generate_data(profile, out, seed=seed, force=force, workers=workers)

    def check_data(self, root: Path) -> list[str]:
        return self.pages.check_data(root)

    def test_inputs(self, root, board="test_A") -> Path:
        return self.pages.test_inputs(root, board)

    def prepare(self, profile=None, source=None, force=False, **overrides):
        """The pages (``source``, else ``$COURSE_DATA``, else the generated pages, made if missing) split,
        downsampled, cropped and gradient-filtered with this track's own ``prepare`` options;
        ``overrides`` replace single options."""
        from lib.data.prepare import prepare_patches

        profile = active_profile(profile)
        source = source if source is not None else self.generate_data(profile)
        return prepare_patches(profile, force, source=source, track=self.name, data_track=self.data_track, **overrides)

    def crop_mode(self, profile: str) -> str:
        mode = self.config(check_profile(profile))["crops"].get("mode")
        if mode not in CROP_MODES:
            raise ValueError(f"lib/configs/sdwnet.yaml crops.mode must be one of {CROP_MODES}, got {mode!r}")
        return mode

    def train_data(self, prepared, crops: str = "offline"):
        """``offline``: the gradient-filtered sliding-window patches; ``online``: the downsampled
        whole training pages (the engine draws a random crop of the stage's patch size from either).
        Validation: the held-out pages, whole; all data adds them to the training samples."""
        from lib.data.pairs import list_pairs
        from lib.data.prepare import read_meta_file, training_pages
        from lib.train.engine import TrainData

        if crops not in CROP_MODES:
            raise ValueError(f"crops must be one of {CROP_MODES}, got {crops!r}")
        samples = read_meta_file(prepared.meta_file) if crops == "offline" else training_pages(prepared)
        val = list_pairs(prepared.val_dir)
        return TrainData(train=samples, all=samples + [(b, g) for _, b, g in val], val=val)

    def trainer(self, profile=None, out_dir=None, prepared=None, quiet=None, crops: str | None = None, **overrides):
        """:meth:`Track.trainer` with the crops of the profile (``crops`` overrides them); a schedule
        in epochs (full) counts them over those crops' samples (offline: the prepared windows)."""
        import paddle

        from lib.train.engine import Trainer
        from lib.train.schedule import resolve_epochs

        cfg = self.config(profile)
        crops = crops or self.crop_mode(cfg["profile"])
        prepared = prepared if prepared is not None else self.prepare(cfg["profile"])
        out_dir = Path(out_dir) if out_dir else self.run_dir(cfg["profile"])
        data = self.train_data(prepared, crops)
        options = resolve_epochs(
            self.train_options(cfg, **overrides), len(data.train), paddle.distributed.get_world_size()
        )
        return Trainer(options, data, out_dir, quiet=quiet, task=self.task, track=self.name)

    def evaluate(self, model, profile=None, data=None, val=None, ocr=None, out=None) -> dict:
        """test_A: the blurred input, each classical baseline tuned on the validation pages, SDWNet;
        readability (PSNR / MS-SSIM / OCR CER) of the input, the best classical method and SDWNet on
        test_A and the evaluation-only splits; the issue's quality bar (beats the input and the best
        classical method on test_A). A test_A without ``gt_image`` (the competition's): SDWNet
        restores it into ``out`` and nothing is scored (:meth:`Track.predict_board`)."""
        from lib.data.pairs import has_ground_truth
        from lib.evaluate import compare_methods, load_pairs, readability, readability_summary
        from lib.evaluate.deconvolution import METHODS
        from lib.infer import predict_image

        profile = active_profile(profile)
        root = Path(data or self.data_root(profile))
        if not has_ground_truth(root / "test_A"):
            return self.predict_board(model, self.test_inputs(root), profile, "test_A", out)
        test = load_pairs(root / "test_A")
        if val is None:
            from lib.data.pairs import list_pairs

            val = list_pairs(self.prepare(profile, source=data).val_dir)
        methods = compare_methods(test, load_pairs(val), model, model_name=MODEL_ROW)
        best = max((r for r in methods if r["method"] in METHODS), key=lambda r: r["psnr"])
        classical = METHODS[best["method"]][0]
        rows = readability(
            {MODEL_ROW: lambda x: predict_image(model, x), best["method"]: lambda x: classical(x, **best["params"])},
            root,
            ocr=ocr,
        )
        return {
            "evaluated_on": "test_A",
            "methods": methods,
            "readability": rows,
            "readability_gain": {MODEL_ROW: readability_summary(rows, MODEL_ROW)},
            "checks": quality_checks(methods),
        }


def quality_checks(methods: list[dict], model_row: str = MODEL_ROW) -> dict:
    """The issue's bar on test_A: the model's PSNR and score above the blurred input's and above
    the best classical method's (by PSNR)."""
    from lib.evaluate.deconvolution import METHODS

    by = {r["method"]: r for r in methods}
    if model_row not in by:
        return {}
    best = max((r for r in methods if r["method"] in METHODS), key=lambda r: r["psnr"])
    model, blurred = by[model_row], by["blurred input"]
    return {
        "best_classical": best["method"],
        "psnr_gain_over_input": model["psnr"] - blurred["psnr"],
        "psnr_gain_over_best_classical": model["psnr"] - best["psnr"],
        "beats_input": bool(model["psnr"] > blurred["psnr"] and model["score"] > blurred["score"]),
        "beats_best_classical": bool(model["psnr"] > best["psnr"] and model["score"] > best["score"]),
    }


TRACK = SDWNetTrack()
