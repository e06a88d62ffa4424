"""What the de-occlusion solution ships: its two networks as one pipeline. The segmenter (DeepLabV3) finds what
covers the page on the photo shrunk to its input size, the generator (DeepFillv2) repairs the crops around it
(:mod:`lib.tracks.deocclusion.repair`); both exported into ``dist/deocclusion_submission.zip`` with the zip's own
``predict.py`` (:mod:`lib.tracks.deocclusion.export`). The inpainter's deployment has the app's tab (the mask,
then the repaired crops); the segmenter's has none (it builds the same submission with itself as the segmenter).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from lib.config import active_profile
from lib.tracks.deployment import Classical, Deployment, Extra, Restored, forget, onnx_tools, runtime_text


def seg_input_size(segmenter, cfg: dict) -> tuple[int, int]:
    """The (h, w) a segmenter was trained on (``input_size`` in its options), else the profile's
    ``prepare.seg_size``: the shipped demo segmenter keeps its 256 x 192 in the smoke profile."""
    return tuple(getattr(segmenter, "input_size", None) or cfg["prepare"]["seg_size"])


def train_segmenter_command(profile=None) -> str:
    """The command that trains the segmenter of ``profile``, to quote in an error."""
    return f"`make train TRACK=deocclusion_seg COURSE_PROFILE={active_profile(profile)}`"


class DeocclusionDeployment(Deployment):
    """The inpainter's deployment: the generator is its model, the segmenter comes from the segmenter's track."""

    title_zh = "文档去遮挡（DeepLabV3 + DeepFillv2）"
    intro_zh = (
        "先由分割网络 DeepLabV3 找出遮挡（手、头、物体）的掩码，再由 DeepFillv2 修补掩码附近的裁块；"
        "右边是经典的 OpenCV Telea 在同一个掩码上修补的结果。"
    )
    example_source = ("deocclusion", "test_A/hand/test_A_00001_000.jpg")
    extras = (Extra("mask", "分割网络找到的遮挡（红）"), Extra("crops", "修补的裁块（蓝框）"))
    classical = Classical("OpenCV Telea", "OpenCV Telea 修补", None)
    card_metrics = (("psnr", "PSNR", "{:.2f} dB"), ("psnr_mask", "遮挡处 PSNR", "{:.2f} dB"))
    network_names_zh = {"segmenter": "分割网络", "inpainter": "修补网络"}

    def repair_photo(self, model, image, profile=None, segmenter="auto") -> dict:
        """One occluded photo (RGB uint8) through the whole pipeline, as :meth:`predict` runs it: the
        mask of ``segmenter`` (default: the trained one) at its input size, then the local repair by
        the generator ``model``. Returns {"repaired", "mask" (bool H x W), "boxes" (x0, y0, x1, y1)
        of the repaired crops, "net_sizes" (h, w) the inpainter saw, "seg_size" (h, w)} (the app's
        de-occlusion tab shows each)."""
        from .repair import RepairInfo, RepairOptions, dygraph_runner, network_inpainter, page_mask, repair_page

        cfg = self.track.config(profile)
        repair = RepairOptions.from_config(cfg["repair"])
        segmenter = self.track.segmenter(profile) if segmenter == "auto" else segmenter
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
        Returns the report of :meth:`Deployment.predict` (restored, failed, timings)."""
        import cv2

        from lib.data.pairs import read_image
        from lib.infer import first_line

        from .data import list_samples
        from .repair import RepairOptions, dygraph_runner, opencv_inpaint_page, page_mask

        cfg = self.track.config(profile)
        repair = RepairOptions.from_config(cfg["repair"])
        segmenter = self.track.segmenter(profile) if segmenter == "auto" else segmenter
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

    def segmenter_deployment(self) -> Deployment:
        from lib.tracks import get_deployment

        return get_deployment("deocclusion_seg")

    # ------------------------------------------------------------------ the app's tab: the exported pipeline
    def checkpoints(self, profile=None) -> dict:
        return {"segmenter": self.segmenter_deployment().checkpoint(profile), "inpainter": self.checkpoint(profile)}

    def export_settings(self, profile=None, **variant) -> dict:
        cfg = self.track.config(profile)
        return {"seg_size": cfg["prepare"]["seg_size"], "repair": cfg["repair"]}

    def export_for_app(self, folder, profile=None, **variant) -> dict:
        """Both networks and the pipeline's metadata, as the submission's zip holds them
        (:func:`lib.tracks.deocclusion.export.export_pipeline`)."""
        from .export import export_pipeline

        segmenter = self.segmenter_deployment().model(profile, deployed=False)
        cfg = self.track.config(profile)
        return export_pipeline(
            segmenter,
            self.model(profile, deployed=False),
            folder,
            seg_size=seg_input_size(segmenter, cfg),
            repair=cfg["repair"],
            onnx=onnx_tools(),
        )

    def load_exported(self, folder):
        """The submission's own :class:`~lib.tracks.deocclusion.predict.Pipeline` over the exported folder."""
        from .predict import Pipeline

        pipeline = Pipeline(folder)
        pipeline.backend = getattr(pipeline.segment, "backend", "")
        return pipeline

    def runner(self, profile=None, **variant):
        pipeline = super().runner(profile, **variant)
        if getattr(pipeline, "exported_now", False):
            forget(*[(kind, "deocclusion_seg", active_profile(profile)) for kind in ("model", "deployed")])
        return pipeline

    def restore(self, image, *, progress=None, profile=None) -> Restored:
        """Remove what covers a document with the exported pipeline, as the submission's predict.py: the
        segmenter's mask (DeepLabV3 on the photo shrunk to its input size), then the DeepFillv2 repair of the crops
        around it. Extras: the mask over the photo, the repaired crops drawn on the result."""
        from lib import image_views as views

        pipeline = self.runner(profile)
        if progress:
            progress(0, 1)
        start = time.perf_counter()
        after = pipeline(image)
        seconds = time.perf_counter() - start
        if progress:
            progress(1, 1)
        mask, info = np.asarray(pipeline.last_mask) > 0, pipeline.last_info
        crops = after.copy()
        for x0, y0, x1, y1 in info.boxes:
            crops = views.draw_tiles(crops, ([(y0, y1 - y0)], [(x0, x1 - x0)]), colour=(0, 160, 255))
        nets = ", ".join(f"{w} x {h}" for h, w in info.net_sizes) or "无（没有找到遮挡）"
        seg_h, seg_w = pipeline.seg_size
        return Restored(
            self.name,
            image,
            after,
            seconds,
            f"分割网络：照片（竖放）缩到 {seg_w} x {seg_h}；修补网络：{len(info.net_sizes)} 块，{nets}",
            self.model_file(profile),
            extras={"mask": views.mask_overlay(image, mask), "crops": crops},
            texts={"mask_share": f"遮挡掩码占 {100.0 * mask.mean():.2f}% 的像素；修补了 {len(info.boxes)} 块"},
            runtime=runtime_text(pipeline),
            kept={"mask": mask},
        )

    def classical_restore(self, image, result: Restored, profile=None) -> tuple:
        """OpenCV Telea at full resolution over the same mask, dilated as the repair dilates it (the track's
        evaluation of the classical baseline)."""
        from .repair import RepairOptions, opencv_inpaint_page

        cfg = self.track.config(profile)
        radius = cfg["evaluate"]["opencv_radius"]
        dilate = RepairOptions.from_config(cfg["repair"]).dilate
        repaired = opencv_inpaint_page(image, result.kept["mask"], "telea", radius, dilate=dilate)
        return repaired, f"{self.classical.name_zh}（同一个遮挡掩码，扩大 {dilate} 像素，修补半径 {radius}）"

    def _scores(self, metrics) -> str:
        scores = super()._scores(metrics)
        miou = ((metrics or {}).get("segmentation") or {}).get("miou")
        return scores + (f"分割网络的 mIoU {miou:.3f}。" if miou is not None else "")

    def build_submission(
        self, model, out_zip=None, segmenter="auto", profile=None, onnx: bool = True, **ignored
    ) -> dict:
        """Export the generator ``model`` and the segmenter (default: the trained one) and pack
        ``dist/deocclusion_submission.zip`` (lib.tracks.deocclusion.export) with the profile's segmenter
        input size and repair options. ``ignored``: the single-network options (tiles, TLC)."""
        from .export import build_submission

        if segmenter == "auto":
            segmenter = self.track.segmenter(profile)
        if segmenter is None:
            raise FileNotFoundError(
                f"no trained segmenter for profile {active_profile(profile)!r}: "
                f"run {train_segmenter_command(profile)} first (or pass segmenter=...)"
            )
        cfg = self.track.config(profile)
        return build_submission(
            segmenter, model, out_zip, seg_size=seg_input_size(segmenter, cfg), repair=cfg["repair"], onnx=onnx
        )


class DeocclusionSegDeployment(DeocclusionDeployment):
    """The segmenter's deployment: the same pipeline with its model as the segmenter; no tab of its own (the
    inpainter's tab runs it)."""

    title_zh = ""
    intro_zh = ""
    example_source = None

    def build_submission(self, model, out_zip=None, profile=None, generator="auto", **options) -> dict:
        """The same submission, with ``model`` as the segmenter and ``generator`` (default: the
        trained one) as the inpainter."""
        from lib.tracks import get_track

        if generator == "auto":
            generator = get_track("deocclusion").load_model(profile=profile)
        return DeocclusionDeployment.build_submission(
            self, generator, out_zip, segmenter=model, profile=profile, **options
        )
