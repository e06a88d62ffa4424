"""What a track ships, beside its recipe (:class:`lib.tracks.base.Track`): its trained model made deployable,
one image or a folder restored with it, its submission zip, and its tab in the web app (lib.app).

A track's :class:`Deployment` subclass lives in the track's own package (``lib/tracks/<folder>/deployment.py``)
and is named by its Track's ``deployment_class``; ``track.deployment`` (or
:func:`lib.tracks.get_deployment`) gives it, bound to the track. The defaults here are the single-network
image-to-image case: the trained network (with TLC when the deployment says so) over the submission's tiles,
the difference map beside the result, ``lib.export.build_submission``.

The app shows a tab for every deployment with a ``title_zh``, in the order the course teaches the tracks,
with the deployment's intro, example image, controls, extra outputs and size limits. The time limit comes
from the seconds per megapixel recorded in ``app/timing.json`` (``python -m lib.app.timing --record``).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import active_profile
from ..paths import REPO_ROOT

EXAMPLES_DIR = REPO_ROOT / "app" / "examples"  # <track>.png: each tab's example image (python -m lib.app.examples)
TIMING_RECORD = REPO_ROOT / "app" / "timing.json"  # each tab's measured seconds per megapixel
# The app's limit is time: restoring is tiled (lib.infer), so memory grows with the output, not with the network's
# activations, but a CPU takes minutes per megapixel and the app serves one image at a time. Each tab takes what it
# restores in about TIME_BUDGET_S seconds at its recorded speed; every tab at most MAX_PIXELS.
TIME_BUDGET_S = 180
MAX_PIXELS = 8_000_000
MAX_SIDE = 8000
MIN_SIDE = 16
TILE_MODES = {"overlap": "tiles", "quadrants": "quadrants", "whole": "whole"}  # the app's names -> lib.infer's

_lock = threading.Lock()  # loading a model holds it: one load at a time, each model once per process
_models: dict = {}


@dataclass(frozen=True)
class Control:
    """One option of a tab, passed to :meth:`Deployment.restore` by ``key``."""

    key: str
    kind: str  # "checkbox" (a bool) or "radio" (one of ``choices``)
    label: str  # Chinese
    default: object = None
    choices: tuple = ()  # radio: (label, value) pairs

    def value(self, raw):
        return bool(raw) if self.kind == "checkbox" else raw


@dataclass(frozen=True)
class Extra:
    """One output of a tab beside the result: ``Restored.extras[key]`` (an image) or ``Restored.texts[key]``
    (a text box); consecutive extras with the same ``row`` sit side by side."""

    key: str
    label: str  # Chinese
    kind: str = "image"  # or "text"
    row: int = 0
    lines: int = 8  # a text box's height


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


def cached(key, make):
    """``make()`` once per process for ``key`` (under the model lock)."""
    with _lock:
        if key not in _models:
            _models[key] = make()
        return _models[key]


def read_timing(path=None) -> dict:
    """The recorded seconds per megapixel of every tab, ``{track: seconds}`` (empty without a record)."""
    path = Path(path or TIMING_RECORD)
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8"))["seconds_per_megapixel"])


class CountedRunner:
    """A runner that reports each tile it restored: ``progress(done, total)``."""

    def __init__(self, run, total: int, progress):
        self.run, self.total, self.progress, self.done = run, total, progress, 0

    def __call__(self, batch):
        out = self.run(batch)
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)
        return out


def grid_text(grid, multiple: int) -> str:
    """A tile plan as the app says it: how many tiles, the largest, and the size the network pads it to."""
    rows, cols = grid
    th, tw = max(n for _, n in rows), max(n for _, n in cols)
    pad = (-(-th // multiple) * multiple, -(-tw // multiple) * multiple)
    count = len(rows) * len(cols)
    where = "整张图" if count == 1 else f"{count} 块（{len(rows)} 行 x {len(cols)} 列），最大一块"
    return f"{where} {tw} x {th} 像素（网络补边到 {multiple} 的倍数：{pad[1]} x {pad[0]}）"


def restore_tiled(model, image, mode: str, progress=None, run=None):
    """``image`` through ``model`` (or the runner ``run``) with lib.infer's tile plan ``mode`` ("tiles",
    "quadrants" or "whole"), as the submission's predict.py cuts and stitches; returns (restored, grid)."""
    from ..infer import DEFAULT_TILE_PIXELS, as_runner, restore_array, runner_multiple, tile_grid

    multiple = runner_multiple(model)
    h, w = image.shape[:2]
    grid = tile_grid(h, w, mode, tile_pixels=DEFAULT_TILE_PIXELS, multiple=multiple)
    counted = CountedRunner(run or as_runner(model), len(grid[0]) * len(grid[1]), progress)
    return restore_array(counted, image, grid, multiple=multiple), grid


