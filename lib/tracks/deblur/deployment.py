"""What the blurred-document solution ships: NAFNet with TLC (the profile's window), ``dist/submission.zip``, and
the app's deblurring tab: TLC on or off, the tiling (the submission's overlapping tiles, the winner's 4, whole),
the tile plan drawn on the result, and the OCR text of the input and the result."""

from __future__ import annotations

import time

import numpy as np

from lib.tracks.deployment import TILE_MODES, Control, Deployment, Extra, Restored, cached, grid_text, restore_tiled

TILINGS = ("overlap", "quadrants", "whole")  # the tab's choice: the submission's tiles, the winner's 4, whole
TILING_LABELS = {"overlap": "重叠分块（提交的 predict.py）", "quadrants": "4 块（冠军方案）", "whole": "整图"}
OCR_LABEL = "识别文字（OCR：输入和结果各读一遍，较慢）"
WHOLE_LIMIT = None  # "whole" above this many pixels is cut into tiles, so memory stays bounded (None: lib.infer's tile)


def ocr_engine():
    """lib.ocr's engine, made once per process."""
    from lib.ocr import OcrEngine

    return cached(("ocr",), OcrEngine)


class DeblurDeployment(Deployment):
    tlc = True
    submission_zip = "submission.zip"
    title_zh = "模糊文档去模糊（NAFNet + TLC）"
    intro_zh = (
        "冠军方案的模型：NAFNet，推理时用 TLC（把全局池化换成局部均值），"
        "可以整图、分块（重叠）或按冠军方案切成 4 块。下方可以对比输入和结果的 OCR 文字。"
    )
    example_source = ("deblur", "test_A/blur_image/00001.png")
    extras = (
        Extra("tiles", "切块（红框）"),
        Extra("ocr_before", "输入的 OCR 文字", kind="text", row=1),
        Extra("ocr_after", "结果的 OCR 文字", kind="text", row=1),
    )

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
            Control("ocr", "checkbox", OCR_LABEL, True),
        )

    def restore(
        self,
        image: np.ndarray,
        *,
        tlc: bool = True,
        tiling: str | None = None,
        ocr: bool = False,
        progress=None,
        profile: str | None = None,
    ) -> Restored:
        """Deblur a document photo: NAFNet with TLC on or off, cut as ``tiling`` ("overlap": the submission's
        tiles of at most 1 MP; "quadrants": the winning solution's 4 tiles; "whole"; default: the profile's
        submission tiling). Extras: the tile plan drawn on the result; with ``ocr`` the OCR text of the input and
        the result."""
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
        model = self.model(profile, deployed=tlc)
        start = time.perf_counter()
        after, grid = restore_tiled(model, image, TILE_MODES[tiling], progress)
        seconds = time.perf_counter() - start
        texts = {}
        if ocr:
            engine = ocr_engine()
            texts = {"ocr_before": engine.read(image), "ocr_after": engine.read(after)}
        tlc_text = "TLC 开" if tlc else "TLC 关"
        return Restored(
            self.name,
            image,
            after,
            seconds,
            f"{grid_text(grid, runner_multiple(model))}；{tlc_text}",
            self.model_file(profile),
            extras={"tiles": views.draw_tiles(after, grid)},
            texts=texts,
            notes=notes,
        )
