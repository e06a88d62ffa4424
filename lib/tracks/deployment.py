"""What a track ships, beside its recipe (:class:`lib.tracks.base.Track`): its trained model made deployable,
one image or a folder restored with it, its submission zip, and its tab in the web app (lib.app).

A track's :class:`Deployment` subclass lives in the track's own package (``lib/tracks/<folder>/deployment.py``)
and is named by its Track's ``deployment_class``; ``track.deployment`` (or
:func:`lib.tracks.get_deployment`) gives it, bound to the track. The defaults here are the single-network
image-to-image case: the trained network (with TLC when the deployment says so) over the submission's tiles,
``lib.export.build_submission``.

The app's tab restores with the **exported** model, run by lib.infer's runners as the submission's
``predict.py`` runs it (ONNX Runtime on a CPU, else Paddle Inference): :meth:`Deployment.runner` exports what
:meth:`Deployment.exportable` gives once into ``runs/app/exported/<name>-<key>/`` (lib.export.cache: keyed by the
checkpoint's sha256 and the export settings, written atomically; a bundle's copies in ``app/exported/`` first) and
loads it on the tab's first use. Only a model without a checkpoint file (a test's toy) runs in dygraph.

The app shows a tab for every deployment with a ``title_zh``, in the order the course teaches the tracks, with
the deployment's intro, model card (:meth:`Deployment.model_card_zh`: shipped or the learner's own, its training
time and test scores from its ``metrics.json``), example image, controls, extra outputs, its best classical
method beside the model (:class:`Classical`, its parameters as tuned in ``metrics.json``) and its limits. The
time limit comes from the seconds per megapixel recorded in ``app/timing.json`` (``python -m lib.app.timing``).
"""

from __future__ import annotations

import csv
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import active_profile
from ..paths import CHECKPOINT_DIR, REPO_ROOT, RUNS_DIR

EXAMPLES_DIR = REPO_ROOT / "app" / "examples"  # <track>.png: each tab's example image (python -m lib.app.examples)
TIMING_RECORD = REPO_ROOT / "app" / "timing.json"  # each tab's measured seconds per megapixel
APP_EXPORTS = RUNS_DIR / "app" / "exported"  # the app's exported models, one folder per checkpoint and settings
SHIPPED_EXPORTS = REPO_ROOT / "app" / "exported"  # the same, as a bundle carries them (lib.app.bundle; not in git)
# The app's limit is time: restoring is tiled (lib.infer), so memory grows with the output, not with the network's
# activations, but a CPU takes seconds to minutes per megapixel and the app serves one image at a time. Each tab
# takes what it restores (model, classical method, OCR) in about TIME_BUDGET_S seconds at its recorded speed;
# every tab at most MAX_PIXELS.
TIME_BUDGET_S = 180
MAX_PIXELS = 8_000_000
MAX_SIDE = 8000
MIN_SIDE = 16
OCR_READS = 3  # a tab with OCR reads the input, the model's result and the classical result
TILE_MODES = {"overlap": "tiles", "quadrants": "quadrants", "whole": "whole"}  # the app's names -> lib.infer's

_lock = threading.RLock()  # loading a model holds it: one load at a time (an export loads its network inside)
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


# a tab of documents (Deployment.ocr): the app reads the text of the input and both results when this is on
OCR_CONTROL = Control("ocr", "checkbox", "识别文字（OCR：输入和两个结果各读一遍，较慢）", True)


@dataclass(frozen=True)
class Extra:
    """One output of a tab beside the result: ``Restored.extras[key]`` (an image) or ``Restored.texts[key]``
    (a text box); consecutive extras with the same ``row`` sit side by side."""

    key: str
    label: str  # Chinese
    kind: str = "image"  # or "text"
    row: int = 0
    lines: int = 8  # a text box's height


@dataclass(frozen=True)
class Classical:
    """The best classical method of a track, shown beside the model: ``run(image, **params)`` -> the restored RGB
    uint8 image, its parameters as tuned on the validation images (the ``params`` of the row named ``method`` in the
    model's ``metrics.json``; ``defaults`` without one)."""

    method: str  # the row's name in metrics.json
    name_zh: str
    run: Callable
    defaults: dict = field(default_factory=dict)
    params_zh: dict = field(default_factory=dict)  # parameter -> its Chinese name


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
    runtime: str = ""  # how the model ran, in Chinese (the exported model's runtime and folder)
    kept: dict = field(default_factory=dict)  # arrays the classical method reuses (the de-occlusion mask)