class Deployment:
    """One track's deployment, bound to its Track (``self.track``)."""

    # the submission
    tlc: bool = False  # deploy with TLC (lib.models.tlc): networks with global pooling
    submission_zip: str | None = None  # default <track>_submission.zip under dist/
    # the app's tab: none without a title (a network that another track's tab runs)
    title_zh: str = ""
    intro_zh: str = ""
    example_source: tuple | None = None  # (generator track, the file in its generated smoke data): the example
    extras: tuple = (Extra("difference", "差异图 |结果 - 输入|"),)
    min_side: int = MIN_SIDE
    max_side: int = MAX_SIDE

    def __init__(self, track):
        self.track = track

    @property
    def name(self) -> str:
        return self.track.name

    def __repr__(self) -> str:
        return f"<deployment {self.name}: {self.title_zh or 'no tab'}>"

    # ------------------------------------------------------------------ the model
    def load_model(self, path=None, profile: str | None = None):
        """The trained network it deploys (:meth:`Track.load_model`: ``path``, else the profile's own run,
        its published model, or the shipped demo model)."""
        return self.track.load_model(path, profile=profile)

    def deployed(self, model, profile: str | None = None):
        """What restores a test image: ``model``, converted to TLC when the track deploys with it."""
        if not self.tlc:
            return model
        from ..infer import tlc_model

        return tlc_model(model, profile=profile)

    def model(self, profile: str | None = None, deployed: bool = True):
        """The profile's trained model, made deployable unless ``deployed`` is False; loaded once per process."""
        profile = active_profile(profile)
        model = cached(("model", self.name, profile), lambda: self.load_model(profile=profile))
        if not deployed:
            return model
        return cached(("deployed", self.name, profile), lambda: self.deployed(model, profile))

    def model_file(self, profile: str | None = None) -> str:
        """The checkpoint the tab restores with, relative to the repository when inside it."""
        from ..paths import shown_path

        return shown_path(self.model(profile, deployed=False).checkpoint_path)

    def warm(self, profile: str | None = None) -> None:
        """Load what :meth:`restore` uses (the app does it in the background after start-up)."""
        self.model(profile)

    # ------------------------------------------------------------------ restoring
    def predict(self, model, src_dir, out_dir, profile: str | None = None) -> dict:
        """Restore every image of ``src_dir`` into ``out_dir`` under the same names (sizes, formats and bit depths
        kept; one bad file is reported and skipped): :func:`lib.infer.predict_folder` with :meth:`deployed`.
        Returns its report (restored, failed, timings)."""
        from ..infer import predict_folder

        return predict_folder(self.deployed(model, profile), src_dir, out_dir)

    def restore(self, image: np.ndarray, *, progress=None, profile: str | None = None) -> Restored:
        """One RGB uint8 image for the app: the deployed network over the submission's tiles; extra: the
        difference map."""
        from .. import image_views as views
        from ..infer import runner_multiple, submission_tiling

        model = self.model(profile)
        start = time.perf_counter()
        after, grid = restore_tiled(model, image, TILE_MODES[submission_tiling(profile, self.name)], progress)
        seconds = time.perf_counter() - start
        diff, scale = views.difference_map(image, after)
        return Restored(
            self.name,
            image,
            after,
            seconds,
            grid_text(grid, runner_multiple(model)),
            self.model_file(profile),
            extras={"difference": diff},
            texts={"difference_scale": f"差异图：|结果 - 输入|，最亮处 = {scale:.1f} 个灰度级（99.5% 分位数）"},
        )

    # ------------------------------------------------------------------ the submission
    def build_submission(self, model, out_zip=None, **options) -> dict:
        """Export ``model`` (Paddle Inference + ONNX, each checked against dygraph on an odd size; with TLC if the
        deployment uses it) and pack it with the competition's ``predict.py`` into ``out_zip`` (default
        ``dist/<track>_submission.zip``). ``options``: those of :func:`lib.export.build_submission`."""
        from ..export import DIST_DIR, build_submission

        out_zip = Path(out_zip) if out_zip else DIST_DIR / (self.submission_zip or f"{self.name}_submission.zip")
        return build_submission(model, out_zip, **{"tlc": self.tlc, **options})

    # ------------------------------------------------------------------ the app's tab
    @property
    def has_tab(self) -> bool:
        return bool(self.title_zh)

    def controls(self) -> tuple:
        """The tab's options (:class:`Control`), passed to :meth:`restore` by key."""
        return ()

    @property
    def example_path(self) -> Path:
        return EXAMPLES_DIR / f"{self.name}.png"

    @property
    def seconds_per_megapixel(self) -> float | None:
        """Recorded in ``app/timing.json`` (:func:`read_timing`); None if never measured."""
        return read_timing().get(self.name)

    @property
    def max_pixels(self) -> int:
        """The most pixels the tab accepts: what it restores in about :data:`TIME_BUDGET_S` at its recorded speed,
        at most :data:`MAX_PIXELS`, rounded down to 0.1 MP."""
        seconds = self.seconds_per_megapixel
        if not seconds:
            return MAX_PIXELS
        return int(min(MAX_PIXELS, TIME_BUDGET_S / seconds * 1e6) // 100_000 * 100_000)
