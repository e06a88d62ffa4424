"""Tracks ``deocclusion`` and ``deocclusion_seg``: document de-occlusion (5th A board / 7th B board,
Baidu Netdisk "document image de-occlusion"). DeepLabV3 (PaddleSeg) segments what covers the page on
the photo shrunk to 1/6; DeepFillv2 (gated convolutions, coarse + refine, SN-PatchGAN) repairs a
local crop shrunk by r = 6, and only the masked pixels are pasted back (:mod:`lib.tracks.deocclusion.repair`:
full's mode one_crop, one crop per photo as the solution's code; smoke / demo's components, one per covered area).

The solution trains two networks apart, so there are two tracks on one data set and one options file
(``lib/configs/deocclusion.yaml``):

* ``deocclusion``: the inpainting GAN (task ``deepfill_gan``: generator + discriminator, two
  optimizers, step decay, L1 weight 1000, hinge; in full halved and the coarse L1 at 0.5 as the
  solution's trainer.py, then 3 generator updates per discriminator update), options ``model`` /
  ``train``; its evaluation runs the whole pipeline;
* ``deocclusion_seg``: the segmenter (task ``segmentation``; full: cross-entropy weighted [1, 10]),
  options ``seg_model`` / ``seg_train``.

Data: :mod:`lib.tracks.deocclusion.data` (rendered pages photographed with procedural occluders,
:mod:`lib.tracks.deocclusion.occluders`) in the competition's layout; ``prepare`` cuts what each network trains on
(photos at 1/6, crops around the occluders at l / r) into ``data/deocclusion[-<profile>]-prepared``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lib.config import CONFIG_DIR, check_profile
from lib.paths import DATA_DIR
from lib.tracks.base import Track

from .deployment import DeocclusionDeployment, DeocclusionSegDeployment, seg_input_size
from .tasks import InpaintingGANTask, SegmentationTask

MODEL_ROW = "DeepFillv2 (local repair)"


class DeocclusionTrack(Track):
    name = "deocclusion"
    title = "文档去遮挡：DeepLabV3 在 1/6 尺度上找出遮挡，DeepFillv2 修复局部裁块"
    model_name = "deepfillv2"
    notebooks = ("09_document_deocclusion",)
    models = ("lib.models.deepfillv2", "lib.models.deeplab")
    task = InpaintingGANTask
    sections = ("data", "repair", "prepare", "model", "train", "evaluate")
    config_file = None  # lib/configs/deocclusion.yaml
    data_track = "deocclusion"  # both tracks read data/deocclusion[-<profile>]
    network = "inpaint"  # which prepared set it trains on
    deployment_class = DeocclusionDeployment  # the pipeline, its submission, the app's tab

    def train_options(self, cfg: dict, **overrides) -> dict:
        """The engine's options; the repair's ``mask_values`` fraction (the prepared masks are then levels) also
        tells the inpainter's task to read them as the solution's fractions."""
        options = super().train_options(cfg, **overrides)
        if self.task is InpaintingGANTask and cfg["repair"].get("mask_values") == "fraction":
            options["task"] = {**(options.get("task") or {}), "mask_values": "fraction"}
        return options

    # ------------------------------------------------------------------ data
    def generate_data(self, profile=None, out=None, *, seed=0, force=False, workers=None) -> Path:
        from .data import ensure_dataset

        return ensure_dataset(profile, out, seed=seed, force=force, workers=workers)

    def check_data(self, root) -> list[str]:
        from .data import check_root

        return check_root(root)

    def prepared_dir(self, profile: str, source=None) -> Path:
        from lib.paths import generated_data_root

        profile = check_profile(profile)
        if source is not None:
            import hashlib

            tag = hashlib.sha256(str(Path(source).resolve()).encode()).hexdigest()[:8]
            return DATA_DIR / f"deocclusion-{profile}-prepared-{tag}"
        return generated_data_root("deocclusion", profile).with_name(
            generated_data_root("deocclusion", profile).name + "-prepared"
        )

    def prepare(self, profile=None, source=None, force=False) -> Path:
        """Both networks' training sets (lib.tracks.deocclusion.data.prepare) from ``source`` (default:
        ``$COURSE_DATA`` or the generated data of the profile)."""
        from .data import prepare

        cfg = self.config(profile)
        root = Path(source) if source else self.generate_data(cfg["profile"])
        # a download has no val/: as many pages as the generated set's val/ are held out of training
        return prepare(
            root,
            self.prepared_dir(cfg["profile"], source),
            cfg["prepare"]["seg_size"],
            cfg["repair"],
            force=force,
            desk_variants=cfg["prepare"]["desk_variants"],
            val_pages=max(1, cfg["data"]["n_val"]),
        )

    def rescore(self, dest=None, data=None, **evaluate_options) -> Path:
        """:meth:`Track.rescore` with the shipped segmenter's masks unless ``segmenter`` is given: a
        shipped model's numbers come from shipped networks, not from a learner's run."""
        if "segmenter" not in evaluate_options:
            from lib.tracks import get_track

            seg = get_track("deocclusion_seg")
            evaluate_options["segmenter"] = seg.load_model(seg.shipped_dir / "model.pdparams")
        return super().rescore(dest, data, **evaluate_options)

    def train_data(self, prepared):
        from lib.train.engine import TrainData

        from .data import prepared_samples

        train = prepared_samples(prepared, self.network, "train")
        val = [(a.name, a, b) for a, b in prepared_samples(prepared, self.network, "val")]
        return TrainData(train=train, all=train + [(a, b) for _, a, b in val], val=val)

    # ------------------------------------------------------------------ evaluation
    def segmenter(self, profile=None):
        """The learner's trained segmenter of the profile, else the shipped one, else None."""
        from lib.tracks import get_track

        try:
            return get_track("deocclusion_seg").load_model(profile=profile)
        except FileNotFoundError:
            return None

    def evaluate(self, model, profile=None, data=None, val=None, segmenter="auto", out=None) -> dict:
        """test_A (val/ if the root has no test_A): masks predicted by ``segmenter`` (default: the
        trained one; without one, the true masks, and the result says so) scored by mIoU and boundary
        F; then the occluded input, OpenCV Telea and Navier-Stokes at full resolution and the
        model's local repair, all with that mask dilated the same, by PSNR on the page and inside
        the true mask. A test_A without clean pages (the competition's): the whole pipeline repairs
        it into ``out`` and nothing is scored (:meth:`predict`, :meth:`Track.predict_board`)."""
        from lib.metrics import region_psnr

        from .data import list_samples, load_sample
        from .repair import (
            PSNR_CAP,
            RepairOptions,
            dygraph_runner,
            mask_scores,
            network_inpainter,
            opencv_inpaint_page,
            page_mask,
            repair_page,
        )

        cfg = self.config(profile)
        opts, repair = cfg["evaluate"], RepairOptions.from_config(cfg["repair"])
        root = Path(data or self.data_root(cfg["profile"]))
        board = root / "test_A"
        if segmenter == "auto":
            segmenter = self.segmenter(cfg["profile"])
        if board.is_dir():
            samples = list_samples(board)
            if any(s.gt is None for s in samples):
                return self.predict_board(model, board, cfg["profile"], "test_A", out, segmenter=segmenter)
        else:
            board, samples = root / "val", list_samples(root / "val")
        samples = samples[: opts["max_photos"] or None]
        methods = {"occluded input": None, "OpenCV Telea": "telea", "OpenCV Navier-Stokes": "ns", MODEL_ROW: "model"}
        rows = {name: {"psnr": [], "psnr_mask": []} for name in methods}
        masks = []
        inpaint = network_inpainter(model) if model is not None else None
        for s in samples:
            image, gt, true = load_sample(s)
            if segmenter is not None:
                pred = page_mask(dygraph_runner(segmenter), image, seg_input_size(segmenter, cfg), repair, levels=True)
                masks.append(mask_scores(pred, true))
            else:
                pred = true
            for name, how in methods.items():
                if how is None:
                    out = image
                elif how == "model":
                    if inpaint is None:
                        continue
                    out = repair_page(image, pred, inpaint, repair)
                else:
                    out = opencv_inpaint_page(image, pred, how, opts["opencv_radius"], dilate=repair.dilate)
                rows[name]["psnr"].append(region_psnr(out, gt, cap=PSNR_CAP))
                rows[name]["psnr_mask"].append(region_psnr(out, gt, true, cap=PSNR_CAP))
        table = [
            {"method": name, **{k: float(np.mean(v)) for k, v in r.items()}} for name, r in rows.items() if r["psnr"]
        ]
        result = {
            "evaluated_on": f"{board.name} ({len(samples)} photos)",
            "mask": "predicted (DeepLabV3)" if segmenter is not None else "true (no trained segmenter)",
            "methods": table,
        }
        if masks:
            result["segmentation"] = {k: float(np.mean([m[k] for m in masks])) for k in masks[0]}
        if segmenter is not None:
            result["clean_pages"] = self._clean_pages(samples, segmenter, inpaint, cfg, repair)
        return result

    def _clean_pages(self, samples, segmenter, inpaint, cfg, repair) -> dict:
        """What the pipeline does to the clean pages (nothing covers them: ideally nothing changes):
        the share of pixels the segmenter calls occluded, the share the repair changed (the model's,
        else OpenCV Telea's) and the PSNR of the result against the page itself; a page is within the
        options' ``clean_tolerance`` when both its changed share and its PSNR are."""
        from lib.data.pairs import read_image
        from lib.metrics import region_psnr

        from .repair import PSNR_CAP, dygraph_runner, opencv_inpaint_page, page_mask, repair_page

        rows = []
        for gt_path in sorted({s.gt for s in samples}):
            page = read_image(gt_path)
            pred = page_mask(dygraph_runner(segmenter), page, seg_input_size(segmenter, cfg), repair, levels=True)
            out = (
                repair_page(page, pred, inpaint, repair)
                if inpaint is not None
                else opencv_inpaint_page(page, pred, "telea", cfg["evaluate"]["opencv_radius"], dilate=repair.dilate)
            )
            rows.append(
                {
                    "predicted_occluded_%": 100 * float((pred > 0).mean()),
                    "changed_pixels_%": 100 * float((out != page).any(axis=2).mean()),
                    "psnr": region_psnr(out, page, cap=PSNR_CAP),
                }
            )
        tol = cfg["evaluate"]["clean_tolerance"]
        within = [r["changed_pixels_%"] <= tol["max_changed_%"] and r["psnr"] >= tol["min_psnr"] for r in rows]
        return {
            "pages": len(rows),
            "repaired_by": MODEL_ROW if inpaint is not None else "OpenCV Telea",
            **{k: float(np.mean([r[k] for r in rows])) for k in rows[0]},
            "pages_unchanged": int(sum(r["changed_pixels_%"] == 0 for r in rows)),
            "worst_changed_pixels_%": max(r["changed_pixels_%"] for r in rows),
            "worst_psnr": min(r["psnr"] for r in rows),
            "tolerance": dict(tol),
            "pages_within_tolerance": int(sum(within)),
            "all_within_tolerance": all(within),
        }