def cached(key, make):
    """``make()`` once per process for ``key`` (under the model lock)."""
    with _lock:
        if key not in _models:
            _models[key] = make()
        return _models[key]


def is_cached(key) -> bool:
    return key in _models


def forget(*keys) -> None:
    """Drop cached objects (a dygraph model once its exported copy serves: its memory)."""
    with _lock:
        for key in keys:
            _models.pop(key, None)


def read_timing_record(path=None) -> dict:
    """The whole timing record (empty without one)."""
    path = Path(path or TIMING_RECORD)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def read_timing(path=None) -> dict:
    """The recorded seconds per megapixel of every tab's model, ``{track: seconds}`` (empty without a record)."""
    return dict(read_timing_record(path).get("seconds_per_megapixel", {}))


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
    """``image`` through ``model`` (a Layer or a runner; or the runner ``run``) with lib.infer's tile plan ``mode``
    ("tiles", "quadrants" or "whole"), as the submission's predict.py cuts and stitches; returns (restored, grid)."""
    from ..infer import DEFAULT_TILE_PIXELS, as_runner, restore_array, runner_multiple, tile_grid

    multiple = runner_multiple(model)
    h, w = image.shape[:2]
    grid = tile_grid(h, w, mode, tile_pixels=DEFAULT_TILE_PIXELS, multiple=multiple)
    counted = CountedRunner(run or as_runner(model), len(grid[0]) * len(grid[1]), progress)
    return restore_array(counted, image, grid, multiple=multiple), grid


def onnx_tools() -> bool:
    """Whether this environment converts to ONNX (paddle2onnx and onnx: the course's does; a hosted app's has no
    export chain, so a model it exports itself, e.g. a learner's uploaded beside a bundle, is Paddle Inference only)."""
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("paddle2onnx", "onnx"))


def runtime_text(runner) -> str:
    """How a runner runs, in Chinese: the runtime and the exported folder, or dygraph."""
    from ..infer import BACKEND_NAMES
    from ..paths import shown_path

    folder = getattr(runner, "folder", None)
    if folder is None:
        return "Paddle 动态图（这个模型没有检查点文件可导出）"
    backend = BACKEND_NAMES.get(getattr(runner, "backend", ""), "导出的模型")
    return f"{backend}，导出的模型 `{shown_path(folder)}`（和提交包的 predict.py 同一套推理代码）"


def duration_zh(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} 秒"
    if seconds < 5400:
        return f"{seconds / 60:.0f} 分钟"
    return f"{seconds / 3600:.1f} 小时"


def training_seconds(checkpoint) -> float | None:
    """The training's wall-clock seconds: the last ``seconds`` of the ``log.csv`` beside ``checkpoint``."""
    log = Path(checkpoint).parent / "log.csv"
    if not log.is_file():
        return None
    with open(log, newline="", encoding="utf-8") as handle:
        values = [row.get("seconds") for row in csv.DictReader(handle)]
    values = [float(v) for v in values if v not in (None, "")]
    return max(values) if values else None


def read_metrics(checkpoint) -> dict | None:
    """The ``metrics.json`` beside ``checkpoint`` (the published or shipped model's test scores), else None."""
    path = Path(checkpoint).parent / "metrics.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def is_shipped(checkpoint) -> bool:
    return Path(checkpoint).resolve().is_relative_to(CHECKPOINT_DIR.resolve())


def method_row(metrics: dict | None, name: str) -> dict | None:
    for row in (metrics or {}).get("methods", []):
        if row.get("method") == name:
            return row
    return None


