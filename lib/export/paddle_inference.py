"""The Paddle Inference formats: ``paddle.jit.save`` with a dynamic input ``N x C x H x W``
(``model.json`` + ``model.pdiparams``, Paddle 3's PIR program), and the same network as a program
of the IR before PIR (``model_legacy.pdmodel`` + ``.pdiparams``, what Paddle 2's inference reads)
when the installed Paddle can write it: Paddle 3.3 can for plain graphs but not for NAFNet's (its
old-IR tracer fails on the padding condition)."""

from __future__ import annotations

import gc
import warnings
from contextlib import contextmanager
from pathlib import Path

import paddle
import paddle.nn as nn

from ..infer import first_line
from .swaps import exportable

LEGACY_PREFIX = "model_legacy"  # beside model.json: PaddleRunner tries <prefix>_legacy.pdmodel next


@contextmanager
def collector_paused():
    """Python's cyclic garbage collector off while dy2static transcribes a network, back on afterwards if it was on:
    the transcription builds hundreds of thousands of short-lived AST nodes, and the collections they set off were
    ~15 % of a small model's ``paddle.jit.save`` (the smoke NAFNet: 5.5-6.2 s without them, 6.5-7.0 s with)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def export_paddle(model: nn.Layer, prefix) -> Path:
    """``paddle.jit.save`` with input spec ``[None, 3, None, None]`` (any batch and size) to
    ``<prefix>.json`` + ``<prefix>.pdiparams``; returns the prefix."""
    from paddle.static import InputSpec

    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    channels = int(getattr(model, "img_channel", 3))
    with warnings.catch_warnings(), collector_paused():  # dy2static's notes on NAFNet's padding branch, harmless
        warnings.simplefilter("ignore", UserWarning)
        paddle.jit.save(
            exportable(model), str(prefix), input_spec=[InputSpec([None, channels, None, None], "float32", "x")]
        )
    if not prefix.with_suffix(".pdiparams").exists():
        raise RuntimeError(f"paddle.jit.save wrote no {prefix}.pdiparams")
    return prefix


def export_paddle_legacy(model: nn.Layer, prefix) -> Path:
    """The network as :func:`export_paddle` saves it, but as a program of the IR before PIR:
    ``<prefix>.pdmodel`` + ``<prefix>.pdiparams``, what Paddle 2's inference reads (Paddle 3 reads
    both). Paddle 3 writes it under ``paddle.pir_utils.OldIrGuard``; its old-IR tracer fails on
    some graphs (NAFNet's ``if pad_h == 0 and pad_w == 0``: "logical_and(): argument must be Value,
    but got Variable"), then this raises RuntimeError and leaves no file behind."""
    from paddle.static import InputSpec

    prefix = Path(prefix)
    files = [Path(f"{prefix}{suffix}") for suffix in (".pdmodel", ".pdiparams", ".pdiparams.info")]
    guard = getattr(getattr(paddle, "pir_utils", None), "OldIrGuard", None)
    if guard is None:
        raise RuntimeError(f"Paddle {paddle.__version__} has no paddle.pir_utils.OldIrGuard to write a .pdmodel")
    clone = exportable(model)  # copied in dygraph mode: the guard switches to static mode
    channels = int(getattr(model, "img_channel", 3))
    prefix.parent.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings(), guard(), collector_paused():
            warnings.simplefilter("ignore")
            paddle.jit.save(clone, str(prefix), input_spec=[InputSpec([None, channels, None, None], "float32", "x")])
    except Exception as exc:
        for path in files:
            path.unlink(missing_ok=True)
        # dy2static puts the user's code first and the tracer's own error on the last line
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = lines[-1] if lines else first_line(exc)
        raise RuntimeError(
            f"Paddle {paddle.__version__} cannot write this network as a .pdmodel: "
            f"{reason if reason.startswith(type(exc).__name__) else type(exc).__name__ + ': ' + reason}"
        ) from exc
    files[2].unlink(missing_ok=True)  # names for paddle.load only; inference does not read it
    if not (files[0].exists() and files[1].exists()):
        raise RuntimeError(f"paddle.jit.save wrote no {files[0].name} + {files[1].name}")
    return prefix
