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

from lib.config import CONFIG_DIR, active_profile
from lib.paths import DATA_DIR
from lib.tracks.base import Track

from .tasks import InpaintingGANTask, SegmentationTask

MODEL_ROW = "DeepFillv2 (local repair)"


def seg_input_size(segmenter, cfg: dict) -> tuple[int, int]:
    """The (h, w) a segmenter was trained on (``input_size`` in its options), else the profile's
    ``prepare.seg_size``: the shipped demo segmenter keeps its 256 x 192 in the smoke profile."""
    return tuple(getattr(segmenter, "input_size", None) or cfg["prepare"]["seg_size"])


def train_segmenter_command(profile=None) -> str:
    """The command that trains the segmenter of ``profile``, to quote in an error."""
    return f"`make train TRACK=deocclusion_seg COURSE_PROFILE={active_profile(profile)}`"


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
    cost_scales_with_pixels = False  # the networks see the photo at seg_size and crops shrunk by r

    # ------------------------------------------------------------------ data
    def generate_data(self, profile=None, out=None, *, seed=0, force=False, workers=None) -> Path:
        from .data import ensure_dataset

        return ensure_dataset(profile, out, seed=seed, force=force, workers=workers)

    def check_data(self, root) -> list[str]:
        from .data import check_root

        return check_root(root)

    def prepared_dir(self, profile=None, source=None) -> Path:
        from lib.paths import generated_data_root

        if source is not None:
            import hashlib

            tag = hashlib.sha256(str(Path(source).resolve()).encode()).hexdigest()[:8]
            return DATA_DIR / f"deocclusion-{active_profile(profile)}-prepared-{tag}"
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

    def check_full_data(self, data_dir, work, profile="full"):
        """:func:`lib.tracks.deocclusion.data.check_full_root` (``train_data_1/``, no ``val/``, a flat
        ``test_A/``), prepared with its last page held out for validation."""
        from .data import check_full_root, prepare

        cfg = self.config(profile)
        root = check_full_root(data_dir, work, profile)
        return root, prepare(
            root,
            Path(work) / "prepared",
            cfg["prepare"]["seg_size"],
            cfg["repair"],
            desk_variants=cfg["prepare"]["desk_variants"],
            val_pages=1,
        )

    def check_full_extras(self, profile="full") -> tuple[dict, dict]:
        """The segmenter the pipeline needs, untrained, from the profile's ``seg_model``."""
        from lib.tracks import get_track
        from lib.train.registry import build_model

        seg_track = get_track("deocclusion_seg")
        segmenter = build_model(seg_track.model_spec(seg_track.config(profile)))
        segmenter.eval()
        return {"segmenter": segmenter}, {"segmenter": segmenter}

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
            segmenter = self.segmenter(profile)
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
                pred = page_mask(dygraph_runner(segmenter), image, seg_input_size(segmenter, cfg), repair)
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

    def repair_photo(self, model, image, profile=None, segmenter="auto") -> dict:
        """One occluded photo (RGB uint8) through the whole pipeline, as :meth:`predict` runs it: the
        mask of ``segmenter`` (default: the trained one) at its input size, then the local repair by
        the generator ``model``. Returns {"repaired", "mask" (bool H x W), "boxes" (x0, y0, x1, y1)
        of the repaired crops, "net_sizes" (h, w) the inpainter saw, "seg_size" (h, w)} (the app's
        de-occlusion tab shows each)."""
        from .repair import RepairInfo, RepairOptions, dygraph_runner, network_inpainter, page_mask, repair_page

        cfg = self.config(profile)
        repair = RepairOptions.from_config(cfg["repair"])
        segmenter = self.segmenter(profile) if segmenter == "auto" else segmenter
        if segmenter is None:
            raise FileNotFoundError(f"no trained segmenter to find the occluders: {train_segmenter_command(profile)}")
        seg_size = seg_input_size(segmenter, cfg)
        mask = page_mask(dygraph_runner(segmenter), image, seg_size, repair)
        info = RepairInfo()
        repaired = repair_page(image, mask, network_inpainter(model), repair, info)
        return {
            "repaired": repaired,
            "mask": mask,
            "boxes": info.boxes,
            "net_sizes": info.net_sizes,
            "seg_size": seg_size,
        }

    def predict(self, model, src_dir, out_dir, profile=None, segmenter="auto") -> dict:
        """Every occluded photo of a board (``src_dir``: its category folders, or the photos right in
        it) through the whole pipeline: masks by ``segmenter`` (default: the trained one), the local
        repair by the generator ``model`` (None: OpenCV Telea at full resolution), written to
        ``out_dir`` under the same relative names. One bad photo is reported and skipped.
        Returns the report of :meth:`Track.predict` (restored, failed, timings)."""
        import time

        import cv2

        from lib.data.pairs import read_image
        from lib.submission.predict import first_line

        from .data import list_samples
        from .repair import RepairOptions, dygraph_runner, opencv_inpaint_page, page_mask

        cfg = self.config(profile)
        repair = RepairOptions.from_config(cfg["repair"])
        segmenter = self.segmenter(profile) if segmenter == "auto" else segmenter
        if segmenter is None:
            raise FileNotFoundError(
                f"{src_dir}: no clean pages and no trained segmenter to find the occluders: "
                f"train one first ({train_segmenter_command(profile)})"
            )

        def pipeline(image):
            if model is not None:
                return self.repair_photo(model, image, profile, segmenter)["repaired"]
            mask = page_mask(dygraph_runner(segmenter), image, seg_input_size(segmenter, cfg), repair)
            return opencv_inpaint_page(image, mask, "telea", cfg["evaluate"]["opencv_radius"], dilate=repair.dilate)

        out_dir = Path(out_dir)
        report = {"restored": [], "failed": [], "timings": [], "files": 0}
        for s in list_samples(src_dir):
            rel = Path(s.category) / s.name
            report["files"] += 1
            start = time.perf_counter()
            try:
                image = read_image(s.image)
                repaired = pipeline(image)
                (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                ok, buf = cv2.imencode(rel.suffix or ".png", cv2.cvtColor(repaired, cv2.COLOR_RGB2BGR))
                if not ok:
                    raise OSError(f"cannot encode {rel}")
                (out_dir / rel).write_bytes(buf.tobytes())
            except Exception as exc:  # noqa: BLE001 -- one bad photo must not stop the others
                report["failed"].append((str(rel), first_line(exc)))
                print(f"FAILED {rel}: {first_line(exc)}")
                continue
            report["restored"].append(str(rel))
            report["timings"].append(
                {
                    "name": str(rel),
                    "seconds": time.perf_counter() - start,
                    "pixels": int(image.shape[0] * image.shape[1]),
                }
            )
        return report

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
            pred = page_mask(dygraph_runner(segmenter), page, seg_input_size(segmenter, cfg), repair)
            out = (
                repair_page(page, pred, inpaint, repair)
                if inpaint is not None
                else opencv_inpaint_page(page, pred, "telea", cfg["evaluate"]["opencv_radius"], dilate=repair.dilate)
            )
            rows.append(
                {
                    "predicted_occluded_%": 100 * float(pred.mean()),
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

    # ------------------------------------------------------------------ deployment
    def build_submission(
        self, model, out_zip=None, segmenter="auto", profile=None, onnx: bool = True, **ignored
    ) -> dict:
        """Export the generator ``model`` and the segmenter (default: the trained one) and pack
        ``dist/deocclusion_submission.zip`` (lib.tracks.deocclusion.export) with the profile's segmenter
        input size and repair options. ``ignored``: the single-network options (tiles, TLC)."""
        from .export import build_submission

        if segmenter == "auto":
            segmenter = self.segmenter(profile)
        if segmenter is None:
            raise FileNotFoundError(
                f"no trained segmenter for profile {active_profile(profile)!r}: "
                f"run {train_segmenter_command(profile)} first (or pass segmenter=...)"
            )
        cfg = self.config(profile)
        return build_submission(
            segmenter, model, out_zip, seg_size=seg_input_size(segmenter, cfg), repair=cfg["repair"], onnx=onnx
        )


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

    def check_full_extras(self, profile="full") -> tuple[dict, dict]:
        """The generator the submission needs, untrained, from the profile's ``model``."""
        from lib.train.registry import build_model
        from lib.train.tasks import get_task

        specs = get_task(DeocclusionTrack.task).network_specs({"model": self.config(profile)["model"]})
        generator = build_model(specs["generator"])
        generator.eval()
        return {}, {"generator": generator}

    def build_submission(self, model, out_zip=None, profile=None, generator="auto", **options) -> dict:
        """The same submission, with ``model`` as the segmenter and ``generator`` (default: the
        trained one) as the inpainter."""
        from lib.tracks import get_track

        if generator == "auto":
            generator = get_track("deocclusion").load_model(profile=profile)
        return DeocclusionTrack.build_submission(self, generator, out_zip, segmenter=model, profile=profile, **options)


TRACK = DeocclusionTrack()
SEG_TRACK = DeocclusionSegTrack()
