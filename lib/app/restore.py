"""One function per tab: restore an RGB uint8 image with the track's model and return what the tab
shows. No gradio here (the tabs in :mod:`lib.app.ui` call these; tests call them directly).

The model is the one ``make submission`` exports: :meth:`Track.load_model` of the profile
(``$COURSE_PROFILE``: the learner's own run, else its published model, else the shipped demo model;
``COURSE_SHIPPED=1`` the shipped one), made deployable by :meth:`Track.deployed` (deblur: TLC with the
profile's window; SDWNet: edge-padded). Restoring goes through lib.infer's tile plans and
:func:`lib.infer.restore_array`, the very files the submission zip carries for its ``predict.py``;
the de-occlusion pair through lib.tracks.deocclusion.repair, as its ``predict.py``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from ..infer import (
    DEFAULT_TILE_PIXELS,
    as_runner,
    restore_array,
    runner_multiple,
    submission_tiling,
    tile_grid,
)
from . import views

TABS = ("deblur", "sdwnet", "denoise", "retouch", "deocclusion")
TILINGS = ("overlap", "quadrants", "whole")  # deblur's choice: the submission's tiles, the winner's 4, whole
WHOLE_LIMIT = DEFAULT_TILE_PIXELS  # "whole" above this many pixels is cut into tiles: the memory stays bounded

_lock = threading.Lock()
_cache: dict = {}


@dataclass
class Restored:
    """What a tab shows: the result, its extra images and texts, the time and what the model saw."""

    track: str
    before: np.ndarray
    after: np.ndarray
    seconds: float
    model_input: str  # the image size(s) the network saw, in Chinese
    model_file: str
    extras: dict = field(default_factory=dict)  # name -> RGB uint8
    texts: dict = field(default_factory=dict)  # name -> str
    notes: list = field(default_factory=list)


def _cached(key, make):
    with _lock:
        if key not in _cache:
            _cache[key] = make()
        return _cache[key]


def model_of(track_name: str, profile: str | None = None, deployed: bool = True):
    """The track's trained model of ``profile`` (:meth:`Track.load_model`), made deployable
    (:meth:`Track.deployed`) unless ``deployed`` is False; loaded once per process."""
    from ..config import active_profile
    from ..tracks import get_track

    profile = active_profile(profile)
    track = get_track(track_name)
    model = _cached(("model", track_name, profile), lambda: track.load_model(profile=profile))
    if not deployed:
        return model
    return _cached(("deployed", track_name, profile), lambda: track.deployed(model, profile))


def model_file(track_name: str, profile: str | None = None) -> str:
    """The checkpoint the tab restores with, relative to the repository when inside it."""
    from ..paths import shown_path

    return shown_path(model_of(track_name, profile, deployed=False).checkpoint_path)


def ocr_engine():
    from ..ocr import OcrEngine

    return _cached(("ocr",), OcrEngine)


class _Counted:
    """A runner that reports each tile it restored: ``progress(done, total)``."""

    def __init__(self, run, total: int, progress):
        self.run, self.total, self.progress, self.done = run, total, progress, 0

    def __call__(self, batch):
        out = self.run(batch)
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)
        return out


def _grid_text(grid, multiple: int) -> str:
    rows, cols = grid
    th, tw = max(n for _, n in rows), max(n for _, n in cols)
    pad = (-(-th // multiple) * multiple, -(-tw // multiple) * multiple)
    count = len(rows) * len(cols)
    where = "整张图" if count == 1 else f"{count} 块（{len(rows)} 行 x {len(cols)} 列），最大一块"
    return f"{where} {tw} x {th} 像素（网络补边到 {multiple} 的倍数：{pad[1]} x {pad[0]}）"


def _restore_tiled(model, image, mode: str, progress=None, run=None):
    """``image`` through ``model`` with lib.infer's tile plan ``mode`` ("tiles", "quadrants" or
    "whole"); returns (restored, grid)."""
    multiple = runner_multiple(model)
    h, w = image.shape[:2]
    grid = tile_grid(h, w, mode, tile_pixels=DEFAULT_TILE_PIXELS, multiple=multiple)
    counted = _Counted(run or as_runner(model), len(grid[0]) * len(grid[1]), progress)
    return restore_array(counted, image, grid, multiple=multiple), grid


def _mode_of(tiling: str) -> str:
    return {"overlap": "tiles", "quadrants": "quadrants", "whole": "whole"}[tiling]


def restore_deblur(
    image: np.ndarray,
    *,
    tlc: bool = True,
    tiling: str | None = None,
    ocr: bool = False,
    progress=None,
    profile: str | None = None,
) -> Restored:
    """Deblur a document photo: NAFNet with TLC on or off, cut as ``tiling`` ("overlap": the
    submission's tiles of at most 1 MP; "quadrants": the winning solution's 4 tiles; "whole"; default:
    the profile's submission tiling). Extras: the tile plan drawn on the result; with ``ocr`` the OCR
    text of the input and the result."""
    tiling = tiling or submission_tiling(profile, "deblur")
    if tiling not in TILINGS:
        raise ValueError(f"tiling must be one of {', '.join(TILINGS)}, got {tiling!r}")
    notes = []
    h, w = image.shape[:2]
    if tiling == "whole" and h * w > WHOLE_LIMIT:
        notes.append(f"整图超过 {WHOLE_LIMIT / 1e6:.2f} 百万像素：改用重叠分块，内存才有上限。")
        tiling = "overlap"
    model = model_of("deblur", profile) if tlc else model_of("deblur", profile, deployed=False)
    start = time.perf_counter()
    after, grid = _restore_tiled(model, image, _mode_of(tiling), progress)
    seconds = time.perf_counter() - start
    texts = {}
    if ocr:
        engine = ocr_engine()
        texts = {"ocr_before": engine.read(image), "ocr_after": engine.read(after)}
    tlc_text = "TLC 开" if tlc else "TLC 关"
    return Restored(
        "deblur",
        image,
        after,
        seconds,
        f"{_grid_text(grid, runner_multiple(model))}；{tlc_text}",
        model_file("deblur", profile),
        extras={"tiles": views.draw_tiles(after, grid)},
        texts=texts,
        notes=notes,
    )


def restore_plain(track_name: str, image: np.ndarray, *, progress=None, profile: str | None = None) -> Restored:
    """SDWNet or denoise: the deployed network over the submission's tiles; extra: the difference map."""
    model = model_of(track_name, profile)
    start = time.perf_counter()
    after, grid = _restore_tiled(model, image, _mode_of(submission_tiling(profile, track_name)), progress)
    seconds = time.perf_counter() - start
    diff, scale = views.difference_map(image, after)
    return Restored(
        track_name,
        image,
        after,
        seconds,
        _grid_text(grid, runner_multiple(model)),
        model_file(track_name, profile),
        extras={"difference": diff},
        texts={"difference_scale": f"差异图：|结果 - 输入|，最亮处 = {scale:.1f} 个灰度级（99.5% 分位数）"},
    )


def restore_sdwnet(image, **options) -> Restored:
    return restore_plain("sdwnet", image, **options)


def restore_denoise(image, **options) -> Restored:
    return restore_plain("denoise", image, **options)


class _Decomposing:
    """A runner over RetouchGUNet's ``decompose``: returns the clean image I and keeps each tile's K
    and D, so that :class:`_Replay` can stitch them with the same tile plan and blending."""

    def __init__(self, model):
        self.model, self.maps = model, []

    def __call__(self, batch):
        import paddle

        with paddle.no_grad():
            K, D, clean = self.model.decompose(paddle.to_tensor(np.ascontiguousarray(batch, np.float32)))
        self.maps.append((K.numpy(), D.numpy()))
        return clean.numpy()


class _Replay:
    """The kept tiles of one map, scaled into [0, 1] by ``0.5 + map / (2 * scale)``, in the order
    restore_array asks for them (the same plan gives the same order)."""

    def __init__(self, tiles, scale):
        self.tiles, self.scale, self.index = tiles, scale, 0

    def __call__(self, batch):
        tile = self.tiles[self.index]
        self.index += 1
        return 0.5 + tile / (2.0 * self.scale)


def restore_retouch(image: np.ndarray, *, progress=None, profile: str | None = None) -> Restored:
    """Retouch a face: gUNet's head predicts K and D, the clean image is I = (J - D) / (1 + K) (J = K*I + D + I).
    Extras: K and D stitched over the same tiles, in a diverging colormap (white = 0)."""
    model = model_of("retouch", profile)
    decomposing = _Decomposing(model)
    start = time.perf_counter()
    after, grid = _restore_tiled(model, image, "tiles", progress, run=decomposing)
    seconds = time.perf_counter() - start
    extras, texts = {}, {}
    multiple = runner_multiple(model)
    for index, name in ((0, "K"), (1, "D")):
        tiles = [maps[index] for maps in decomposing.maps]
        scale = max(float(max(np.abs(t).max() for t in tiles)), 1e-6)
        stitched = restore_array(_Replay(tiles, scale), image, grid, multiple=multiple).astype(np.float32)
        signed = (stitched / 255.0 - 0.5) * 2.0 * scale
        extras[name], top = views.signed_map(signed)
        texts[name] = f"{name} 图（三通道平均）：红 = 正，蓝 = 负，两端 = ±{top:.4f}"
    return Restored(
        "retouch",
        image,
        after,
        seconds,
        _grid_text(grid, multiple),
        model_file("retouch", profile),
        extras=extras,
        texts=texts,
    )


def restore_deocclusion(image: np.ndarray, *, progress=None, profile: str | None = None) -> Restored:
    """Remove what covers a document: the segmenter's mask (DeepLabV3 on the photo shrunk to its
    input size), then the DeepFillv2 repair of the crops around it, as the submission's predict.py
    (the track's ``repair_photo``). Extras: the mask over the photo, the repaired crops drawn on the result."""
    from ..tracks import get_track

    generator = model_of("deocclusion", profile, deployed=False)
    segmenter = model_of("deocclusion_seg", profile, deployed=False)
    if progress:
        progress(0, 1)
    start = time.perf_counter()
    out = get_track("deocclusion").repair_photo(generator, image, profile, segmenter=segmenter)
    seconds = time.perf_counter() - start
    if progress:
        progress(1, 1)
    mask, after = out["mask"], out["repaired"]
    crops = after.copy()
    for x0, y0, x1, y1 in out["boxes"]:
        crops = views.draw_tiles(crops, ([(y0, y1 - y0)], [(x0, x1 - x0)]), colour=(0, 160, 255))
    nets = ", ".join(f"{w} x {h}" for h, w in out["net_sizes"]) or "无（没有找到遮挡）"
    seg_h, seg_w = out["seg_size"]
    return Restored(
        "deocclusion",
        image,
        after,
        seconds,
        f"分割网络：照片（竖放）缩到 {seg_w} x {seg_h}；修补网络：{len(out['net_sizes'])} 块，{nets}",
        f"{model_file('deocclusion_seg', profile)} + {model_file('deocclusion', profile)}",
        extras={"mask": views.mask_overlay(image, mask), "crops": crops},
        texts={"mask_share": f"遮挡掩码占 {100.0 * mask.mean():.2f}% 的像素；修补了 {len(out['boxes'])} 块"},
    )


RESTORE = {
    "deblur": restore_deblur,
    "sdwnet": restore_sdwnet,
    "denoise": restore_denoise,
    "retouch": restore_retouch,
    "deocclusion": restore_deocclusion,
}
