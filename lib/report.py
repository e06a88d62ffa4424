"""Key figures: the one number per notebook that `make run` lists in its summary table.

A notebook calls ``key_figure("test_A PSNR gain (dB)", 4.21)``; the value is printed for the
learner and, when the notebook runs under ``python -m lib.runner``, recorded for the table.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

RUN_DIR_ENV = "COURSE_RUN_DIR"
NOTEBOOK_ENV = "COURSE_NOTEBOOK"


def key_figure(label: str, value, fmt: str = "{:.4g}") -> None:
    """Print ``label: value`` and record it for the runner's summary table. Returns nothing, so a cell that
    ends with it shows the line once."""
    text = f"{label}: {fmt.format(value) if isinstance(value, (int, float)) else value}"
    print(text)
    run_dir, notebook = os.environ.get(RUN_DIR_ENV), os.environ.get(NOTEBOOK_ENV)
    if run_dir and notebook:
        out = Path(run_dir) / "key_figures" / f"{notebook}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps({"label": label, "text": text}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, out)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def finished_line(bar) -> str:
    """The one line a closed bar leaves: tqdm's text meter at the overall rate (``train: 100%|##########| 34/34
    [00:12<00:00, 2.80it/s]``); a bar stopped short gives its count without a bar frozen part-way."""
    d = dict(bar.format_dict, rate=None)  # rate None: format_meter takes n / elapsed, not the last smoothed rate
    if d["total"] and d["n"] < d["total"]:
        d["bar_format"] = ("{desc}: " if d["prefix"] else "") + "{n_fmt}/{total_fmt} [{elapsed}, {rate_fmt}{postfix}]"
    return bar.format_meter(**d)


def _notebook_bar(iterable, kwargs):
    """A bar for a notebook's output, which is stored (``make notebooks``) and read on a code host: there a widget
    shows only its text fallback, frozen at the bar's first state ("0%| 0/34"). So the live widget is replaced by
    its finished text line when it closes (the same display, updated), and without ipywidgets nothing is written
    until that line."""
    from tqdm.std import tqdm as text_tqdm

    try:  # the widget needs IPython and ipywidgets; the app's bundle has neither, and needs no bar of this kind
        from IPython.display import display
        from tqdm.notebook import IProgress
        from tqdm.notebook import tqdm as widget_tqdm
    except ImportError:
        IProgress = None

    if IProgress is None:

        class LineOnClose(text_tqdm):
            def __init__(self, *args, **kw):
                super().__init__(*args, **{**kw, "file": sys.stdout, "delay": float("inf")})  # silent until close

            def close(self):
                was_open = not self.disable
                super().close()
                if was_open:
                    print(finished_line(self), flush=True)

        return LineOnClose(iterable, **kwargs)

    class WidgetThenLine(widget_tqdm):
        def __init__(self, *args, **kw):
            super().__init__(*args, **{**kw, "display": False})
            self._shown = None
            if not self.disable:
                self._shown = display(self.container, display_id=True)
                self.displayed = True

        def close(self):
            shown, self._shown = self._shown, None
            super().close()
            if shown is not None:
                shown.update({"text/plain": finished_line(self)}, raw=True)

    return WidgetThenLine(iterable, **kwargs)


def progress(iterable=None, **kwargs):
    """A tqdm bar: live in a terminal and in a notebook, where it leaves one finished text line when it closes (a
    stored notebook shows that line, not a widget frozen at 0 %); quiet under test (COURSE_PROFILE=smoke) and outside
    a terminal or notebook, where a stream of bar updates would only flood the output."""
    kwargs.setdefault("mininterval", 1.0)
    if os.environ.get("COURSE_PROFILE") == "smoke" or os.environ.get("COURSE_QUIET"):
        kwargs["disable"] = True
    elif _in_notebook():
        kwargs.setdefault("disable", False)
        return _notebook_bar(iterable, kwargs)
    else:
        kwargs.setdefault("disable", None)  # tqdm: off when not a TTY (logs, CI)
    from tqdm.std import tqdm

    return tqdm(iterable, **kwargs)
