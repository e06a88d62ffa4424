"""What the retouching solution ships: gUNet as trained (Paddle Inference + ONNX, ``dist/retouch_submission.zip``),
and the app's tab, which also shows the K and D maps its head predicts (J = K * I + D + I), stitched over the
same tiles as the image, beside OpenCV inpainting of the blemishes a simple detector finds.

The tab runs an exported copy that returns the clean image and both maps (:func:`decompose_export`, 9 channels:
the submission's network with two more outputs), through lib.infer's runners as the submission runs its own."""

from __future__ import annotations

import inspect
import time

import numpy as np

from lib.tracks.deployment import Classical, Deployment, Extra, Restored, grid_text, restore_tiled, runtime_text

from .evaluate import inpaint_baseline


def decompose_export(model):
    """``model`` (RetouchGUNet) as one Layer returning ``concat(I, K, D)`` on the channels: its ``forward`` output
    first, so the first three channels are exactly what the submission's exported network returns."""
    import paddle

    class Decompose(paddle.nn.Layer):
        img_channel = 3

        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            K, D, clean = self.net.decompose(x)
            return paddle.concat([clean, K, D], axis=1)

    layer = Decompose(model)
    layer.eval()
    return layer


class Decomposing:
    """A runner over the exported decomposition (or RetouchGUNet's ``decompose`` in dygraph): returns the clean
    image I and keeps each tile's K and D, so that :class:`Replay` can stitch them with the same tile plan and
    blending."""

    def __init__(self, run):
        self.run, self.maps = run, []
        self.multiple = getattr(run, "multiple", 16)

    def __call__(self, batch):
        out = np.asarray(self.run(np.ascontiguousarray(batch, np.float32)))
        self.maps.append((out[:, 3:6], out[:, 6:9]))
        return out[:, :3]


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
    intro_zh = (
        "gUNet 的输出头预测 K 和 D 两张图，按 J = K*I + D + I 反解出干净的 I = (J - D) / (1 + K)。"
        "右边是经典方法：检测出瑕疵再用 OpenCV 修补。"
    )
    example_source = ("retouch", "test_A/image/00000.png")
    extras = (Extra("K", "K 图（乘性）"), Extra("D", "D 图（加性）"))
    classical = Classical(
        "OpenCV inpainting (detected blemishes)",
        "OpenCV 修补检测到的瑕疵",
        inpaint_baseline,
        {"threshold": 6, "radius": 4},
        {"threshold": "检测阈值", "radius": "修补半径"},
    )
    card_metrics = (("psnr", "PSNR", "{:.2f} dB"), ("psnr_inside", "瑕疵处 PSNR", "{:.2f} dB"))
    min_side_reason_zh = "gUNet 在最底层（缩小到 1/16）做反射填充，更短的边填充不了"

    def min_side_for(self, profile=None) -> int:
        """gUNet's shortest side (:func:`lib.models.gunet.min_input_side`) of the checkpoint's options, read without
        loading the network."""
        from lib.checkpoints import read_options
        from lib.models.gunet import gUNet, min_input_side

        checkpoint = self.checkpoint(profile)
        options = read_options(checkpoint).get("model", {}) if checkpoint else {}
        defaults = inspect.signature(gUNet.__init__).parameters
        kernel = options.get("kernel_size", defaults["kernel_size"].default)
        depths = options.get("depths", defaults["depths"].default)
        return max(self.min_side, min_input_side(kernel, depths))

    def exportable(self, model, profile=None, **variant):
        """The network with I, K and D as one output (:func:`decompose_export`)."""
        return decompose_export(model)

    def restore(self, image: np.ndarray, *, progress=None, profile: str | None = None) -> Restored:
        """Retouch a face: gUNet's head predicts K and D, the clean image is I = (J - D) / (1 + K)
        (J = K*I + D + I). Extras: K and D stitched over the same tiles, in a diverging colormap (white = 0)."""
        from lib import image_views as views
        from lib.infer import restore_array, runner_multiple

        run = self.runner(profile)
        decomposing = Decomposing(run)
        start = time.perf_counter()
        after, grid = restore_tiled(run, image, "tiles", progress, run=decomposing)
        seconds = time.perf_counter() - start
        extras, texts = {}, {}
        multiple = runner_multiple(run)
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
            runtime=runtime_text(run),
        )
