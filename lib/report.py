"""Key figures: the one number per notebook that `make run` lists in its summary table.

A notebook calls ``key_figure("test_A PSNR gain (dB)", 4.21)``; the value is printed for the
learner and, when the notebook runs under ``python -m lib.runner``, recorded for the table.
"""

from __future__ import annotations

import json
import os
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


def progress(iterable=None, **kwargs):
    """A tqdm bar that stays quiet under test (COURSE_PROFILE=smoke) and outside a terminal or
    notebook, where a stream of bar updates would only flood the output."""
    from tqdm.auto import tqdm

    if os.environ.get("COURSE_PROFILE") == "smoke" or os.environ.get("COURSE_QUIET"):
        kwargs["disable"] = True
    elif _in_notebook():
        kwargs.setdefault("disable", False)  # a widget bar
    else:
        kwargs.setdefault("disable", None)  # tqdm: off when not a TTY (logs, CI)
    kwargs.setdefault("mininterval", 1.0)
    return tqdm(iterable, **kwargs)
