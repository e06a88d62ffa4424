"""The errors of restoring image files: a file that cannot be restored, a model or its metadata that cannot load.

Standalone (see :mod:`lib.infer`): each submission zip carries this file as ``infer/errors.py``.
"""

from __future__ import annotations


class ImageError(ValueError):
    """A file that cannot be restored (not an image, corrupt, unsupported pixel type)."""


class ModelError(RuntimeError):
    """A model file that is missing, damaged or unreadable by this runtime (named in the message)."""


class MetaError(ModelError):
    """A damaged metadata file: every backend reads it, so no other backend is tried."""


def first_line(exc: BaseException) -> str:
    """``Type: first line of the message``: runtimes put pages of C++ context after it."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
