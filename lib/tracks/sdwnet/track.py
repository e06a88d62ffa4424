"""Track ``sdwnet``: SDWNet (a straight dilated network with a Haar-wavelet branch; Zou et al., ICCV 2021
workshops) trained on the course's blurred documents (notebook 06).

Data: the deblur track's pages (:mod:`lib.tracks.deblur.data`, ``data/deblur``); :mod:`lib.data.prepare`
cuts them with this track's own ``prepare`` options into ``data/sdwnet[-<profile>]-prepared``.
Crops: ``crops: {mode: offline}`` trains on random crops of the offline sliding-window patches (the
solution's recipe), ``online`` on random crops of the downsampled whole pages
(:func:`lib.data.prepare.training_pages`). Model: :mod:`lib.models.sdwnet`. Training: the engine's
restoration task with the solution's Charbonnier + SSIM (1:1) loss (``charbonnier_ssim``), AdamW and one
cosine. Evaluation: test_A against the blurred input and the deblur track's classical baselines
(:mod:`lib.tracks.deblur.baselines`, tuned on the validation pages), and the readability rows (PSNR / MS-SSIM /
OCR CER on test_A, held-out fonts and blur, real scans). Submission: :mod:`lib.export` (no TLC:
SDWNet has no global pooling), the network edge-padded by a fixed margin so any size goes through
(:class:`lib.models.sdwnet.EdgePadded`), ``dist/sdwnet_submission.zip``.
"""

from __future__ import annotations

from pathlib import Path

from lib.tracks.base import Track
from lib.tracks.deblur.track import BlurredPages

MODEL_ROW = "SDWNet"
CROP_MODES = ("offline", "online")


class SDWNetTrack(BlurredPages, Track):
    name = "sdwnet"
    title = "SDWNet on blurred documents: straight dilated blocks, Haar-wavelet branch, offline crops"
    model_name = "sdwnet"
    notebooks = ("06_sdwnet",)
    models = ("lib.models.sdwnet", "lib.models.wavelet")
    sections = ("model", "prepare", "crops", "train")
    submission_zip = "sdwnet_submission.zip"
    tlc = False

    data_track = "deblur"  # the document pages of data/deblur[-<profile>]
    # the epochs of full's schedule count the real data's windows: 1000 pairs less 100 for validation,
    # each 2048 x 1448 after the 2x downsample, 48 windows of 480 px at step 240 (lib/configs/sdwnet.yaml)
    full_train_samples = 900 * 48

    # ------------------------------------------------------------------ data: the deblur track's pages
    # (generate_data, check_data, prepare with this track's own prepare options, test_inputs,
    # check_full_data: lib.tracks.deblur.track.BlurredPages)

    def crop_mode(self, profile=None) -> str:
        mode = self.config(profile)["crops"].get("mode")
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
        from lib.infer import predict_image
        from lib.tracks.deblur import baselines
        from lib.tracks.deblur.evaluate import compare_methods, load_pairs, readability, readability_summary

        root = Path(data or self.data_root(profile))
        if not has_ground_truth(root / "test_A"):
            return self.predict_board(model, self.test_inputs(root), profile, "test_A", out)
        test = load_pairs(root / "test_A")
        if val is None:
            from lib.data.pairs import list_pairs

            val = list_pairs(self.prepare(profile, source=data).val_dir)
        methods = compare_methods(test, load_pairs(val), model, model_name=MODEL_ROW)
        best = max((r for r in methods if r["method"] in baselines.METHODS), key=lambda r: r["psnr"])
        classical = baselines.METHODS[best["method"]][0]
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

    # ------------------------------------------------------------------ deployment
    def deployed(self, model, profile=None):
        """The network edge-padded by its ``min_size``, as the submission runs it."""
        from lib.models.sdwnet import EdgePadded

        deployed = EdgePadded(model)
        deployed.eval()
        return deployed

    def build_submission(self, model, out_zip=None, **options) -> dict:
        """The network edge-padded by its ``min_size`` (1 x 1 to any size goes through), exported
        and packed like every track (lib.export); no TLC."""
        from lib.models.sdwnet import EdgePadded

        deployed = EdgePadded(model)
        deployed.eval()
        if getattr(model, "checkpoint_path", None) is not None:
            deployed.checkpoint_path = model.checkpoint_path
        options.pop("tlc", None)
        return super().build_submission(deployed, out_zip, **options)


def quality_checks(methods: list[dict], model_row: str = MODEL_ROW) -> dict:
    """The issue's bar on test_A: the model's PSNR and score above the blurred input's and above
    the best classical method's (by PSNR)."""
    from lib.tracks.deblur import baselines

    by = {r["method"]: r for r in methods}
    if model_row not in by:
        return {}
    best = max((r for r in methods if r["method"] in baselines.METHODS), key=lambda r: r["psnr"])
    model, blurred = by[model_row], by["blurred input"]
    return {
        "best_classical": best["method"],
        "psnr_gain_over_input": model["psnr"] - blurred["psnr"],
        "psnr_gain_over_best_classical": model["psnr"] - best["psnr"],
        "beats_input": bool(model["psnr"] > blurred["psnr"] and model["score"] > blurred["score"]),
        "beats_best_classical": bool(model["psnr"] > best["psnr"] and model["score"] > best["score"]),
    }


TRACK = SDWNetTrack()