class Deployment:
    """One track's deployment, bound to its Track (``self.track``)."""

    # the submission
    tlc: bool = False  # deploy with TLC (lib.models.tlc): networks with global pooling
    submission_zip: str | None = None  # default <track>_submission.zip under dist/
    # the app's tab: none without a title (a network that another track's tab runs)
    title_zh: str = ""
    intro_zh: str = ""
    example_source: tuple | None = None  # (generator track, the file in its generated smoke data): the example
    extras: tuple = ()  # the tab's own outputs; every tab shows the result, the classical one and difference maps
    ocr: bool = False  # a tab of documents: reads the text of the input, the model's and the classical result
    classical: Classical | None = None  # the best classical method, shown beside the model
    card_metrics: tuple = (("psnr", "PSNR", "{:.2f} dB"),)  # (metrics.json key, label, format) the card shows
    network_names_zh: dict = {}  # a network's name in checkpoints() -> its Chinese name on the card
    export_variants: tuple = ({},)  # each exported model the tab's controls can ask for (a bundle carries each)
    min_side: int = MIN_SIDE
    min_side_reason_zh: str = "更小的图看不出恢复效果"
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

    def checkpoint(self, profile: str | None = None) -> Path | None:
        """The checkpoint :meth:`load_model` reads (the track's own search, without loading it), else the loaded
        model's ``checkpoint_path``."""
        try:
            return Path(self.track.find_checkpoint(profile))
        except FileNotFoundError:
            path = getattr(self.model(profile, deployed=False), "checkpoint_path", None)
            return Path(path) if path else None

    def checkpoints(self, profile: str | None = None) -> dict:
        """Every checkpoint the tab's model comes from, by network (one here; the de-occlusion pair: two)."""
        return {"model": self.checkpoint(profile)}

    def model_file(self, profile: str | None = None) -> str:
        """The checkpoint(s) the tab restores with, relative to the repository when inside it."""
        from ..paths import shown_path

        return " + ".join(shown_path(path) for path in self.checkpoints(profile).values() if path)

    def warm(self, profile: str | None = None) -> None:
        """Load what :meth:`restore` uses."""
        self.runner(profile)

    # ------------------------------------------------------------------ the exported model the app runs
    def exportable(self, model, profile: str | None = None, **variant):
        """The Layer the app exports: what the submission exports (:meth:`deployed`)."""
        return self.deployed(model, profile)

    def export_name(self, **variant) -> str:
        """The cache folder's name before its key (a variant has its own, e.g. with and without TLC)."""
        return self.name

    def export_settings(self, profile: str | None = None, **variant) -> dict:
        """What changes the export besides the checkpoint (TLC's window): part of the cache key."""
        return {"variant": variant} if variant else {}

    def export_for_app(self, folder, profile: str | None = None, **variant) -> dict:
        """Export :meth:`exportable` into ``folder`` (Paddle Inference + ONNX where :func:`onnx_tools`, each checked
        against dygraph, as the submission's export) with a ``model_meta.json`` (the padding multiple, TLC) that
        lib.infer reads."""
        from ..export import check_shape, export_model
        from ..export.parity import parity_fields
        from ..infer import MODEL_META, runner_multiple
        from ..paths import shown_path

        model = self.model(profile, deployed=False)
        layer = self.exportable(model, profile, **variant)
        layer.eval()
        settings = getattr(layer, "tlc", None) or {}
        check = check_shape(settings.get("train_size"), settings.get("factor"))
        info = export_model(layer, folder, onnx=onnx_tools(), check=check)
        source = getattr(model, "checkpoint_path", None)
        meta = {
            "format": 1,
            "multiple": int(runner_multiple(layer)),
            "tlc": getattr(layer, "tlc", None),
            "source_checkpoint": shown_path(source) if source else None,
            **parity_fields(info),
            "formats": info["formats"],
        }
        (Path(folder) / MODEL_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return meta

    def load_exported(self, folder):
        """The runner of an exported folder, as predict.py loads it (lib.infer.load_runner: the backend order of
        the submission, all usable cores)."""
        from ..infer import load_runner, read_meta

        runner = load_runner(folder, "auto")
        runner.multiple = int(read_meta(folder).get("multiple", 16))
        return runner

    def exported(self, profile: str, key: dict | None = None, **variant) -> tuple[Path, bool]:
        """The folder of the tab's model exported as the submission exports it, for ``key`` (lib.export.cache's
        ``export_key`` of the profile's checkpoints and the export settings; computed if None): the copy a bundle
        carries (:data:`SHIPPED_EXPORTS`), else :data:`APP_EXPORTS`'s, exported now if missing. Returns (folder,
        whether it was exported now)."""
        from ..export.cache import cached_export, export_key

        key = key or export_key(self.checkpoints(profile), self.export_settings(profile, **variant))
        return cached_export(
            APP_EXPORTS,
            self.export_name(**variant),
            key,
            lambda tmp: self.export_for_app(tmp, profile, **variant),
            shipped=[SHIPPED_EXPORTS],
        )

    def runner(self, profile: str | None = None, **variant):
        """The tab's model as the submission runs it: :meth:`exported` (once per checkpoint and settings), loaded
        once per process; its ``folder`` says where. A model without a checkpoint file runs in dygraph."""
        from ..export.cache import export_key

        profile = active_profile(profile)
        sources = self.checkpoints(profile)
        if not all(path is not None and Path(path).is_file() for path in sources.values()):
            from ..infer import as_runner

            return cached(
                ("dygraph", self.name, profile, repr(sorted(variant.items()))),
                lambda: as_runner(self.exportable(self.model(profile, deployed=False), profile, **variant)),
            )
        key = export_key(sources, self.export_settings(profile, **variant))

        def load():
            folder, fresh = self.exported(profile, key, **variant)
            runner = self.load_exported(folder)
            runner.folder, runner.exported_now = folder, fresh
            return runner

        runner = cached(("runner", self.name, profile, key["key"]), load)
        if runner.exported_now:  # the dygraph networks were loaded to export: the exported copy replaces them
            forget(*[(kind, self.name, profile) for kind in ("model", "deployed")])
        return runner

    # ------------------------------------------------------------------ restoring
    def predict(self, model, src_dir, out_dir, profile: str | None = None) -> dict:
        """Restore every image of ``src_dir`` into ``out_dir`` under the same names (sizes, formats and bit depths
        kept; one bad file is reported and skipped): :func:`lib.infer.predict_folder` with :meth:`deployed`.
        Returns its report (restored, failed, timings)."""
        from ..infer import predict_folder

        return predict_folder(self.deployed(model, profile), src_dir, out_dir)

    def restore(self, image: np.ndarray, *, progress=None, profile: str | None = None) -> Restored:
        """One RGB uint8 image for the app: the exported network over the submission's tiles."""
        from ..infer import runner_multiple, submission_tiling

        run = self.runner(profile)
        start = time.perf_counter()
        after, grid = restore_tiled(run, image, TILE_MODES[submission_tiling(profile, self.name)], progress)
        return Restored(
            self.name,
            image,
            after,
            time.perf_counter() - start,
            grid_text(grid, runner_multiple(run)),
            self.model_file(profile),
            runtime=runtime_text(run),
        )

    # ------------------------------------------------------------------ the classical method beside the model
    def classical_params(self, profile: str | None = None) -> dict:
        """The classical method's parameters as tuned on the validation images: the ``params`` of its row in the
        model's ``metrics.json``, else in the shipped model's, else its ``defaults``."""
        if self.classical is None:
            return {}
        for checkpoint in (self.checkpoint(profile), self.track.shipped_dir / "model.pdparams"):
            row = method_row(read_metrics(checkpoint), self.classical.method) if checkpoint else None
            if row is not None and isinstance(row.get("params"), dict):
                return dict(row["params"])
        return dict(self.classical.defaults)

    def classical_restore(self, image: np.ndarray, result: Restored, profile: str | None = None) -> tuple:
        """``image`` restored by the classical method (:attr:`classical`; ``result``: the model's, for a method
        that reuses what the model found), and its label in Chinese with its parameters."""
        params = self.classical_params(profile)
        shown = "，".join(
            f"{self.classical.params_zh.get(k, k)} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}"
            for k, v in params.items()
        )
        label = self.classical.name_zh + (f"（{shown}，在验证集上选定）" if shown else "")
        return self.classical.run(image, **params), label

    # ------------------------------------------------------------------ the model card
    def _scores(self, metrics: dict | None) -> str:
        """The test scores of the input, the best classical method and the model, from ``metrics``."""
        if not metrics or not metrics.get("methods"):
            return "没有找到测试分数（模型旁没有 metrics.json）。"
        rows = metrics["methods"]
        chosen = [("输入", rows[0])]
        classical = method_row(metrics, self.classical.method) if self.classical else None
        if classical is not None:
            chosen.append((f"经典方法（{self.classical.name_zh}）", classical))
        chosen.append(("模型", rows[-1]))

        def values(row):
            return "、".join(
                f"{label} {fmt.format(row[key])}" for key, label, fmt in self.card_metrics if row.get(key) is not None
            )

        return "测试集上：" + "；".join(f"{who} {values(row)}" for who, row in chosen) + "。"

    def _trained(self, checkpoint, metrics: dict | None) -> str:
        seconds = training_seconds(checkpoint)
        iterations = (metrics or {}).get("iterations")
        parts = [f"训练 {duration_zh(seconds)}" if seconds else "", f"{iterations} 步" if iterations else ""]
        return "、".join(p for p in parts if p)

    def model_card_zh(self, profile: str | None = None) -> str:
        """Which model the tab runs (附带模型: the shipped demo model; 你的模型: the learner's run), its training
        time and test scores (its ``metrics.json``), and what the solution's full model reached (lib.tracks.sources)
        next to how much smaller the demo is. Markdown, Chinese."""
        from ..paths import shown_path

        sources = self.checkpoints(profile)
        if not all(sources.values()):
            return "**模型**：没有找到训练好的模型。"
        checkpoint = self.checkpoint(profile)
        metrics = read_metrics(checkpoint)
        shipped = all(is_shipped(path) for path in sources.values())
        networks = []
        for name, path in sources.items():
            trained = self._trained(path, read_metrics(path))
            label = self.network_names_zh.get(name, "")
            networks.append(f"{label} `{shown_path(path)}`（{trained or '训练时间未记录'}）".strip())
        where = "demo 规模，在 2 核 CPU 上训练" if shipped else f"按 `{active_profile(profile)}` 配置训练"
        lines = [
            f"**{'附带模型' if shipped else '你的模型'}**（{where}）：{' + '.join(networks)}。{self._scores(metrics)}",
            self.full_model_line(shipped),
        ]
        return "\n\n".join(line for line in lines if line)

    def full_model_line(self, shipped: bool) -> str:
        """What the solution's full model reached (its source's standing), and that the demo is far smaller."""
        source = self.track.source
        if source is None:
            return ""
        line = f"**完整方案**：{source.standing_zh}"
        if shipped:
            line += "这里的附带模型小得多（demo 规模，只在 2 核 CPU 上训练），效果远不及完整方案。"
        return line

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

    def all_controls(self) -> tuple:
        """:meth:`controls`, then the app's OCR switch on a tab of documents (:attr:`ocr`; the app reads the text)."""
        return (*self.controls(), OCR_CONTROL) if self.ocr else self.controls()

    def min_side_for(self, profile: str | None = None) -> int:
        """The shortest side the tab's model restores (checked before any work)."""
        return self.min_side

    @property
    def example_path(self) -> Path:
        return EXAMPLES_DIR / f"{self.name}.png"

    @property
    def model_seconds_per_megapixel(self) -> float | None:
        """The model's recorded seconds per megapixel (``app/timing.json``); None if never measured."""
        return read_timing().get(self.name)

    @property
    def seconds_per_megapixel(self) -> float | None:
        """What a megapixel costs the tab, as recorded: the model, the classical method and (a tab of documents)
        :data:`OCR_READS` OCR reads. None if the model was never measured."""
        record = read_timing_record()
        model = record.get("seconds_per_megapixel", {}).get(self.name)
        if not model:
            return None
        total = model + record.get("classical_seconds_per_megapixel", {}).get(self.name, 0.0)
        if self.ocr:
            total += OCR_READS * record.get("ocr_seconds_per_megapixel", 0.0)
        return float(f"{total:.2g}")

    def estimate_seconds(self, pixels: int, ocr: bool | None = None) -> float | None:
        """How long the tab should take on ``pixels`` (the recorded speeds; OCR only if asked), else None."""
        record = read_timing_record()
        model = record.get("seconds_per_megapixel", {}).get(self.name)
        if not model:
            return None
        per_mp = model + record.get("classical_seconds_per_megapixel", {}).get(self.name, 0.0)
        if self.ocr and (ocr is None or ocr):
            per_mp += OCR_READS * record.get("ocr_seconds_per_megapixel", 0.0)
        return per_mp * pixels / 1e6

    @property
    def max_pixels(self) -> int:
        """The most pixels the tab accepts: what it restores in about :data:`TIME_BUDGET_S` at its recorded speed,
        at most :data:`MAX_PIXELS`, rounded down to 0.1 MP."""
        seconds = self.seconds_per_megapixel
        if not seconds:
            return MAX_PIXELS
        return int(min(MAX_PIXELS, TIME_BUDGET_S / seconds * 1e6) // 100_000 * 100_000)
