"""The app's own queue and the work of one request, so that a person sees where their image is in Chinese.

Gradio's own queue reports positions and progress only in its status tracker, in English, and refuses a request
when full with an English message; the app hides that tracker (lib.app.ui) and keeps its own line instead:

* :class:`RestoreQueue`: one restore at a time, in arrival order, at most ``size`` waiting; each waiting request
  knows its place and the estimated seconds ahead of it; one more than ``size`` is told the app is busy;
* :class:`Job`: one request's work in a thread (the tab's model through its deployment, the classical method
  beside it, the OCR of a tab of documents, the views), whose stage and tile count the tab's status shows while
  it runs. A failing OCR reports its own failure and keeps the restored images.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

from lib import image_views as views

from ..infer import OnnxRunner
from ..tracks.deployment import Deployment, cached

# The app's process holds every tab's model: ONNX Runtime's arenas shrink back after each run instead of each
# keeping its largest image's activations (lib.infer.runtimes.OnnxRunner.release_memory).
OnnxRunner.release_memory = True


def ocr_engine():
    """lib.ocr's engine, made once per process."""
    from lib.ocr import OcrEngine

    return cached(("ocr",), OcrEngine)


def read_text(image: np.ndarray) -> str:
    """The OCR text of ``image``, or a Chinese sentence saying why it could not be read (the restored images
    stay: OCR is an extra view)."""
    try:
        engine = ocr_engine()
    except ImportError:
        return "文字识别失败：没有安装文字识别引擎（rapidocr-onnxruntime）。恢复的图像不受影响。"
    try:
        return engine.read(image)
    except Exception:  # noqa: BLE001 -- the engine's failure is the OCR's, never the restore's
        traceback.print_exc(file=sys.stderr)
        h, w = image.shape[:2]
        if max(h, w) > 60 * min(h, w):
            why = f"图像太窄太长（{w} x {h} 像素），识别引擎缩放后文字行只剩不到一个像素高"
        else:
            why = "识别引擎处理这张图时出错"
        return f"文字识别失败：{why}。恢复的图像不受影响。"


STALE_S = 15.0  # a waiting request that has not asked for its place this long was abandoned (its page closed)


@dataclass
class Ticket:
    estimate: float | None  # seconds the request should take (None: no recorded speed)
    number: int
    started: float | None = None  # when its work started
    seen: float = field(default_factory=time.monotonic)  # when its request last asked for its place


class RestoreQueue:
    """One restore at a time, in arrival order; at most ``size`` waiting besides the one restoring."""

    def __init__(self, size: int):
        self.size = size
        self._line: list[Ticket] = []  # the first one restores
        self._cond = threading.Condition()
        self._numbers = itertools.count(1)

    def _prune(self) -> None:
        """Drop waiting tickets whose request stopped asking (a closed page whose handler gradio never resumes):
        they would block the line. A started one leaves when its work ends."""
        now = time.monotonic()
        kept = [t for t in self._line if t.started is not None or now - t.seen < STALE_S]
        if len(kept) != len(self._line):
            self._line[:] = kept
            self._cond.notify_all()

    def join(self, estimate: float | None) -> Ticket | None:
        """A place at the end of the line, or None when ``size`` requests already wait."""
        with self._cond:
            self._prune()
            if len(self._line) > self.size:
                return None
            ticket = Ticket(estimate, next(self._numbers))
            self._line.append(ticket)
            return ticket

    def place(self, ticket: Ticket) -> int:
        """How many requests are ahead of ``ticket`` (0: its turn)."""
        with self._cond:
            return self._line.index(ticket) if ticket in self._line else 0

    def waiting(self) -> int:
        with self._cond:
            return max(len(self._line) - 1, 0)

    def seconds_ahead(self, ticket: Ticket) -> float | None:
        """The estimated seconds before ``ticket``'s turn (None if a request ahead has no estimate)."""
        with self._cond:
            ahead = self._line[: self._line.index(ticket)] if ticket in self._line else []
        total = 0.0
        for other in ahead:
            if other.estimate is None:
                return None
            spent = time.monotonic() - other.started if other.started else 0.0
            total += max(other.estimate - spent, 0.0)
        return total

    def wait_turn(self, ticket: Ticket, timeout: float) -> bool:
        """True once ``ticket`` is first in line (waits at most ``timeout`` seconds); its request is alive."""
        with self._cond:
            ticket.seen = time.monotonic()
            if ticket not in self._line:  # dropped as abandoned, yet it asks again: back at the end
                self._line.append(ticket)
            self._prune()
            return self._cond.wait_for(lambda: self._line and self._line[0] is ticket, timeout)

    def start(self, ticket: Ticket) -> None:
        """``ticket``'s work starts (it stays first in line until :meth:`leave`)."""
        with self._cond:
            ticket.started = time.monotonic()

    def leave(self, ticket: Ticket) -> None:
        with self._cond:
            if ticket in self._line:
                self._line.remove(ticket)
            self._cond.notify_all()


