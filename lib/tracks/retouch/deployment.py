"""What the retouching solution ships: gUNet as trained (Paddle Inference + ONNX, ``dist/retouch_submission.zip``),
and the app's tab, which also shows the K and D maps its head predicts (J = K * I + D + I), stitched over the
same tiles as the image."""

from __future__ import annotations

import time

import numpy as np

from lib.tracks.deployment import Deployment, Extra, Restored, grid_text, restore_tiled


class Decomposing:
    """A runner over RetouchGUNet's ``decompose``: returns the clean image I and keeps each tile's K
    and D, so that :class:`Replay` can stitch them with the same tile plan and blending."""

    def __init__(self, model):
        self.model, self.maps = model, []

    def __call__(self, batch):
        import paddle

        with paddle.no_grad():
            K, D, clean = self.model.decompose(paddle.to_tensor(np.ascontiguousarray(batch, np.float32)))
        self.maps.append((K.numpy(), D.numpy()))
        return clean.numpy()


class Replay:
    """The kept tiles of one map, scaled into [0, 1] by ``0.5 + map / (2 * scale)``, in the order
    restore_array asks for them (the same plan gives the same order)."""

    def __init__(self, tiles, scale):
        self.tiles, self.scale, self.index = tiles, scale, 0

    def __call__(self, batch):
        tile = self.tiles[self.index]
        self.index += 1
        return 0.5 + tile / (2.0 * self.scale)


class RetouchDeployment(Deployment):
    title_zh = "人脸祛痘祛斑（gUNet，K/D 图）"
    intro_zh = "gUNet 的输出头预测 K 和 D 两张图，按 J = K*I + D + I 反解出干净的 I = (J - D) / (1 + K)。"
    example_source = ("retouch", "test_A/image/00000.png")
    extras = (Extra("K", "K 图（乘性）"), Extra("D", "D 图（加性）"))

    def restore(self, image: np.ndarray, *, progress=None, profile: str | None = None) -> Restored:
        """Retouch a face: gUNet's head predicts K and D, the clean image is I = (J - D) / (1 + K)
        (J = K*I + D + I). Extras: K and D stitched over the same tiles, in a diverging colormap (white = 0)."""
        from lib import image_views as views
        from lib.infer import restore_array, runner_multiple

        model = self.model(profile)
        decomposing = Decomposing(model)
        start = time.perf_counter()
        after, grid = restore_tiled(model, image, "tiles", progress, run=decomposing)
        seconds = time.perf_counter() - start
        extras, texts = {}, {}
        multiple = runner_multiple(model)
        for index, name in ((0, "K"), (1, "D")):
            tiles = [maps[index] for maps in decomposing.maps]
            scale = max(float(max(np.abs(t).max() for t in tiles)), 1e-6)
            stitched = restore_array(Replay(tiles, scale), image, grid, multiple=multiple).astype(np.float32)
            signed = (stitched / 255.0 - 0.5) * 2.0 * scale
            extras[name], top = views.signed_map(signed)
            texts[name] = f"{name} 图（三通道平均）：红 = 正，蓝 = 负，两端 = ±{top:.4f}"
        return Restored(
            self.name,
            image,
            after,
            seconds,
            grid_text(grid, multiple),
            self.model_file(profile),
            extras=extras,
            texts=texts,
        )
