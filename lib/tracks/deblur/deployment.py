"""What the blurred-document solution ships: NAFNet with TLC (the profile's window), ``dist/submission.zip``, and
the app's deblurring tab: TLC on or off (each its own exported model), the tiling (the submission's overlapping
tiles, the winner's 4, whole), the tile plan drawn on the result, unsharp masking beside it, and the OCR text of
the input and both results."""

from __future__ import annotations

import time

import numpy as np

from lib.tracks.deployment import (
    TILE_MODES,
    Classical,
    Control,
    Deployment,
    Extra,
    Restored,
    grid_text,
    restore_tiled,
    runtime_text,
)

from .baselines import unsharp

TILINGS = ("overlap", "quadrants", "whole")  # the tab's choice: the submission's tiles, the winner's 4, whole
TILING_LABELS = {"overlap": "重叠分块（提交的 predict.py）", "quadrants": "4 块（冠军方案）", "whole": "整图"}
WHOLE_LIMIT = None  # "whole" above this many pixels is cut into tiles, so memory stays bounded (None: lib.infer's tile)
UNSHARP = Classical(
    "unsharp mask",
    "反锐化掩模",
    unsharp,
    {"radius": 3.0, "amount": 1.0},
    {"radius": "半径", "amount": "强度"},
)
DOCUMENT_METRICS = (("psnr", "PSNR", "{:.2f} dB"), ("ms_ssim", "MS-SSIM", "{:.3f}"))


class DeblurDeployment(Deployment):
    tlc = True
    submission_zip = "submission.zip"
    title_zh = "模糊文档去模糊（NAFNet + TLC）"
    intro_zh = (
        "冠军方案的模型：NAFNet，推理时用 TLC（把全局池化换成局部均值），"
        "可以整图、分块（重叠）或按冠军方案切成 4 块。右边是经典的反锐化掩模；下方对比三者的 OCR 文字。"
    )
    example_source = ("deblur", "test_A/blur_image/00001.png")
    extras = (Extra("tiles", "切块（红框）"),)
    ocr = True
    classical = UNSHARP
    card_metrics = DOCUMENT_METRICS
    export_variants = ({"tlc": True}, {"tlc": False})  # the TLC checkbox: each its own exported model

    def controls(self) -> tuple:
        from lib.infer import submission_tiling

        return (
            Control("tlc", "checkbox", "TLC（测试时局部统计）", True),
            Control(
                "tiling",
                "radio",
                "切图方式",
                submission_tiling(None, self.name),
                tuple((label, key) for key, label in TILING_LABELS.items()),
            ),
        )

    def exportable(self, model, profile=None, tlc: bool = True):
        """NAFNet with TLC (the submission's network), or as trained."""
        return self.deployed(model, profile) if tlc else model

    def export_name(self, tlc: bool = True) -> str:
        return f"{self.name}-{'tlc' if tlc else 'plain'}"

    def export_settings(self, profile=None, tlc: bool = True) -> dict:
        from lib.infer import tlc_options

        return {"tlc": tlc_options(profile, self.name) if tlc else None}

    def restore(
        self,
        image: np.ndarray,
        *,
        tlc: bool = True,
        tiling: str | None = None,
        progress=None,
        profile: str | None = None,
    ) -> Restored:
        """Deblur a document photo: the exported NAFNet with TLC on or off, cut as ``tiling`` ("overlap": the
        submission's tiles of at most 1 MP; "quadrants": the winning solution's 4 tiles; "whole"; default: the
        profile's submission tiling). Extra: the tile plan drawn on the result."""
        from lib import image_views as views
        from lib.infer import DEFAULT_TILE_PIXELS, runner_multiple, submission_tiling

        tiling = tiling or submission_tiling(profile, self.name)
        if tiling not in TILINGS:
            raise ValueError(f"tiling must be one of {', '.join(TILINGS)}, got {tiling!r}")
        notes = []
        h, w = image.shape[:2]
        limit = WHOLE_LIMIT or DEFAULT_TILE_PIXELS
        if tiling == "whole" and h * w > limit:
            notes.append(f"整图超过 {limit / 1e6:.2f} 百万像素：改用重叠分块，内存才有上限。")
            tiling = "overlap"
        run = self.runner(profile, tlc=tlc)
        start = time.perf_counter()
        after, grid = restore_tiled(run, image, TILE_MODES[tiling], progress)
        seconds = time.perf_counter() - start
        tlc_text = "TLC 开" if tlc else "TLC 关"
        return Restored(
            self.name,
            image,
            after,
            seconds,
            f"{grid_text(grid, runner_multiple(run))}；{tlc_text}",
            self.model_file(profile),
            extras={"tiles": views.draw_tiles(after, grid)},
            notes=notes,
            runtime=runtime_text(run),
        )