@dataclass
class Outcome:
    """Everything a finished request shows."""

    result: object  # lib.tracks.deployment.Restored
    classical: np.ndarray | None
    classical_label: str
    seconds: dict  # "model", "classical", "ocr", "total"
    texts: dict = field(default_factory=dict)  # OCR texts: "ocr_input", "ocr_model", "ocr_classical"
    images: dict = field(default_factory=dict)  # "difference", "classical_difference", "zoom"
    lines: list = field(default_factory=list)  # the summary's lines about the views


class Job(threading.Thread):
    """One request's work: ``deployment.restore(image, **options)``, its classical method, OCR if ``ocr``, the
    views. ``stage``, ``done`` and ``total`` say where it is; ``outcome`` or ``error`` when it has finished.
    ``finished()`` is called at the end whatever happens (the queue's next request may start)."""

    def __init__(self, deployment: Deployment, image: np.ndarray, options: dict, ocr: bool, finished=None):
        super().__init__(daemon=True, name=f"restore-{deployment.name}")
        self.deployment, self.image, self.options, self.ocr = deployment, image, options, ocr
        self.finished_callback = finished
        self.stage, self.done, self.total = "model", 0, 0
        self.outcome: Outcome | None = None
        self.error: BaseException | None = None
        self.started = time.monotonic()

    def _tiles(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def run(self) -> None:
        try:
            self.outcome = self._work()
        except BaseException as exc:  # noqa: BLE001 -- reported to the person by the tab; the app keeps serving
            traceback.print_exc(file=sys.stderr)
            self.error = exc
        finally:
            if self.finished_callback:
                self.finished_callback()

    def _work(self) -> Outcome:
        deployment, image = self.deployment, self.image
        start = time.perf_counter()
        result = deployment.restore(image, progress=self._tiles, **self.options)
        model_done = time.perf_counter()
        classical, label = None, ""
        if deployment.classical is not None:
            self.stage = "classical"
            classical, label = deployment.classical_restore(image, result)
        classical_done = time.perf_counter()
        texts = {}
        if self.ocr:
            shown = {"ocr_input": image, "ocr_model": result.after}
            if classical is not None:
                shown["ocr_classical"] = classical
            for index, (key, picture) in enumerate(shown.items(), 1):
                self.stage, self.done, self.total = "ocr", index, len(shown)
                texts[key] = read_text(picture)
        ocr_done = time.perf_counter()
        self.stage = "views"
        images, lines = {}, []
        diff, scale = views.difference_map(image, result.after)
        images["difference"] = diff
        lines.append(f"模型的差异图：|结果 - 输入|，最亮处 = {scale:.1f} 个灰度级（99.5% 分位数）")
        if classical is not None:
            diff, scale = views.difference_map(image, classical)
            images["classical_difference"] = diff
            lines.append(f"经典方法的差异图：最亮处 = {scale:.1f} 个灰度级")
        others = (classical,) if classical is not None else ()
        images["zoom"], _ = views.detail_zoom(image, result.after, *others)
        seconds = {
            "model": model_done - start,
            "restore": result.seconds,
            "classical": classical_done - model_done,
            "ocr": ocr_done - classical_done,
            "total": time.perf_counter() - start,
        }
        return Outcome(result, classical, label, seconds, texts, images, lines)
