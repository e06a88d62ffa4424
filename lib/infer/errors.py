"""The errors of restoring image files: a file that cannot be restored, a model that cannot load.

The submission's ``predict.py`` (lib/submission/predict.py) runs alone in the competition's folder
and cannot import ``lib``, so it carries a copy of this module's code; tests/test_infer_mirror.py
fails when the two differ (same tiles and outputs, and the same source up to docstrings).
"""

from __future__ import annotations


class ImageError(ValueError):
    """A file that cannot be restored (not an image, corrupt, unsupported pixel type)."""


class ModelError(RuntimeError):
    """A model file that is missing, damaged or unreadable by this runtime (named in the message)."""


def first_line(exc: BaseException) -> str:
    """``Type: first line of the message``: runtimes put pages of C++ context after it."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