class DeocclusionSegTrack(DeocclusionTrack):
    name = "deocclusion_seg"
    title = "文档去遮挡第一阶段：DeepLabV3（PaddleSeg）在 1/6 尺度上分割遮挡物"
    model_name = "deeplabv3"
    notebooks = ("09_document_deocclusion",)
    models = ("lib.models.deeplab",)
    task = SegmentationTask
    sections = ("data", "repair", "prepare", "seg_model", "seg_train", "evaluate")
    train_section, loader_section = "seg_train", "seg_loader"
    network = "seg"
    deployment_class = DeocclusionSegDeployment  # the same submission, with it as the segmenter
    config_file = CONFIG_DIR / "deocclusion.yaml"

    def model_spec(self, cfg: dict) -> dict:
        # the network remembers the size it trains on (prepare's seg_size): other profiles feed it that
        return {**cfg["seg_model"], "input_size": list(cfg["prepare"]["seg_size"])}

    def evaluate(self, model, profile=None, data=None, val=None, segmenter="auto", out=None) -> dict:
        """The pipeline's table with this segmenter and no inpainting network (its masks' scores and
        what the classical inpainters make of them); on a test board without clean pages, its masks
        with OpenCV Telea's repair written to ``out``."""
        return DeocclusionTrack.evaluate(self, None, profile, data, val, segmenter=model, out=out)

    def publish(self, trainer, profile=None, dest=None, data=None, command=None) -> Path:
        """Publish the segmenter; a new shipped one also scores the shipped inpainter again (the
        pipeline's numbers in its metrics.json come from the masks this segmenter makes)."""
        from lib.tracks import get_track

        out = super().publish(trainer, profile, dest, data, command)
        inpainter = get_track("deocclusion")
        if Path(out) == self.shipped_dir and (inpainter.shipped_dir / "metrics.json").is_file():
            inpainter.rescore(data=data, segmenter=self.load_model(Path(out) / "model.pdparams"))
            print(f"scored the shipped inpainter again with this segmenter: {inpainter.shipped_dir / 'metrics.json'}")
        return out


TRACK = DeocclusionTrack()
SEG_TRACK = DeocclusionSegTrack()
